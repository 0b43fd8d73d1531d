//! `awsecs_service` against moto with the scheduler stand-in (standins/scheduler.py): steady state,
//! rollout of a new revision, scaling, import, replacement with the same name, destroy, a task that
//! cannot be placed, the plan-time capacity warning, batched refreshes, and the awsvpc
//! `network_configuration` (with the VPC and network mode checks at plan time).

use std::time::{Duration, Instant};

use aws_sdk_ec2::types::InstanceType;
use aws_sdk_ecs::types::{ContainerDefinition, NetworkMode, PortMapping};
use serde_json::Value;

use crate::harness::aws::err_text;
use crate::harness::ecs::{deregister_all_instances, describe_service, flat, register_instance, register_task_definition, tasks};
use crate::harness::{assert_no_changes, provider_block, state_addresses, Aws, Moto, TfWorkspace, REGION};

const SVC: &str = "awsecs_service.web";

fn cluster_only(ep: &str, cluster: &str) -> String {
    format!("{}\nresource \"awsecs_cluster\" \"c\" {{\n  name = \"{cluster}\"\n}}\n", provider_block(ep))
}

/// The cluster plus `awsecs_service.web` with the given extra lines.
fn with_service(ep: &str, cluster: &str, name: &str, td: &str, extra: &str) -> String {
    format!(
        "{}resource \"awsecs_service\" \"web\" {{\n  name            = \"{name}\"\n  cluster         = awsecs_cluster.c.name\n  task_definition = \"{td}\"\n{extra}}}\n",
        cluster_only(ep, cluster)
    )
}

fn num(v: &Value, key: &str) -> i64 {
    v[key].as_i64().unwrap_or_else(|| panic!("{key} is not a number in {v:#}"))
}

fn running_task_defs(aws: &Aws, cluster: &str) -> Vec<String> {
    let mut v: Vec<String> =
        tasks(aws, cluster, "RUNNING").iter().map(|t| t.task_definition_arn().unwrap_or_default().to_string()).collect();
    v.sort();
    v
}

/// Desired 1 on one instance → steady; new revision → one rollout; desired 2 in place; import;
/// replacement with the same name; removing the service; then the cluster.
#[test]
fn lifecycle() {
    let ws = TfWorkspace::new("service_lifecycle");
    let moto = Moto::start_with(ws.path(), &["scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "svc-life";

    ws.write_config(&cluster_only(&ep, cluster));
    ws.apply();
    register_instance(&aws, cluster);
    let td1 = register_task_definition(&aws, "web", "nginx:1", 256, None, &[]);
    let td2 = register_task_definition(&aws, "web", "nginx:2", 256, None, &[]);

    // Create: desired 1 (the default) reaches a steady state; family:revision is accepted.
    ws.write_config(&with_service(&ep, cluster, "web", "web:1", ""));
    ws.apply();
    let v = ws.resource(SVC);
    assert_eq!(num(&v, "running_count"), 1, "{v:#}");
    assert_eq!(v["deployment_status"], "COMPLETED", "{v:#}");
    assert_eq!(v["status"], "ACTIVE");
    assert_eq!(v["task_definition"], "web:1", "the configured form is kept");
    let arn = v["arn"].as_str().expect("arn").to_string();
    assert_eq!(v["id"].as_str(), Some(arn.as_str()));
    let s = describe_service(&aws, cluster, "web").expect("service in AWS");
    assert_eq!((s.status(), s.running_count(), s.desired_count()), (Some("ACTIVE"), 1, 1));
    assert_eq!(running_task_defs(&aws, cluster), vec![td1.clone()]);
    assert!(s.events().iter().any(|e| e.message().unwrap_or_default().contains("has reached a steady state")), "events: {:?}", s.events());
    assert_no_changes(&ws);

    // A new revision (now by ARN) rolls out in place: the old task is replaced.
    ws.write_config(&with_service(&ep, cluster, "web", &td2, ""));
    assert_eq!(ws.plan_actions(), vec![(SVC.to_string(), vec!["update".to_string()])]);
    ws.apply();
    assert_eq!(running_task_defs(&aws, cluster), vec![td2.clone()], "only the new revision runs");
    let stopped = tasks(&aws, cluster, "STOPPED");
    assert!(stopped.iter().any(|t| t.task_definition_arn() == Some(td1.as_str())), "the old task stopped: {stopped:?}");
    let s = describe_service(&aws, cluster, "web").unwrap();
    assert_eq!(s.deployments().len(), 1, "one deployment: {:?}", s.deployments());
    assert_eq!(s.deployments()[0].task_definition(), Some(td2.as_str()));
    assert_eq!(ws.resource(SVC)["arn"].as_str(), Some(arn.as_str()), "updated in place");
    assert_no_changes(&ws);

    // desired_count in place.
    let two = "  desired_count   = 2\n";
    ws.write_config(&with_service(&ep, cluster, "web", &td2, two));
    assert_eq!(ws.plan_actions(), vec![(SVC.to_string(), vec!["update".to_string()])]);
    ws.apply();
    let v = ws.resource(SVC);
    assert_eq!(num(&v, "running_count"), 2, "{v:#}");
    assert_eq!(running_task_defs(&aws, cluster), vec![td2.clone(), td2.clone()]);
    assert_no_changes(&ws);

    // Import by cluster/service plans clean.
    ws.state_rm(SVC);
    ws.import(SVC, &format!("{cluster}/web"));
    assert_eq!(ws.resource(SVC)["arn"].as_str(), Some(arn.as_str()));
    assert_no_changes(&ws);

    // Replacement with the same name: the old one is drained and deleted first.
    let out = ws.run_ok(&["apply", "-auto-approve", &format!("-replace={SVC}")]);
    assert!(out.stdout.contains("1 added") && out.stdout.contains("1 destroyed"), "{}", out.describe());
    let s = describe_service(&aws, cluster, "web").unwrap();
    assert_eq!((s.status(), s.running_count()), (Some("ACTIVE"), 2));
    assert_eq!(tasks(&aws, cluster, "RUNNING").len(), 2, "the old service's tasks are gone");
    assert_no_changes(&ws);

    // Removing the service scales it to 0, deletes it and waits for INACTIVE.
    ws.write_config(&cluster_only(&ep, cluster));
    ws.apply();
    let s = describe_service(&aws, cluster, "web");
    assert!(s.as_ref().map_or(true, |s| s.status() == Some("INACTIVE")), "{s:?}");
    assert!(tasks(&aws, cluster, "RUNNING").is_empty(), "no task left running");
    assert_eq!(state_addresses(&ws.show_state()), vec!["awsecs_cluster.c".to_string()]);

    // The instance goes away (as when its EC2 instance is terminated); the cluster then deletes
    // with nothing left behind by the service.
    deregister_all_instances(&aws, cluster);
    ws.destroy();
    assert!(aws.cluster_is_gone(cluster));
}

/// Desired 2 of a host-port-80 task on one instance: the apply fails within the timeout and says
/// why; a second instance fixes it. Also the plan-time memory warning.
#[test]
fn unable_to_place() {
    let ws = TfWorkspace::new("service_unable_to_place");
    let moto = Moto::start_with(ws.path(), &["scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "svc-ports";

    ws.write_config(&cluster_only(&ep, cluster));
    ws.apply();
    register_instance(&aws, cluster);
    let td = register_task_definition(&aws, "port80", "wordpress", 512, Some(80), &[]);
    let extra = "  desired_count   = 2\n  timeouts {\n    create = \"20s\"\n  }\n";
    ws.write_config(&with_service(&ep, cluster, "wp", &td, extra));
    let started = Instant::now();
    let out = ws.run(&["apply", "-auto-approve"]);
    let took = started.elapsed();
    assert!(!out.success(), "the apply must fail: {}", out.describe());
    eprintln!("failed apply after {took:?}:\n{}", out.stderr);
    assert!(took < Duration::from_secs(60), "failed after {took:?}, not within the 20s timeout");
    let text = flat(&out.stderr);
    assert!(text.contains("Timed out after 20s"), "{}", out.describe());
    assert!(text.contains("unable to place a task"), "the reason must be in the message: {}", out.describe());
    assert!(text.contains("is already using a port required by your task"), "{}", out.describe());
    // The service exists, so Terraform keeps it (tainted) instead of losing it.
    let v = ws.resource(SVC);
    assert_eq!(num(&v, "running_count"), 1, "{v:#}");
    let s = describe_service(&aws, cluster, "wp").expect("service kept in AWS");
    assert_eq!(s.running_count(), 1);

    // A second instance: the re-apply (replacing the tainted service) succeeds.
    register_instance(&aws, cluster);
    ws.apply();
    let v = ws.resource(SVC);
    assert_eq!(num(&v, "running_count"), 2, "{v:#}");
    assert_eq!(describe_service(&aws, cluster, "wp").unwrap().running_count(), 2);
    assert_eq!(tasks(&aws, cluster, "RUNNING").len(), 2);
    assert_no_changes(&ws);

    // A task bigger than any instance (moto registers 7482 MiB): the plan warns.
    let big = register_task_definition(&aws, "big", "wordpress", 8000, None, &[]);
    ws.write_config(&with_service(&ep, cluster, "wp", &big, extra));
    let out = ws.run_ok(&["plan"]);
    let text = flat(&out.combined());
    assert!(
        text.contains("has enough memory for a task of") && text.contains("needs 8000 MiB") && text.contains("registered 7482 MiB"),
        "expected the capacity warning: {}",
        out.describe()
    );
}

/// 25 services: a refresh reads them with a handful of DescribeServices calls (up to 10 each),
/// not 25.
/// The walkthrough's own setup: one instance, host port 80, desired 1, the default 100% / 200%.
/// A new revision cannot roll out on AWS (the new task finds port 80 taken; the old one may not
/// stop): the plan warns with the numbers, the apply says the deployment is stuck and what helps
/// (not a longer timeout), and `deployment_minimum_healthy_percent = 0` rolls it out.
#[test]
fn one_instance_fixed_port_update_is_stuck_until_minimum_healthy_is_0() {
    let ws = TfWorkspace::new("service_stuck_rollout");
    let moto = Moto::start_with(ws.path(), &["scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "svc-stuck";
    ws.write_config(&cluster_only(&ep, cluster));
    ws.apply();
    register_instance(&aws, cluster);
    let td1 = register_task_definition(&aws, "wp", "wordpress:6.5", 256, Some(80), &[]);
    let td2 = register_task_definition(&aws, "wp", "wordpress:6.6", 256, Some(80), &[]);
    let timeouts = "  timeouts {\n    update = \"20s\"\n  }\n";
    ws.write_config(&with_service(&ep, cluster, "wp", &td1, timeouts));
    ws.apply();
    assert_eq!(running_task_defs(&aws, cluster), vec![td1.clone()]);

    // The plan warns, with the numbers and the way out.
    ws.write_config(&with_service(&ep, cluster, "wp", &td2, timeouts));
    let plan = flat(&ws.run_ok(&["plan"]).combined());
    assert!(plan.contains("will be stuck"), "expected the deployment warning: {plan}");
    assert!(plan.contains("port 80 in use"), "{plan}");
    assert!(plan.contains("deployment_minimum_healthy_percent = 0"), "{plan}");

    // The apply: stuck, said as such, and no advice to wait longer.
    let started = Instant::now();
    let out = ws.run(&["apply", "-auto-approve"]);
    assert!(!out.success(), "the rollout cannot happen: {}", out.describe());
    assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
    let text = flat(&out.stderr);
    assert!(text.contains("is stuck"), "{text}");
    assert!(text.contains("is already using a port required by your task"), "{text}");
    assert!(text.contains("deployment_minimum_healthy_percent = 0"), "{text}");
    assert!(!text.contains("Raise the timeout"), "a longer timeout cannot help: {text}");
    assert!(!text.contains("older tasks are being replaced"), "{text}");
    // AWS still runs the old task; the new deployment waits beside it.
    assert_eq!(running_task_defs(&aws, cluster), vec![td1.clone()]);
    let s = describe_service(&aws, cluster, "wp").expect("service");
    assert_eq!(s.deployments().len(), 2, "PRIMARY and ACTIVE: {:?}", s.deployments());

    // Minimum healthy 0: ECS stops the old task first, then starts the new one.
    let min0 = format!("  deployment_minimum_healthy_percent = 0\n{timeouts}");
    ws.write_config(&with_service(&ep, cluster, "wp", &td2, &min0));
    ws.apply();
    assert_eq!(running_task_defs(&aws, cluster), vec![td2.clone()], "the new revision runs");
    let stopped = tasks(&aws, cluster, "STOPPED");
    assert!(stopped.iter().any(|t| t.task_definition_arn() == Some(td1.as_str())), "the old task stopped: {stopped:?}");
    assert_eq!(describe_service(&aws, cluster, "wp").expect("service").deployments().len(), 1);
    ws.destroy_target(SVC);
    deregister_all_instances(&aws, cluster);
    ws.destroy();
}

#[test]
fn batched_refresh() {
    let ws = TfWorkspace::new("service_batched");
    let moto = Moto::start_with(ws.path(), &["scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "svc-many";
    ws.write_config(&cluster_only(&ep, cluster));
    ws.apply();
    let td = register_task_definition(&aws, "idle", "nginx", 128, None, &[]);
    let config = format!(
        "{}resource \"awsecs_service\" \"many\" {{\n  count           = 25\n  name            = \"svc-${{count.index}}\"\n  cluster         = awsecs_cluster.c.name\n  task_definition = \"{td}\"\n  desired_count   = 0\n}}\n",
        cluster_only(&ep, cluster)
    );
    ws.write_config(&config);
    ws.run_ok(&["apply", "-auto-approve", "-parallelism=25"]);
    let listed = aws.block_on(aws.ecs.list_services().cluster(cluster).send()).expect("ListServices");
    assert_eq!(listed.service_arns().len(), 25);

    let before = moto.count_calls("DescribeServices");
    let out = ws.run(&["plan", "-detailed-exitcode", "-parallelism=25"]);
    assert_eq!(out.code, Some(0), "the refresh must plan no changes: {}", out.describe());
    let describes = moto.count_calls("DescribeServices") - before;
    eprintln!("refresh of 25 services: {describes} DescribeServices call(s)");
    assert!(describes >= 3, "25 services need at least 3 calls of 10: {describes}");
    // Terraform's reads arrive spread over a few milliseconds, so a batch may close before all ten
    // of its reads are in; unbatched would be 25.
    assert!(describes <= 12, "reads were not batched: {describes} DescribeServices calls for 25 services");

    // One of them deleted behind Terraform's back (INACTIVE): the refresh drops it, the plan creates it.
    aws.block_on(aws.ecs.delete_service().cluster(cluster).service("svc-3").send()).expect("DeleteService");
    assert_eq!(ws.plan_actions(), vec![("awsecs_service.many[3]".to_string(), vec!["create".to_string()])]);
}

/// A container that keeps exiting: the apply fails within the timeout and quotes the reasons the
/// tasks stopped, with their exit codes.
#[test]
fn crashing_container() {
    let ws = TfWorkspace::new("service_crashing");
    let moto = Moto::start_with(ws.path(), &["scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "svc-crash";
    ws.write_config(&cluster_only(&ep, cluster));
    ws.apply();
    register_instance(&aws, cluster);
    let td = register_task_definition(&aws, "crash", "wordpress", 256, None, &["sh", "-c", "exit 1"]);
    ws.write_config(&with_service(&ep, cluster, "crash", &td, "  timeouts {\n    create = \"8s\"\n  }\n"));
    let out = ws.run(&["apply", "-auto-approve"]);
    assert!(!out.success(), "the apply must fail: {}", out.describe());
    eprintln!("failed apply:\n{}", out.stderr);
    let text = flat(&out.stderr);
    assert!(text.contains("Timed out after 8s"), "{}", out.describe());
    assert!(text.contains("Stopped tasks:"), "{}", out.describe());
    assert!(text.contains("Essential container in task exited; crash exit 1"), "{}", out.describe());
    let stopped = tasks(&aws, cluster, "STOPPED");
    assert!(!stopped.is_empty(), "ECS stopped the crashing tasks");
    assert!(ws.resource(SVC)["arn"].is_string(), "the service stays in state (tainted)");
}

/// A VPC with `subnet_count` subnets, made through the SDK (this provider manages none of them):
/// (vpc, subnets).
pub(crate) fn make_vpc(aws: &Aws, second_octet: u8, subnet_count: usize) -> (String, Vec<String>) {
    let vpc = aws
        .block_on(aws.ec2.create_vpc().cidr_block(format!("10.{second_octet}.0.0/16")).send())
        .unwrap_or_else(|e| panic!("CreateVpc: {}", err_text(&e)))
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_string();
    let mut subnets = Vec::new();
    for i in 0..subnet_count {
        let az = format!("{REGION}{}", if i % 2 == 0 { "a" } else { "c" });
        let create = aws.ec2.create_subnet().vpc_id(&vpc).cidr_block(format!("10.{second_octet}.{i}.0/24")).availability_zone(az);
        let subnet = aws
            .block_on(create.send())
            .unwrap_or_else(|e| panic!("CreateSubnet: {}", err_text(&e)))
            .subnet()
            .and_then(|s| s.subnet_id())
            .expect("subnet id")
            .to_string();
        subnets.push(subnet);
    }
    (vpc, subnets)
}

/// Launches an EC2 instance in `subnet` and registers it into `cluster` as a container instance, as
/// `harness::ecs::register_instance` does, but in the tasks' VPC (where ECS places awsvpc tasks).
pub(crate) fn register_instance_in(aws: &Aws, cluster: &str, subnet: &str) {
    let run = aws.ec2.run_instances().image_id("ami-12345678").instance_type(InstanceType::T3Large).subnet_id(subnet);
    let out = aws.block_on(run.min_count(1).max_count(1).send()).unwrap_or_else(|e| panic!("RunInstances: {}", err_text(&e)));
    let id = out.instances().first().and_then(|i| i.instance_id()).expect("RunInstances returned an instance id").to_string();
    let doc = serde_json::json!({ "instanceId": id }).to_string();
    aws.block_on(aws.ecs.register_container_instance().cluster(cluster).instance_identity_document(doc).send())
        .unwrap_or_else(|e| panic!("RegisterContainerInstance into {cluster}: {}", err_text(&e)));
}

/// A security group `name` in `vpc`, made through the SDK; returns its id.
pub(crate) fn make_group(aws: &Aws, vpc: &str, name: &str) -> String {
    aws.block_on(aws.ec2.create_security_group().group_name(name).description(name).vpc_id(vpc).send())
        .unwrap_or_else(|e| panic!("CreateSecurityGroup {name}: {}", err_text(&e)))
        .group_id()
        .expect("group id")
        .to_string()
}

/// One nginx container (port 80, 128 MiB) in the awsvpc network mode, registered through the SDK;
/// returns the task definition ARN.
pub(crate) fn register_awsvpc_task_definition(aws: &Aws, family: &str) -> String {
    let container = ContainerDefinition::builder()
        .name(family)
        .image("nginx")
        .memory(128)
        .essential(true)
        .port_mappings(PortMapping::builder().container_port(80).build())
        .build();
    let register = aws.ecs.register_task_definition().family(family).network_mode(NetworkMode::Awsvpc).container_definitions(container);
    let out = aws.block_on(register.send()).unwrap_or_else(|e| panic!("RegisterTaskDefinition {family}: {}", err_text(&e)));
    out.task_definition().and_then(|t| t.task_definition_arn()).expect("task definition ARN").to_string()
}

/// A `network_configuration` block with these subnets and security groups, and `extra` lines.
pub(crate) fn network_block<S: AsRef<str>, G: AsRef<str>>(subnets: &[S], groups: &[G], extra: &str) -> String {
    let list = |ids: Vec<&str>| serde_json::json!(ids).to_string();
    format!(
        "  network_configuration {{\n    subnets         = {}\n    security_groups = {}\n{extra}  }}\n",
        list(subnets.iter().map(AsRef::as_ref).collect()),
        list(groups.iter().map(AsRef::as_ref).collect())
    )
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// A JSON array of strings (a set in state), sorted.
fn sorted_strings(v: &Value) -> Vec<String> {
    sorted(v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default())
}

/// The subnet of the task's network interface, as ECS reports it in the task's attachments.
pub(crate) fn eni_subnet(task: &aws_sdk_ecs::types::Task) -> Option<String> {
    task.attachments().iter().flat_map(|a| a.details()).find(|d| d.name() == Some("subnetId")).and_then(|d| d.value()).map(str::to_string)
}

/// An awsvpc service: `network_configuration` goes out on CreateService, the next plan is empty,
/// DescribeServices reports it and the task's network interface is in one of the subnets; another
/// security group is an update in place (UpdateService). Refused at plan, before any AWS change: a
/// group of another VPC and subnets of two VPCs (both VPCs named), a subnet that does not exist,
/// an awsvpc task definition without the block, a bridge one with it. Refused by `terraform
/// validate`: a public IP with the EC2 launch type, FARGATE without the block.
#[test]
fn network_configuration() {
    let ws = TfWorkspace::new("service_network_configuration");
    let moto = Moto::start_with(ws.path(), &["scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "svc-vpc";

    ws.write_config(&cluster_only(&ep, cluster));
    ws.apply();
    let (vpc, subnets) = make_vpc(&aws, 40, 2);
    register_instance_in(&aws, cluster, &subnets[0]);
    let web = make_group(&aws, &vpc, "web");
    let admin = make_group(&aws, &vpc, "admin");
    let (other_vpc, other_subnets) = make_vpc(&aws, 41, 1);
    let other_group = make_group(&aws, &other_vpc, "other");
    let td = register_awsvpc_task_definition(&aws, "vpcweb");
    let bridge_td = register_task_definition(&aws, "bridgeweb", "nginx", 128, None, &[]);

    // Create: the block goes to ECS and comes back unchanged.
    ws.write_config(&with_service(&ep, cluster, "web", &td, &network_block(&subnets, &[&web], "")));
    ws.apply();
    let v = ws.resource(SVC);
    assert_eq!(num(&v, "running_count"), 1, "{v:#}");
    let nc = if v["network_configuration"].is_array() { &v["network_configuration"][0] } else { &v["network_configuration"] };
    assert_eq!(sorted_strings(&nc["subnets"]), sorted(subnets.clone()), "{v:#}");
    assert_eq!(sorted_strings(&nc["security_groups"]), vec![web.clone()], "{v:#}");
    assert_eq!(nc["assign_public_ip"], false, "{v:#}");
    let s = describe_service(&aws, cluster, "web").expect("service in AWS");
    let conf = s.network_configuration().and_then(|n| n.awsvpc_configuration()).expect("DescribeServices reports it");
    assert_eq!(sorted(conf.subnets().to_vec()), sorted(subnets.clone()));
    assert_eq!(conf.security_groups(), std::slice::from_ref(&web));
    assert_eq!(conf.assign_public_ip().map(|a| a.as_str()), Some("DISABLED"));
    let running = tasks(&aws, cluster, "RUNNING");
    assert_eq!(running.len(), 1, "{running:?}");
    let subnet = eni_subnet(&running[0]);
    assert!(subnet.as_ref().is_some_and(|s| subnets.contains(s)), "ENI not in {subnets:?}: {:?}", running[0].attachments());

    // Another security group: an update in place.
    let two_groups = with_service(&ep, cluster, "web", &td, &network_block(&subnets, &[&web, &admin], ""));
    ws.write_config(&two_groups);
    assert_eq!(ws.plan_actions(), vec![(SVC.to_string(), vec!["update".to_string()])]);
    ws.apply();
    let s = describe_service(&aws, cluster, "web").expect("service in AWS");
    let groups = s.network_configuration().and_then(|n| n.awsvpc_configuration()).map(|c| c.security_groups().to_vec()).unwrap_or_default();
    assert_eq!(sorted(groups), sorted(vec![web.clone(), admin.clone()]));
    assert_eq!(ws.resource(SVC)["arn"], v["arn"], "updated in place");

    // Refused at plan, pointing at the attribute.
    let missing = "subnet-0000000000000000f";
    let cases = [
        (
            network_block(&subnets, &[&other_group], ""),
            "security_groups = [",
            vec![format!("The security groups are not in the subnets' VPC {vpc}"), format!("{other_group} is in {other_vpc}")],
        ),
        (
            network_block(&[&subnets[0], &other_subnets[0]], &[&web], ""),
            "subnets = [",
            vec!["The subnets are in different VPCs".to_string(), format!("{} is in {other_vpc}", other_subnets[0]), vpc.clone()],
        ),
        (network_block(&[missing], &[&web], ""), "subnets = [", vec![format!("Subnet {missing} does not exist")]),
    ];
    for (block, attr, wants) in &cases {
        ws.write_config(&with_service(&ep, cluster, "web", &td, block));
        let out = ws.run(&["plan"]);
        assert_eq!(out.code, Some(1), "plan must fail:\n{}", out.describe());
        let text = flat(&out.combined());
        for want in wants {
            assert!(text.contains(want.as_str()), "{want:?} missing in:\n{}", out.combined());
        }
        assert!(text.contains(attr), "the error must point at {attr:?}:\n{}", out.combined());
    }
    ws.write_config(&with_service(&ep, cluster, "web", &td, ""));
    let out = ws.run(&["plan"]);
    assert_eq!(out.code, Some(1), "an awsvpc task definition needs the block:\n{}", out.describe());
    let text = flat(&out.combined());
    assert!(text.contains("Network Configuration must be provided when networkMode 'awsvpc' is specified."), "{}", out.combined());
    ws.write_config(&with_service(&ep, cluster, "web", &bridge_td, &network_block(&subnets, &[&web], "")));
    let out = ws.run(&["plan"]);
    assert_eq!(out.code, Some(1), "a bridge task definition refuses the block:\n{}", out.describe());
    assert!(flat(&out.combined()).contains("uses the bridge network mode: network_configuration is not allowed"), "{}", out.combined());

    // Refused by validate.
    ws.write_config(&with_service(&ep, cluster, "web", &td, &network_block(&subnets, &[&web], "    assign_public_ip = true\n")));
    let out = ws.run(&["validate"]);
    assert!(!out.success(), "a public IP on EC2 must fail validate: {}", out.describe());
    let text = flat(&out.combined());
    assert!(text.contains("Assign public IP is not supported for this launch type."), "{}", out.combined());
    assert!(text.contains("assign_public_ip = true"), "the error must point at assign_public_ip:\n{}", out.combined());
    ws.write_config(&with_service(&ep, cluster, "web", &td, "  launch_type     = \"FARGATE\"\n"));
    let out = ws.run(&["validate"]);
    assert!(!out.success(), "FARGATE without the block must fail validate: {}", out.describe());
    let text = flat(&out.combined());
    assert!(text.contains("The FARGATE launch type needs a network_configuration block"), "{}", out.combined());
    assert!(text.contains("launch_type = \"FARGATE\""), "the error must point at launch_type:\n{}", out.combined());

    // Nothing of that reached AWS: the service is as it was.
    ws.write_config(&two_groups);
    assert_no_changes(&ws);
}
