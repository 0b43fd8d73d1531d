//! ECS fixtures the service and task tests need but whose resources other issues provide: container
//! instances (the harness plays the ECS agent: an EC2 instance registered with an identity document
//! that names it, see ../shared/MOTO.md section 3) and task definitions registered through the SDK.

use aws_sdk_ecs::types::{ContainerDefinition, PortMapping};
use serde_json::json;

use super::aws::{err_text, Aws};

/// Launches an EC2 instance and registers it into `cluster` as a container instance (moto gives it
/// 4096 CPU units and 7482 MiB); returns the container instance ARN.
pub fn register_instance(aws: &Aws, cluster: &str) -> String {
    let run = aws
        .block_on(
            aws.ec2
                .run_instances()
                .image_id("ami-12345678")
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Large)
                .min_count(1)
                .max_count(1)
                .send(),
        )
        .unwrap_or_else(|e| panic!("RunInstances: {}", err_text(&e)));
    let instance_id = run.instances().first().and_then(|i| i.instance_id()).expect("RunInstances returned an instance id").to_string();
    let doc = json!({ "instanceId": instance_id }).to_string();
    let reg = aws
        .block_on(aws.ecs.register_container_instance().cluster(cluster).instance_identity_document(doc).send())
        .unwrap_or_else(|e| panic!("RegisterContainerInstance into {cluster}: {}", err_text(&e)));
    reg.container_instance().and_then(|c| c.container_instance_arn()).expect("container instance ARN").to_string()
}

/// Force-deregisters every container instance of `cluster` (what the agent's instance going away does).
pub fn deregister_all_instances(aws: &Aws, cluster: &str) {
    let listed = aws
        .block_on(aws.ecs.list_container_instances().cluster(cluster).send())
        .unwrap_or_else(|e| panic!("ListContainerInstances: {}", err_text(&e)));
    for arn in listed.container_instance_arns() {
        aws.block_on(aws.ecs.deregister_container_instance().cluster(cluster).container_instance(arn).force(true).send())
            .unwrap_or_else(|e| panic!("DeregisterContainerInstance {arn}: {}", err_text(&e)));
    }
}

/// One container `name` of `memory` MiB from `image`, with an optional fixed host port (container
/// port 80) and command. Returns the task definition ARN.
pub fn register_task_definition(aws: &Aws, family: &str, image: &str, memory: i32, host_port: Option<i32>, command: &[&str]) -> String {
    let mut c = ContainerDefinition::builder().name(family).image(image).memory(memory).essential(true);
    if let Some(p) = host_port {
        c = c.port_mappings(PortMapping::builder().container_port(80).host_port(p).build());
    }
    for part in command {
        c = c.command(*part);
    }
    let out = aws
        .block_on(aws.ecs.register_task_definition().family(family).container_definitions(c.build()).send())
        .unwrap_or_else(|e| panic!("RegisterTaskDefinition {family}: {}", err_text(&e)));
    out.task_definition().and_then(|t| t.task_definition_arn()).expect("task definition ARN").to_string()
}

/// The tasks of `cluster` with this desired status ("RUNNING" or "STOPPED"), described.
pub fn tasks(aws: &Aws, cluster: &str, desired: &str) -> Vec<aws_sdk_ecs::types::Task> {
    let listed = aws
        .block_on(aws.ecs.list_tasks().cluster(cluster).desired_status(aws_sdk_ecs::types::DesiredStatus::from(desired)).send())
        .unwrap_or_else(|e| panic!("ListTasks: {}", err_text(&e)));
    if listed.task_arns().is_empty() {
        return Vec::new();
    }
    aws.block_on(aws.ecs.describe_tasks().cluster(cluster).set_tasks(Some(listed.task_arns().to_vec())).send())
        .unwrap_or_else(|e| panic!("DescribeTasks: {}", err_text(&e)))
        .tasks()
        .to_vec()
}

/// DescribeServices for one service: None when ECS reports it MISSING.
pub fn describe_service(aws: &Aws, cluster: &str, name: &str) -> Option<aws_sdk_ecs::types::Service> {
    aws.block_on(aws.ecs.describe_services().cluster(cluster).services(name).send())
        .unwrap_or_else(|e| panic!("DescribeServices {name}: {}", err_text(&e)))
        .services()
        .first()
        .cloned()
}

/// Whitespace-insensitive text: Terraform word-wraps diagnostics and draws boxes around them.
pub fn flat(text: &str) -> String {
    text.replace(['│', '╷', '╵'], " ").split_whitespace().collect::<Vec<_>>().join(" ")
}
