//! `awsecs_task` against moto with the scheduler stand-in (which plays containers that exit with
//! the code their command names, or keep running on `sleep infinity`), also in the awsvpc network
//! mode with a `network_configuration`.

use crate::harness::ecs::{flat, register_instance, register_task_definition, tasks};
use crate::harness::{assert_no_changes, provider_block, Aws, Moto, TfWorkspace};
use crate::service::{eni_subnet, make_group, make_vpc, network_block, register_awsvpc_task_definition, register_instance_in};

fn config(ep: &str, cluster: &str, body: &str) -> String {
    format!("{}\nresource \"awsecs_cluster\" \"c\" {{\n  name = \"{cluster}\"\n}}\n{body}", provider_block(ep))
}

/// A one-off task runs and stops with its exit code recorded; the next plan is empty (it ran once).
/// A long-running one is stopped on destroy. A task that fits nowhere is an error naming the reason.
#[test]
fn run_once() {
    let ws = TfWorkspace::new("task_run_once");
    let moto = Moto::start_with(ws.path(), &["scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "tasks";

    ws.write_config(&config(&ep, cluster, ""));
    ws.apply();
    register_instance(&aws, cluster);
    let job = register_task_definition(&aws, "migrate", "busybox", 128, None, &["sh", "-c", "true"]);

    let once = format!(
        r#"resource "awsecs_task" "migrate" {{
  cluster         = awsecs_cluster.c.name
  task_definition = "{job}"
  started_by      = "terraform-test"
  wait_for        = "stopped"
  container_override {{
    name        = "migrate"
    command     = ["sh", "-c", "exit 3"]
    environment = {{ STEP = "1" }}
  }}
}}
"#
    );
    ws.write_config(&config(&ep, cluster, &once));
    ws.apply();
    let v = ws.resource("awsecs_task.migrate");
    assert_eq!(v["last_status"], "STOPPED", "{v:#}");
    assert_eq!(v["exit_codes"]["migrate"], 3, "{v:#}");
    assert_eq!(v["stopped_reason"], "Essential container in task exited", "{v:#}");
    let arns: Vec<String> = v["task_arns"].as_array().expect("task_arns").iter().filter_map(|a| a.as_str().map(str::to_string)).collect();
    assert_eq!(arns.len(), 1, "{v:#}");
    assert_eq!(v["id"].as_str(), Some(arns[0].as_str()));
    let stopped = tasks(&aws, cluster, "STOPPED");
    let t = stopped.iter().find(|t| t.task_arn() == Some(arns[0].as_str())).expect("the task is known to ECS as STOPPED");
    assert_eq!(t.started_by(), Some("terraform-test"));
    assert_eq!(t.containers()[0].exit_code(), Some(3));
    // It finished: not run again.
    assert_no_changes(&ws);

    // A task that keeps running until destroyed.
    let forever = format!(
        r#"{once}resource "awsecs_task" "worker" {{
  cluster         = awsecs_cluster.c.name
  task_definition = "{job}"
  task_count      = 2
  container_override {{
    name    = "migrate"
    command = ["sleep", "infinity"]
  }}
}}
"#
    );
    ws.write_config(&config(&ep, cluster, &forever));
    ws.apply();
    let w = ws.resource("awsecs_task.worker");
    assert_eq!(w["last_status"], "RUNNING", "{w:#}");
    assert_eq!(w["task_arns"].as_array().map(Vec::len), Some(2));
    assert_eq!(tasks(&aws, cluster, "RUNNING").len(), 2);
    // The refresh of both resources (3 tasks) shares DescribeTasks calls.
    let before = moto.count_calls("DescribeTasks");
    assert_no_changes(&ws);
    let describes = moto.count_calls("DescribeTasks") - before;
    eprintln!("refresh of 3 tasks in 2 resources: {describes} DescribeTasks call(s)");
    assert!((1..=2).contains(&describes), "3 tasks of 2 resources should take 1 call (2 at most): {describes}");

    // Import by CLUSTER/ID,ID plans clean.
    let ids: Vec<String> = w["task_arns"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a.as_str().and_then(|a| a.rsplit('/').next()).map(str::to_string))
        .collect();
    ws.state_rm("awsecs_task.worker");
    ws.import("awsecs_task.worker", &format!("{cluster}/{}", ids.join(",")));
    assert_eq!(ws.resource("awsecs_task.worker")["task_arns"], w["task_arns"]);
    assert_no_changes(&ws);
    ws.write_config(&config(&ep, cluster, &once));
    ws.apply();
    assert!(tasks(&aws, cluster, "RUNNING").is_empty(), "destroying awsecs_task.worker stops its tasks");

    // Bigger than the instance (7482 MiB): the error names ECS's reason.
    let big = register_task_definition(&aws, "big", "busybox", 8000, None, &[]);
    let too_big = format!(
        "{once}resource \"awsecs_task\" \"big\" {{\n  cluster         = awsecs_cluster.c.name\n  task_definition = \"{big}\"\n}}\n"
    );
    ws.write_config(&config(&ep, cluster, &too_big));
    let out = ws.run(&["apply", "-auto-approve"]);
    assert!(!out.success(), "{}", out.describe());
    let text = flat(&out.stderr);
    assert!(text.contains("ECS could not place 1 of 1 task(s)") && text.contains("RESOURCE:MEMORY"), "{}", out.describe());
}

/// A one-off task of an awsvpc task definition runs with its network interface in the configured
/// subnet, and the next plan is empty. Without the block (or with it for a bridge task definition)
/// the plan fails with AWS's reason; a public IP without the FARGATE launch type fails validate.
#[test]
fn runs_in_awsvpc() {
    let ws = TfWorkspace::new("task_awsvpc");
    let moto = Moto::start_with(ws.path(), &["scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "tasks-vpc";

    ws.write_config(&config(&ep, cluster, ""));
    ws.apply();
    let (vpc, subnets) = make_vpc(&aws, 50, 1);
    register_instance_in(&aws, cluster, &subnets[0]);
    let group = make_group(&aws, &vpc, "job");
    let job = register_awsvpc_task_definition(&aws, "vpcjob");
    let bridge_job = register_task_definition(&aws, "bridgejob", "busybox", 128, None, &["sh", "-c", "true"]);
    let task = |td: &str, network: &str| {
        format!(
            "resource \"awsecs_task\" \"job\" {{\n  cluster         = awsecs_cluster.c.name\n  task_definition = \"{td}\"\n  wait_for        = \"stopped\"\n{network}}}\n"
        )
    };

    ws.write_config(&config(&ep, cluster, &task(&job, &network_block(&subnets, &[&group], ""))));
    ws.apply();
    let v = ws.resource("awsecs_task.job");
    assert_eq!(v["last_status"], "STOPPED", "{v:#}");
    assert_eq!(v["exit_codes"]["vpcjob"], 0, "{v:#}");
    let arn = v["id"].as_str().expect("id").to_string();
    let stopped = tasks(&aws, cluster, "STOPPED");
    let t = stopped.iter().find(|t| t.task_arn() == Some(arn.as_str())).expect("the task is known to ECS as STOPPED");
    assert_eq!(eni_subnet(t), Some(subnets[0].clone()), "the task's network interface: {:?}", t.attachments());

    // Refused at plan: an awsvpc task definition without the block, a bridge one with it.
    ws.write_config(&config(&ep, cluster, &task(&job, "")));
    let out = ws.run(&["plan"]);
    assert_eq!(out.code, Some(1), "plan must fail:\n{}", out.describe());
    let text = flat(&out.combined());
    assert!(text.contains("Network Configuration must be provided when networkMode 'awsvpc' is specified."), "{}", out.combined());
    ws.write_config(&config(&ep, cluster, &task(&bridge_job, &network_block(&subnets, &[&group], ""))));
    let out = ws.run(&["plan"]);
    assert_eq!(out.code, Some(1), "plan must fail:\n{}", out.describe());
    assert!(flat(&out.combined()).contains("uses the bridge network mode: network_configuration is not allowed"), "{}", out.combined());

    // Refused by validate: a public IP without the FARGATE launch type.
    ws.write_config(&config(&ep, cluster, &task(&job, &network_block(&subnets, &[&group], "    assign_public_ip = true\n"))));
    let out = ws.run(&["validate"]);
    assert!(!out.success(), "validate must fail: {}", out.describe());
    let text = flat(&out.combined());
    assert!(text.contains("Assign public IP is not supported for this launch type."), "{}", out.combined());
    assert!(text.contains("assign_public_ip = true"), "the error must point at assign_public_ip:\n{}", out.combined());

    // The task that ran is left alone.
    ws.write_config(&config(&ep, cluster, &task(&job, &network_block(&subnets, &[&group], ""))));
    assert_no_changes(&ws);
}
