//! What AWS and networks do mid-apply, through real Terraform: the fault layer in front of moto
//! (`standins/faults.py`) throttles, hangs and loses replies; `standins/idempotency.py` plays the
//! client-token idempotency AWS has and moto lacks. Every scenario ends with nothing orphaned or left
//! open in AWS, checked through the SDK.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::ecs::{deregister_all_instances, describe_service, register_instance, register_task_definition, tasks};
use crate::harness::{assert_no_changes, provider_block, state_addresses, Aws, Moto, TfWorkspace};
use crate::rds_link::{create_db, ingress_rules, link_only_config, network};

/// The provider block with the provider's own default retry policy (the harness's block sets
/// `max_retries = 1` to keep ordinary tests fast).
fn default_retries(ep: &str) -> String {
    let block = provider_block(ep);
    assert!(block.contains("  max_retries = 1\n"), "the harness's provider block changed: {block}");
    block.replace("  max_retries = 1\n", "")
}

/// The provider block with `max_retries = 0`: every throttle reaches the provider's own logic.
fn no_retries(ep: &str) -> String {
    provider_block(ep).replace("  max_retries = 1\n", "  max_retries = 0\n")
}

fn flat(text: &str) -> String {
    text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cluster_config(block: &str, name: &str) -> String {
    format!("{block}\nresource \"awsecs_cluster\" \"c\" {{\n  name = \"{name}\"\n}}\n")
}

/// Five throttles on CreateCluster and three on the read after it: the default retry policy rides
/// them out, one cluster exists, and exactly one CreateCluster reached AWS.
#[test]
fn throttling_bursts_on_create_are_ridden_out() {
    let ws = TfWorkspace::new("faults_throttle_create");
    let moto = Moto::start_with(ws.path(), &["faults"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    moto.set_faults(json!([
        {"fault": "throttle", "service": "ecs", "action": "CreateCluster", "count": 5},
        {"fault": "throttle", "service": "ecs", "action": "DescribeClusters", "count": 3},
    ]));
    ws.write_config(&cluster_config(&default_retries(&ep), "storm"));
    ws.apply();
    assert_eq!(moto.faults_applied("throttle"), 8, "{:#}", moto.fault_state());
    assert_eq!(moto.count_calls("CreateCluster"), 1, "one cluster created");
    assert_eq!(aws.cluster_status("storm").as_deref(), Some("ACTIVE"));
    ws.destroy();
    assert!(aws.cluster_is_gone("storm"));
}

/// Throttling bursts on every create of the walkthrough's stack and on the waits' polls, in one
/// apply with the default retry policy: everything is created once, and the next plan is empty.
#[test]
fn throttling_on_every_create_and_poll_is_ridden_out() {
    let ws = TfWorkspace::new("faults_throttle_everything");
    let moto = Moto::start_with(ws.path(), &["faults", "agent", "scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let net = network(&aws, "storm", 62);
    create_db(&aws, "stormdb", &net);
    let burst = |service: &str, action: &str| json!({"fault": "throttle", "service": service, "action": action, "count": 2});
    moto.set_faults(json!([
        burst("ecs", "CreateCluster"),
        burst("ecs", "RegisterTaskDefinition"),
        burst("ec2", "RunInstances"),
        burst("ecs", "DescribeContainerInstances"),
        burst("ecs", "CreateService"),
        burst("ecs", "DescribeServices"),
        burst("ecs", "RunTask"),
        burst("ecs", "DescribeTasks"),
        burst("ec2", "AuthorizeSecurityGroupIngress"),
        burst("rds", "DescribeDBInstances"),
    ]));
    let block = default_retries(&ep);
    ws.write_config(&format!(
        r#"{block}
resource "awsecs_cluster" "c" {{
  name = "storm"
}}
resource "awsecs_container_instance" "node" {{
  cluster       = awsecs_cluster.c.name
  instance_type = "t3.small"
}}
resource "awsecs_task_definition" "web" {{
  family = "storm-web"
  container {{
    name   = "web"
    image  = "nginx:1"
    memory = 128
  }}
}}
resource "awsecs_service" "web" {{
  name            = "web"
  cluster         = awsecs_cluster.c.name
  task_definition = awsecs_task_definition.web.arn
  depends_on      = [awsecs_container_instance.node]
}}
resource "awsecs_task" "job" {{
  cluster         = awsecs_cluster.c.name
  task_definition = awsecs_task_definition.web.arn
  depends_on      = [awsecs_container_instance.node]
}}
resource "awsecs_rds_link" "db" {{
  db_instance_identifier   = "stormdb"
  source_security_group_id = "{web_sg}"
}}
"#,
        web_sg = net.web_sg
    ));
    ws.apply();
    let state = moto.fault_state();
    assert!(moto.faults_applied("throttle") >= 14, "most bursts met their calls: {state:#}");
    for action in ["CreateCluster", "RegisterTaskDefinition", "RunInstances", "CreateService", "RunTask", "AuthorizeSecurityGroupIngress"] {
        assert_eq!(moto.count_calls(action), 1, "{action} reached AWS once: {state:#}");
    }
    assert_eq!(running_instances(&aws).len(), 1);
    ws.destroy();
    assert!(running_instances(&aws).is_empty());
}

/// The figure for the reliability notes: how long the default policy takes to ride out ten
/// throttles in a row. Slow (tens of seconds, by design), so it runs on demand:
/// `cargo test --test acceptance faults::ten_throttles -- --ignored --nocapture`.
#[test]
#[ignore]
fn ten_throttles_in_a_row() {
    let ws = TfWorkspace::new("faults_ten_throttles");
    let moto = Moto::start_with(ws.path(), &["faults"]);
    let ep = moto.endpoint();
    moto.set_faults(json!([{"fault": "throttle", "service": "ecs", "action": "CreateCluster", "count": 10}]));
    ws.write_config(&cluster_config(&default_retries(&ep), "ten"));
    let started = Instant::now();
    ws.run_ok(&["apply", "-auto-approve"]);
    eprintln!("ten throttles on CreateCluster ridden out; the apply took {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(moto.faults_applied("throttle"), 10);
    ws.destroy();
}

/// Six throttled polls in a row during a service's steady-state wait, with no SDK retries at all:
/// the wait treats each as "not yet" and the apply succeeds with the service in the state.
#[test]
fn throttled_polls_do_not_end_a_wait() {
    let ws = TfWorkspace::new("faults_throttle_wait");
    let moto = Moto::start_with(ws.path(), &["faults", "scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "polls";
    ws.write_config(&cluster_config(&no_retries(&ep), cluster));
    ws.apply();
    register_instance(&aws, cluster);
    let td = register_task_definition(&aws, "web", "nginx:1", 256, None, &[]);
    ws.write_config(&format!(
        "{}resource \"awsecs_service\" \"web\" {{\n  name            = \"web\"\n  cluster         = awsecs_cluster.c.name\n  task_definition = \"{td}\"\n}}\n",
        cluster_config(&no_retries(&ep), cluster)
    ));
    // Throttle the polls once the service exists: the wait is what is under test.
    let armed = std::sync::atomic::AtomicBool::new(false);
    let out = std::thread::scope(|s| {
        s.spawn(|| {
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline && moto.count_calls("CreateService") == 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
            moto.set_faults(json!([{"fault": "throttle", "service": "ecs", "action": "DescribeServices", "count": 6}]));
            armed.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        ws.run(&["apply", "-auto-approve"])
    });
    assert!(armed.load(std::sync::atomic::Ordering::SeqCst));
    assert!(out.success(), "the throttled polls must not end the wait: {}", out.describe());
    assert_no_changes(&ws);
    assert_eq!(moto.faults_applied("throttle"), 6, "{:#}", moto.fault_state());
    assert!(state_addresses(&ws.show_state()).contains(&"awsecs_service.web".to_string()));
    let s = describe_service(&aws, cluster, "web").expect("the service");
    assert_eq!(s.running_count(), 1);
    ws.destroy_target("awsecs_service.web");
    deregister_all_instances(&aws, cluster);
    ws.destroy();
}

/// The reply to AuthorizeSecurityGroupIngress is lost (the rule was made) and the SDK's retry meets
/// InvalidPermission.Duplicate: the link still owns the rule, and destroy closes the port.
#[test]
fn a_lost_reply_on_authorize_leaves_no_open_port() {
    let ws = TfWorkspace::new("faults_lost_authorize");
    let moto = Moto::start_with(ws.path(), &["faults"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let net = network(&aws, "lost", 61);
    create_db(&aws, "wpdb", &net);
    moto.set_faults(json!([{"fault": "lose_reply", "service": "ec2", "action": "AuthorizeSecurityGroupIngress", "count": 1}]));
    ws.write_config(&link_only_config(&ep, "wpdb", &net.web_sg, ""));
    ws.apply();
    assert_eq!(moto.faults_applied("lose_reply"), 1, "{:#}", moto.fault_state());
    let v = ws.resource("awsecs_rds_link.db");
    assert_eq!(v["adopted"], false, "the rule was made by this apply: {v:#}");
    let from_web = |rules: &[aws_sdk_ec2::types::SecurityGroupRule]| {
        rules.iter().filter(|r| r.referenced_group_info().and_then(|g| g.group_id()) == Some(net.web_sg.as_str())).count()
    };
    assert_eq!(from_web(&ingress_rules(&aws, &net.db_sg)), 1, "one rule, not two");
    ws.destroy();
    assert_eq!(from_web(&ingress_rules(&aws, &net.db_sg)), 0, "destroy must close the database port");
}

/// The reply to CreateService is lost (the service was made): the retry carries the same client
/// token, so AWS answers with the same service; one service, in the state, nothing orphaned.
#[test]
fn a_lost_reply_on_create_service_orphans_nothing() {
    let ws = TfWorkspace::new("faults_lost_create_service");
    let moto = Moto::start_with(ws.path(), &["faults", "idempotency", "scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "lost-svc";
    ws.write_config(&cluster_config(&provider_block(&ep), cluster));
    ws.apply();
    register_instance(&aws, cluster);
    let td = register_task_definition(&aws, "web", "nginx:1", 256, None, &[]);
    moto.set_faults(json!([{"fault": "lose_reply", "service": "ecs", "action": "CreateService", "count": 1}]));
    ws.write_config(&format!(
        "{}resource \"awsecs_service\" \"web\" {{\n  name            = \"web\"\n  cluster         = awsecs_cluster.c.name\n  task_definition = \"{td}\"\n}}\n",
        cluster_config(&provider_block(&ep), cluster)
    ));
    ws.apply();
    assert_eq!(moto.faults_applied("lose_reply"), 1, "{:#}", moto.fault_state());
    assert_eq!(moto.count_calls("CreateService"), 1, "the retry was answered from the first call");
    assert_eq!(tasks(&aws, cluster, "RUNNING").len(), 1, "one task for desired 1: nothing orphaned");
    ws.destroy_target("awsecs_service.web");
    deregister_all_instances(&aws, cluster);
    ws.destroy();
    assert!(describe_service(&aws, cluster, "web").map_or(true, |s| s.status() == Some("INACTIVE")));
}

/// The reply to RunInstances is lost (the instance was launched): the SDK's retry carries the same
/// ClientToken, so EC2 launches nothing more; one instance, in the state.
#[test]
fn a_lost_reply_on_run_instances_launches_one_instance() {
    let ws = TfWorkspace::new("faults_lost_run_instances");
    let moto = Moto::start_with(ws.path(), &["faults", "idempotency", "agent"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    moto.set_faults(json!([{"fault": "lose_reply", "service": "ec2", "action": "RunInstances", "count": 1}]));
    ws.write_config(&format!(
        "{}resource \"awsecs_container_instance\" \"node\" {{\n  cluster       = awsecs_cluster.c.name\n  instance_type = \"t3.micro\"\n}}\n",
        cluster_config(&provider_block(&ep), "lost-ec2")
    ));
    ws.apply();
    assert_eq!(moto.faults_applied("lose_reply"), 1, "{:#}", moto.fault_state());
    assert_eq!(running_instances(&aws).len(), 1, "one instance, not two");
    ws.destroy();
    assert!(running_instances(&aws).is_empty());
}

/// The reply to RunTask is lost: one task runs, and it is the one in the state.
#[test]
fn a_lost_reply_on_run_task_starts_one_task() {
    let ws = TfWorkspace::new("faults_lost_run_task");
    let moto = Moto::start_with(ws.path(), &["faults", "idempotency", "scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "lost-task";
    ws.write_config(&cluster_config(&provider_block(&ep), cluster));
    ws.apply();
    register_instance(&aws, cluster);
    let td = register_task_definition(&aws, "job", "busybox", 128, None, &["sleep", "infinity"]);
    moto.set_faults(json!([{"fault": "lose_reply", "service": "ecs", "action": "RunTask", "count": 1}]));
    ws.write_config(&format!(
        "{}resource \"awsecs_task\" \"job\" {{\n  cluster         = awsecs_cluster.c.name\n  task_definition = \"{td}\"\n}}\n",
        cluster_config(&provider_block(&ep), cluster)
    ));
    ws.apply();
    assert_eq!(moto.faults_applied("lose_reply"), 1, "{:#}", moto.fault_state());
    let running = tasks(&aws, cluster, "RUNNING");
    assert_eq!(running.len(), 1, "one task, not two: {running:?}");
    let v = ws.resource("awsecs_task.job");
    assert_eq!(v["task_arns"][0].as_str(), running[0].task_arn());
    ws.destroy_target("awsecs_task.job");
    assert!(tasks(&aws, cluster, "RUNNING").is_empty(), "destroy stopped the task");
    deregister_all_instances(&aws, cluster);
    ws.destroy();
}

/// The reply to RegisterTaskDefinition is lost (the revision was registered; the call has no client
/// token): the revision is found, not registered twice, and it is the one in the state.
#[test]
fn a_lost_reply_on_register_task_definition_registers_one_revision() {
    let ws = TfWorkspace::new("faults_lost_register");
    let moto = Moto::start_with(ws.path(), &["faults"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    moto.set_faults(json!([{"fault": "lose_reply", "service": "ecs", "action": "RegisterTaskDefinition", "count": 1}]));
    ws.write_config(&format!(
        "{}\nresource \"awsecs_task_definition\" \"web\" {{\n  family = \"lost-td\"\n  container {{\n    name   = \"web\"\n    image  = \"nginx:1\"\n    memory = 256\n  }}\n}}\n",
        provider_block(&ep)
    ));
    ws.apply();
    assert_eq!(moto.faults_applied("lose_reply"), 1, "{:#}", moto.fault_state());
    let revisions = aws
        .block_on(aws.ecs.list_task_definitions().family_prefix("lost-td").status(aws_sdk_ecs::types::TaskDefinitionStatus::Active).send())
        .expect("ListTaskDefinitions")
        .task_definition_arns()
        .to_vec();
    assert_eq!(revisions.len(), 1, "one revision, not an orphan and a copy: {revisions:?}");
    assert_eq!(ws.resource("awsecs_task_definition.web")["arn"].as_str(), Some(revisions[0].as_str()));
    ws.destroy();
}

/// A call that never answers during a wait: the apply ends within the resource's timeout plus a
/// few seconds (not the SDK's attempt timeout, not forever), and the instance is in the state.
#[test]
fn a_hung_call_during_a_wait_ends_within_the_timeout() {
    let ws = TfWorkspace::new("faults_hung_wait");
    let moto = Moto::start_with(ws.path(), &["faults"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    moto.set_faults(json!([{"fault": "hang", "service": "ec2", "action": "DescribeInstances", "count": -1, "seconds": 120}]));
    ws.write_config(&format!(
        "{}resource \"awsecs_container_instance\" \"node\" {{\n  cluster       = awsecs_cluster.c.name\n  instance_type = \"t3.micro\"\n  timeouts {{\n    create = \"10s\"\n  }}\n}}\n",
        cluster_config(&provider_block(&ep), "hung")
    ));
    let out = ws.run(&["apply", "-auto-approve"]);
    assert!(!out.success(), "{}", out.describe());
    assert!(out.duration < Duration::from_secs(40), "the hung call held the apply for {:?}", out.duration);
    assert!(flat(&out.combined()).contains("Timed out after 10s"), "{}", out.combined());
    let v = ws.resource("awsecs_container_instance.node");
    let id = v["instance_id"].as_str().expect("the launched instance is in the state").to_string();
    moto.set_faults(json!([]));
    ws.destroy();
    assert!(!running_instances(&aws).contains(&id));
}

/// Ctrl-C in a terminal during a container instance's registration wait: the SIGINT reaches the
/// provider too, which keeps running; Terraform's StopProvider ends the wait within seconds, the
/// instance is in the state (tainted), and destroy deals with it. Nothing runs that the state does
/// not know.
#[test]
fn ctrl_c_during_a_registration_wait_keeps_the_instance_in_the_state() {
    let ws = TfWorkspace::new("faults_ctrl_c");
    // No agent: the instance never registers, so the wait would run its whole timeout.
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    ws.write_config(&format!(
        "{}resource \"awsecs_container_instance\" \"node\" {{\n  cluster       = awsecs_cluster.c.name\n  instance_type = \"t3.micro\"\n}}\n",
        cluster_config(&provider_block(&ep), "interrupted")
    ));
    let launched_at = std::sync::Mutex::new(None::<Instant>);
    let when = || {
        let mut at = launched_at.lock().unwrap_or_else(|e| e.into_inner());
        if at.is_none() && moto.count_calls("RunInstances") > 0 {
            *at = Some(Instant::now());
        }
        at.is_some_and(|t| t.elapsed() > Duration::from_secs(2))
    };
    let out = ws.run_interrupted(&["apply", "-auto-approve"], &[], &when);
    assert!(!out.success(), "{}", out.describe());
    let since = launched_at.lock().unwrap_or_else(|e| e.into_inner()).map(|t| t.elapsed()).expect("RunInstances was called");
    assert!(since < Duration::from_secs(30), "the apply ended {since:?} after the launch");
    let text = flat(&out.combined());
    assert!(!text.contains("Plugin did not respond"), "the provider must survive the interrupt: {text}");
    assert!(text.contains("Interrupted while waiting"), "{text}");
    let v = ws.resource("awsecs_container_instance.node");
    let id = v["instance_id"].as_str().expect("the launched instance is in the state").to_string();
    assert_eq!(running_instances(&aws), vec![id.clone()], "nothing runs that the state does not know");
    let raw = ws.run_ok(&["state", "pull"]);
    assert!(raw.stdout.contains("\"status\": \"tainted\""), "{}", raw.stdout);
    ws.destroy();
    assert!(running_instances(&aws).is_empty());
}

fn running_instances(aws: &Aws) -> Vec<String> {
    let out = aws.block_on(aws.ec2.describe_instances().send()).expect("DescribeInstances");
    out.reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter(|i| i.state().and_then(|s| s.name()).is_some_and(|n| n.as_str() != "terminated"))
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect()
}
