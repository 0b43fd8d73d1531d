//! `awsecs_service`'s production settings (issue 14), against moto with the scheduler stand-in
//! (which plays target registration, target and container health checks and the deployment circuit
//! breaker, see standins/scheduler.py) and ELBv2 target groups made in moto: a load-balanced
//! service with a health-checked container, ECS Exec and tag propagation, its rolling update and
//! import; a failing deployment that the circuit breaker rolls back; a service whose targets never
//! get healthy; and the load balancer checks at plan time and in CreateService's own words.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::ecs::{deregister_all_instances, describe_service, flat, register_instance, tasks};
use crate::harness::elbv2::{target_groups, targets};
use crate::harness::{assert_no_changes, provider_block, state_addresses, Aws, Moto, TfWorkspace};

const SVC: &str = "awsecs_service.wp";
const PASSING: &str = r#"["CMD-SHELL", "curl -f http://localhost/ || exit 1"]"#;
const FAILING: &str = r#"["CMD-SHELL", "exit 1"]"#;

/// The cluster, a task definition of `image` (bridge mode, container port 80 on a dynamic host port,
/// a container health check `check`, `env` as its environment) and the service with `extra` lines.
fn stack(ep: &str, cluster: &str, image: &str, check: &str, env: &str, extra: &str) -> String {
    format!(
        r#"{provider}
resource "awsecs_cluster" "c" {{
  name = "{cluster}"
}}

resource "awsecs_task_definition" "wp" {{
  family = "wp-{cluster}"
  container {{
    name        = "wordpress"
    image       = "{image}"
    memory      = 256
    environment = {{ {env} }}
    port_mapping {{
      container_port = 80
    }}
    health_check {{
      command  = {check}
      interval = 5
      retries  = 2
    }}
  }}
}}

resource "awsecs_service" "wp" {{
  name            = "wp"
  cluster         = awsecs_cluster.c.name
  task_definition = awsecs_task_definition.wp.arn
{extra}}}
"#,
        provider = provider_block(ep)
    )
}

fn load_balanced(tg: &str) -> String {
    format!(
        r#"  desired_count                      = 2
  deployment_minimum_healthy_percent = 50
  health_check_grace_period_seconds  = 10
  load_balancer {{
    target_group_arn = "{tg}"
    container_name   = "wordpress"
    container_port   = 80
  }}
  deployment_circuit_breaker {{
    enable   = true
    rollback = true
  }}
"#
    )
}

fn ports_of(aws: &Aws, cluster: &str) -> Vec<i64> {
    let mut ports: Vec<i64> = tasks(aws, cluster, "RUNNING")
        .iter()
        .flat_map(|t| t.containers().iter().flat_map(|c| c.network_bindings().iter().filter_map(|b| b.host_port().map(i64::from))))
        .collect();
    ports.sort();
    ports
}

fn target_ports(ep: &str, tg: &str) -> Vec<i64> {
    let mut ports: Vec<i64> = targets(ep, tg).into_iter().map(|(_, port, _)| port).collect();
    ports.sort();
    ports
}

/// Apply behind a load balancer: both tasks registered as healthy targets on their dynamic host
/// ports; ECS Exec, managed tags and tag propagation in AWS; a clean plan and import; a new image
/// rolls out (the targets follow the new tasks); ECS Exec off in place; the load balancer removed
/// deregisters the targets; destroy leaves none.
#[test]
fn behind_a_load_balancer() {
    let ws = TfWorkspace::new("service_lb");
    let moto = Moto::start_with(ws.path(), &["scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "svc-lb";
    let tg = target_groups(&ep)["web"].as_str().expect("target group").to_string();
    let exec = "  enable_execute_command  = true\n  enable_ecs_managed_tags = true\n  propagate_tags          = \"SERVICE\"\n  tags                    = { app = \"wp\" }\n";

    ws.write_config(&format!("{}\nresource \"awsecs_cluster\" \"c\" {{\n  name = \"{cluster}\"\n}}\n", provider_block(&ep)));
    ws.apply();
    register_instance(&aws, cluster);
    let config = |image: &str, extra: &str| stack(&ep, cluster, image, PASSING, "", extra);
    ws.write_config(&config("wordpress:6", &format!("{}{exec}", load_balanced(&tg))));
    ws.apply();

    let v = ws.resource(SVC);
    assert_eq!(v["load_balancer"][0]["target_group_arn"], json!(tg));
    assert_eq!(v["deployment_circuit_breaker"], json!({"enable": true, "rollback": true}));
    assert_eq!((v["enable_execute_command"].clone(), v["propagate_tags"].clone()), (json!(true), json!("SERVICE")));
    let s = describe_service(&aws, cluster, "wp").expect("the service");
    assert_eq!(s.load_balancers()[0].container_port(), Some(80));
    assert!(s.enable_execute_command() && s.enable_ecs_managed_tags());
    let cb = s.deployment_configuration().and_then(|d| d.deployment_circuit_breaker()).expect("a circuit breaker");
    assert!(cb.enable() && cb.rollback());
    let ports = ports_of(&aws, cluster);
    assert_eq!(ports.len(), 2, "two tasks with a host port each: {ports:?}");
    assert!(ports.iter().all(|p| (32768..=65535).contains(p)), "dynamic host ports: {ports:?}");
    assert_eq!(target_ports(&ep, &tg), ports, "each task is a target on its host port");
    assert!(targets(&ep, &tg).iter().all(|(_, _, state)| state == "healthy"), "{:?}", targets(&ep, &tg));
    assert!(
        s.events()
            .iter()
            .any(|e| e.message().unwrap_or_default().contains("registered") && e.message().unwrap_or_default().contains("targets")),
        "{:?}",
        s.events()
    );
    assert_no_changes(&ws);

    ws.state_rm(SVC);
    ws.import(SVC, &format!("{cluster}/wp"));
    assert_no_changes(&ws);

    // A new image (a new revision) rolls out with ECS Exec turned off; the targets are the new tasks.
    ws.write_config(&config("wordpress:6.6", &load_balanced(&tg)));
    ws.apply();
    let new_ports = ports_of(&aws, cluster);
    assert_eq!(target_ports(&ep, &tg), new_ports, "the targets follow the new tasks");
    let s = describe_service(&aws, cluster, "wp").unwrap();
    assert!(!s.enable_execute_command(), "ECS Exec off");
    assert_eq!(s.deployments().len(), 1);
    assert_no_changes(&ws);

    // Without the load balancer: an update, and no target is left registered.
    ws.write_config(&config("wordpress:6.6", "  desired_count = 2\n"));
    assert_eq!(ws.plan_actions(), vec![(SVC.to_string(), vec!["update".to_string()])]);
    ws.apply();
    assert!(targets(&ep, &tg).is_empty(), "{:?}", targets(&ep, &tg));
    assert_no_changes(&ws);

    ws.write_config(&config("wordpress:6.6", &load_balanced(&tg)));
    ws.apply();
    ws.destroy_target(SVC);
    assert!(targets(&ep, &tg).is_empty(), "destroy deregisters every target: {:?}", targets(&ep, &tg));
    deregister_all_instances(&aws, cluster);
    ws.destroy();
}

/// A new revision whose container health check fails: the circuit breaker fails the deployment and
/// rolls back; the apply fails quickly with ECS's reason and says it rolled back; the service runs
/// the old revision again, the state says so, and the next plan offers the new revision again.
#[test]
fn circuit_breaker_rolls_back_a_failing_deployment() {
    let ws = TfWorkspace::new("service_breaker");
    let moto = Moto::start_with(ws.path(), &["scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "svc-breaker";
    let tg = target_groups(&ep)["web"].as_str().expect("target group").to_string();
    ws.write_config(&format!("{}\nresource \"awsecs_cluster\" \"c\" {{\n  name = \"{cluster}\"\n}}\n", provider_block(&ep)));
    ws.apply();
    register_instance(&aws, cluster);
    ws.write_config(&stack(&ep, cluster, "wordpress:6", PASSING, "", &load_balanced(&tg)));
    ws.apply();
    let good = ws.resource("awsecs_task_definition.wp")["arn"].as_str().expect("arn").to_string();

    ws.write_config(&stack(&ep, cluster, "wordpress:6.6", FAILING, "", &load_balanced(&tg)));
    let started = Instant::now();
    let out = ws.run(&["apply", "-auto-approve", "-no-color"]);
    let took = started.elapsed();
    assert!(!out.success(), "{}", out.describe());
    let text = flat(&out.combined());
    assert!(text.contains("did not reach a steady state"), "{}", out.describe());
    assert!(text.contains("circuit breaker"), "ECS's reason is quoted: {}", out.describe());
    assert!(text.contains("rolled back to"), "the rollback is reported: {}", out.describe());
    assert!(text.contains("health checks"), "the failing health checks are quoted: {}", out.describe());
    assert!(took < Duration::from_secs(120), "the breaker ends the wait, not the timeout: {took:?}");

    let s = describe_service(&aws, cluster, "wp").unwrap();
    assert_eq!(s.task_definition(), Some(good.as_str()), "rolled back in AWS");
    assert_eq!(ws.resource(SVC)["task_definition"], json!(good), "the state says what runs");
    let actions = ws.plan_actions();
    assert!(actions.contains(&(SVC.to_string(), vec!["update".to_string()])), "the new revision is offered again: {actions:?}");

    // Fixed forward: a passing health check goes out even though the failed deployment is recent.
    ws.write_config(&stack(&ep, cluster, "wordpress:6.6", PASSING, "", &load_balanced(&tg)));
    ws.apply();
    assert_no_changes(&ws);
    ws.destroy_target(SVC);
    deregister_all_instances(&aws, cluster);
    ws.destroy();
}

/// A service whose targets never pass the target group's health check (the pretend container
/// answers with errors: STANDIN_HTTP=fail): the breaker (without rollback: nothing to go back to on
/// a create) fails the deployment; the error quotes the target group's verdict; the service is in
/// the state (tainted), and destroying it leaves no task and no target.
#[test]
fn unhealthy_targets_fail_the_create() {
    let ws = TfWorkspace::new("service_unhealthy");
    let moto = Moto::start_with(ws.path(), &["scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "svc-unhealthy";
    let tg = target_groups(&ep)["web"].as_str().expect("target group").to_string();
    ws.write_config(&format!("{}\nresource \"awsecs_cluster\" \"c\" {{\n  name = \"{cluster}\"\n}}\n", provider_block(&ep)));
    ws.apply();
    register_instance(&aws, cluster);
    let extra = load_balanced(&tg).replace("rollback = true", "rollback = false");
    ws.write_config(&stack(&ep, cluster, "wordpress:6", PASSING, "STANDIN_HTTP = \"fail\"", &extra));
    let out = ws.run(&["apply", "-auto-approve", "-no-color"]);
    assert!(!out.success(), "{}", out.describe());
    let text = flat(&out.combined());
    assert!(text.contains("circuit breaker"), "{}", out.describe());
    assert!(
        text.contains("is unhealthy in (target-group") || text.contains("ELB health checks"),
        "the target group's verdict: {}",
        out.describe()
    );
    assert!(state_addresses(&ws.show_state()).contains(&SVC.to_string()), "what exists in AWS is in the state");
    ws.destroy_target(SVC);
    assert!(tasks(&aws, cluster, "RUNNING").is_empty());
    assert!(targets(&ep, &tg).is_empty(), "{:?}", targets(&ep, &tg));
    deregister_all_instances(&aws, cluster);
    ws.destroy();
}

/// A container port the task definition lacks is refused at plan, at the attribute, before anything
/// exists; a target group without a load balancer, or of type ip for a bridge-mode task, is refused
/// by CreateService in ECS's words, quoted by the apply, and nothing is left behind.
#[test]
fn load_balancer_mistakes() {
    let ws = TfWorkspace::new("service_lb_mistakes");
    let moto = Moto::start_with(ws.path(), &["scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "svc-lb-bad";
    let groups = target_groups(&ep);
    ws.write_config(&format!("{}\nresource \"awsecs_cluster\" \"c\" {{\n  name = \"{cluster}\"\n}}\n", provider_block(&ep)));
    ws.apply();
    register_instance(&aws, cluster);
    let tg = groups["web"].as_str().unwrap();
    // The task definition exists before the service is planned, as when it is applied first.
    ws.write_config(&stack(&ep, cluster, "wordpress:6", PASSING, "", ""));
    ws.run_ok(&["apply", "-auto-approve", "-target=awsecs_task_definition.wp"]);

    ws.write_config(&stack(
        &ep,
        cluster,
        "wordpress:6",
        PASSING,
        "",
        &load_balanced(tg).replace("container_port   = 80", "container_port   = 8080"),
    ));
    let out = ws.run(&["plan", "-no-color"]);
    assert!(!out.success(), "{}", out.describe());
    let text = flat(&out.combined());
    assert!(text.contains("Container \"wordpress\" of wp-svc-lb-bad:1 has no container port 8080"), "{}", out.describe());
    assert!(text.contains("container_port = 8080"), "points at the attribute: {}", out.describe());

    for (group, words) in [("lonely", "does not have an associated load balancer"), ("ip", "target type ip")] {
        let arn = groups[group].as_str().unwrap();
        ws.write_config(&stack(&ep, cluster, "wordpress:6", PASSING, "", &load_balanced(arn)));
        let out = ws.run(&["apply", "-auto-approve", "-no-color"]);
        assert!(!out.success(), "{group}: {}", out.describe());
        assert!(flat(&out.combined()).contains(words), "{group}: ECS's words {words:?}: {}", out.describe());
    }
    let s = describe_service(&aws, cluster, "wp");
    assert!(s.as_ref().map_or(true, |s| s.status() == Some("INACTIVE")), "no service was made: {s:?}");
    ws.write_config(&stack(&ep, cluster, "wordpress:6", PASSING, "", ""));
    deregister_all_instances(&aws, cluster);
    ws.destroy();
}

/// An ARM64 task definition for a cluster of x86 instances: the plan warns before the apply would
/// wait for a placement ECS never makes (the scheduler stand-in refuses it too, as ECS does).
#[test]
fn arm64_task_definition_on_x86_instances_warns_at_plan() {
    let ws = TfWorkspace::new("service_arm64");
    let moto = Moto::start_with(ws.path(), &["scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "svc-arm";
    let arm = stack(&ep, cluster, "wordpress:6", PASSING, "", "")
        .replace("  family = \"wp-svc-arm\"\n", "  family = \"wp-svc-arm\"\n  runtime_platform {\n    cpu_architecture = \"ARM64\"\n  }\n");
    ws.write_config(&arm);
    ws.run_ok(&["apply", "-auto-approve", "-target=awsecs_task_definition.wp", "-target=awsecs_cluster.c"]);
    register_instance(&aws, cluster);
    let out = ws.run_ok(&["plan", "-no-color"]);
    let text = flat(&out.combined());
    assert!(text.contains("No container instance of cluster \"svc-arm\" is arm64"), "{}", out.describe());
    assert!(text.contains("t3.large"), "names the instance types: {}", out.describe());
    deregister_all_instances(&aws, cluster);
    ws.destroy();
}
