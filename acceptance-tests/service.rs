//! `awsecs_service` against moto with the scheduler stand-in (standins/scheduler.py): steady state,
//! rollout of a new revision, scaling, import, replacement with the same name, destroy, a task that
//! cannot be placed, the plan-time capacity warning, and batched refreshes.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::ecs::{deregister_all_instances, describe_service, flat, register_instance, register_task_definition, tasks};
use crate::harness::{assert_no_changes, provider_block, state_addresses, Aws, Moto, TfWorkspace};

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
