//! `awsecs_capacity_provider`: an Auto Scaling group behind an ECS capacity provider, in the VPC
//! the configuration picks. Lifecycle (apply, clean re-plan, an instance terminated outside
//! Terraform comes back, scale up and down in place), the cluster's other capacity providers left
//! alone, import, plan-time errors, and a destroy that leaves nothing behind.

use serde_json::Value;

use crate::harness::aws::err_text;
use crate::harness::{assert_no_changes, provider_block, Aws, Moto, TfWorkspace};
use crate::service::{make_group, make_vpc};

const ADDR: &str = "awsecs_capacity_provider.web";

fn config(ep: &str, cluster: &str, subnets: &[String], group: &str, body: &str) -> String {
    let subnets = subnets.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
    format!(
        r#"{}
resource "awsecs_cluster" "c" {{
  name = "{cluster}"
}}

resource "awsecs_capacity_provider" "web" {{
  cluster            = awsecs_cluster.c.name
  name               = "{cluster}-web"
  instance_type      = "t3.small"
  subnet_ids         = [{subnets}]
  security_group_ids = ["{group}"]
{body}}}
"#,
        provider_block(ep)
    )
}

fn n(v: &Value, key: &str) -> i64 {
    v[key].as_i64().unwrap_or_else(|| panic!("{key} is not a number in {v:#}"))
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not a list in {v:#}"))
        .iter()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn group_instances(aws: &Aws, name: &str) -> Vec<String> {
    let out = aws
        .block_on(aws.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(name).send())
        .unwrap_or_else(|e| panic!("DescribeAutoScalingGroups: {}", err_text(&e)));
    out.auto_scaling_groups()
        .first()
        .map(|g| g.instances().iter().filter_map(|i| i.instance_id().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn group_exists(aws: &Aws, name: &str) -> bool {
    let out = aws
        .block_on(aws.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(name).send())
        .unwrap_or_else(|e| panic!("DescribeAutoScalingGroups: {}", err_text(&e)));
    !out.auto_scaling_groups().is_empty()
}

/// The group is deleted and each of its instances terminated.
#[track_caller]
fn assert_group_gone(aws: &Aws, asg: &str, instances: &[String]) {
    assert!(!group_exists(aws, asg), "the group is deleted");
    for id in instances {
        let state = aws
            .block_on(aws.ec2.describe_instances().instance_ids(id).send())
            .ok()
            .and_then(|o| o.reservations().first()?.instances().first()?.state()?.name().map(|s| s.as_str().to_string()));
        assert!(matches!(state.as_deref(), None | Some("terminated")), "{id} is {state:?}");
    }
}

fn cluster_providers(aws: &Aws, cluster: &str) -> Vec<String> {
    aws.describe_cluster(cluster).map(|c| c.capacity_providers().to_vec()).unwrap_or_default()
}

fn active_container_instances(aws: &Aws, cluster: &str) -> usize {
    let out = aws
        .block_on(aws.ecs.list_container_instances().cluster(cluster).status(aws_sdk_ecs::types::ContainerInstanceStatus::Active).send())
        .unwrap_or_else(|e| panic!("ListContainerInstances: {}", err_text(&e)));
    out.container_instance_arns().len()
}

#[test]
fn lifecycle_heals_scales_in_place_and_destroys_in_order() {
    let ws = TfWorkspace::new("capacity_lifecycle");
    let moto = Moto::start_with(ws.path(), &["agent", "scheduler", "capacity"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let (vpc, subnets) = make_vpc(&aws, 71, 2);
    let group = make_group(&aws, &vpc, "web");
    let cluster = "cap";

    // Another capacity provider of the cluster, made outside Terraform: it must stay.
    let body =
        "  min_size = 1\n  max_size = 3\n  managed_scaling {\n    target_capacity = 90\n  }\n  default_strategy {\n    weight = 1\n  }\n";
    ws.write_config(&config(&ep, cluster, &subnets, &group, body));
    let out = ws.apply();
    assert!(out.stdout.contains("Creation complete"), "{}", out.describe());

    let v = ws.resource(ADDR);
    let asg = v["auto_scaling_group_name"].as_str().expect("group name").to_string();
    assert_eq!(asg, format!("awsecs-{cluster}-{cluster}-web"));
    assert_eq!(n(&v, "registered_count"), 1, "{v:#}");
    assert_eq!(strings(&v, "instance_ids").len(), 1);
    assert_eq!(strings(&v, "container_instance_arns").len(), 1);
    assert!(v["ami_id"].as_str().is_some_and(|a| a.starts_with("ami-")), "the recommended image: {v:#}");
    assert_eq!(group_instances(&aws, &asg).len(), 1);
    assert_eq!(cluster_providers(&aws, cluster), vec![format!("{cluster}-web")]);
    let strategy = aws.describe_cluster(cluster).unwrap().default_capacity_provider_strategy().to_vec();
    assert_eq!(strategy.len(), 1, "the default strategy names it: {strategy:?}");
    assert_eq!(v["managed_scaling"]["target_capacity"].as_i64(), Some(90));

    // An instance terminated outside Terraform: the group replaces it, the plan stays clean.
    let first = strings(&v, "instance_ids")[0].clone();
    aws.block_on(aws.ec2.terminate_instances().instance_ids(&first).send())
        .unwrap_or_else(|e| panic!("TerminateInstances: {}", err_text(&e)));
    let now = group_instances(&aws, &asg);
    assert_eq!(now.len(), 1, "the group launched a replacement");
    assert_ne!(now[0], first);
    assert_no_changes(&ws);
    ws.run_ok(&["apply", "-refresh-only", "-auto-approve"]);
    let v = ws.resource(ADDR);
    assert_eq!(strings(&v, "instance_ids"), now, "the refresh sees the replacement");
    assert_eq!(n(&v, "registered_count"), 1, "and it joined the cluster: {v:#}");

    // Scale up, then down, in place.
    let arn = v["arn"].as_str().unwrap().to_string();
    ws.write_config(&config(&ep, cluster, &subnets, &group, &body.replace("min_size = 1", "min_size = 2")));
    let plan = ws.plan_actions();
    assert_eq!(plan, vec![(ADDR.to_string(), vec!["update".to_string()])], "sizes change in place");
    ws.apply();
    let v = ws.resource(ADDR);
    assert_eq!(v["arn"].as_str(), Some(arn.as_str()));
    assert_eq!(n(&v, "registered_count"), 2, "create-side wait after a scale-up: {v:#}");
    assert_eq!(active_container_instances(&aws, cluster), 2);
    ws.write_config(&config(&ep, cluster, &subnets, &group, body));
    ws.apply();
    assert_eq!(n(&ws.resource(ADDR), "min_size"), 1);

    // A new instance type is a new launch template version, in place.
    let version = n(&ws.resource(ADDR), "launch_template_version");
    ws.write_config(&config(&ep, cluster, &subnets, &group, body).replace("t3.small", "t3.medium"));
    assert_eq!(ws.plan_actions(), vec![(ADDR.to_string(), vec!["update".to_string()])]);
    ws.apply();
    assert_eq!(n(&ws.resource(ADDR), "launch_template_version"), version + 1);

    // More instance types: a mixed instances policy over the template, in place; and back.
    let medium = config(&ep, cluster, &subnets, &group, body).replace("t3.small", "t3.medium");
    ws.write_config(&medium.replace("  min_size = 1\n", "  min_size = 1\n  mixed_instance_types = [\"t3a.medium\", \"m5.large\"]\n"));
    assert_eq!(ws.plan_actions(), vec![(ADDR.to_string(), vec!["update".to_string()])]);
    ws.apply();
    let policy = aws
        .block_on(aws.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(&asg).send())
        .unwrap_or_else(|e| panic!("DescribeAutoScalingGroups: {}", err_text(&e)))
        .auto_scaling_groups()[0]
        .mixed_instances_policy()
        .cloned()
        .expect("a mixed instances policy");
    let types: Vec<&str> = policy.launch_template().unwrap().overrides().iter().filter_map(|o| o.instance_type()).collect();
    assert_eq!(types, vec!["t3.medium", "t3a.medium", "m5.large"]);
    assert_eq!(strings(&ws.resource(ADDR), "mixed_instance_types"), vec!["t3a.medium", "m5.large"]);
    ws.write_config(&medium);
    ws.apply();
    assert!(ws.resource(ADDR)["mixed_instance_types"].is_null());

    // With instance_refresh, a new template version also replaces the running instances.
    let before = group_instances(&aws, &asg);
    let refreshing = medium.replace("  min_size = 1\n", "  min_size = 1\n  instance_refresh = true\n");
    ws.write_config(&refreshing);
    ws.apply();
    assert_eq!(group_instances(&aws, &asg), before, "turning it on replaces nothing by itself");
    ws.write_config(&refreshing.replace("t3.medium", "t3.large"));
    ws.apply();
    let after = group_instances(&aws, &asg);
    assert!(!after.is_empty() && after.iter().all(|i| !before.contains(i)), "every instance was replaced: {before:?} -> {after:?}");
    let types: Vec<String> = after
        .iter()
        .filter_map(|id| {
            let out = aws.block_on(aws.ec2.describe_instances().instance_ids(id).send()).ok()?;
            Some(out.reservations().first()?.instances().first()?.instance_type()?.as_str().to_string())
        })
        .collect();
    assert!(types.iter().all(|t| t == "t3.large"), "the replacements run the new version: {types:?}");
    assert_eq!(n(&ws.resource(ADDR), "registered_count"), after.len() as i64);
    ws.write_config(&medium);
    ws.apply();

    // Import by name gives the same state back.
    ws.state_rm(ADDR);
    ws.import(ADDR, &format!("{cluster}-web"));
    assert_no_changes(&ws);

    // Destroy: nothing left (group, instances, capacity provider, launch template), in order.
    let lt = ws.resource(ADDR)["launch_template_id"].as_str().unwrap().to_string();
    let instances = group_instances(&aws, &asg);
    ws.destroy();
    assert_group_gone(&aws, &asg, &instances);
    let cps = aws
        .block_on(aws.ecs.describe_capacity_providers().capacity_providers(format!("{cluster}-web")).send())
        .map(|o| o.capacity_providers().iter().filter(|c| c.status().map(|s| s.as_str()) == Some("ACTIVE")).count())
        .unwrap_or(0);
    assert_eq!(cps, 0, "the capacity provider is deleted");
    let lts = aws.block_on(aws.ec2.describe_launch_templates().launch_template_ids(&lt).send());
    assert!(lts.map(|o| o.launch_templates().is_empty()).unwrap_or(true), "the launch template is deleted");
    assert!(aws.cluster_is_gone(cluster));
}

#[test]
fn plan_time_errors_name_the_argument() {
    let ws = TfWorkspace::new("capacity_errors");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let (vpc, subnets) = make_vpc(&aws, 72, 1);
    let (_, others) = make_vpc(&aws, 73, 1);
    let group = make_group(&aws, &vpc, "web");

    let two_vpcs = vec![subnets[0].clone(), others[0].clone()];
    ws.write_config(&config(&ep, "errs", &two_vpcs, &group, "  min_size = 1\n  max_size = 2\n"));
    let out = ws.run(&["plan", "-input=false"]);
    assert!(!out.success(), "{}", out.describe());
    let text = flat(&out.combined());
    assert!(text.contains("The subnets are not all in one VPC"), "{}", out.describe());
    assert!(text.contains("subnet_ids"), "the attribute is named: {}", out.describe());

    ws.write_config(&config(&ep, "errs", &subnets, &group, "  min_size = 3\n  max_size = 2\n  managed_termination_protection = true\n"));
    // (min above max is an error; protection without managed scaling a warning beside it)
    let out = ws.run(&["validate"]);
    assert!(!out.success());
    let text = flat(&out.combined());
    assert!(text.contains("min_size is above max_size"), "{}", out.describe());
    assert!(text.contains("Managed termination protection needs managed scaling"), "{}", out.describe());
    assert_eq!(moto.count_calls("CreateAutoScalingGroup"), 0);

    ws.write_config(
        &config(&ep, "errs", &subnets, &group, "  min_size = 1\n  max_size = 2\n")
            .replace("name               = \"errs-web\"", "name               = \"ecs-web\""),
    );
    let out = ws.run(&["validate"]);
    assert!(!out.success() && flat(&out.combined()).contains("starts with \"ecs\""), "{}", out.describe());
}

/// examples/wordpress the wizard's way, in the database's VPC: the service's task runs through the
/// capacity provider strategy on the group's instance, the plan is clean, and the destroy leaves
/// nothing (groups, templates, providers, instances).
#[test]
fn the_example_runs_wordpress_on_a_capacity_provider() {
    let mut ws = TfWorkspace::new("capacity_example");
    let moto = Moto::start_with(ws.path(), &["agent", "scheduler", "capacity"]);
    let aws = Aws::new(&moto.endpoint());
    crate::generate_config::apply_wordpress(&mut ws, &moto, &[("capacity", "provider")]);
    assert_no_changes(&ws);

    let cp = ws.resource("awsecs_capacity_provider.web[0]");
    assert_eq!(n(&cp, "registered_count"), 1, "{cp:#}");
    let link = ws.resource("awsecs_rds_link.db");
    assert_eq!(link["vpc_id"], cp["vpc_id"], "the instances are in the database's VPC");
    let svc = crate::harness::ecs::describe_service(&aws, "wordpress", "wordpress").expect("the service");
    let strategy: Vec<&str> = svc.capacity_provider_strategy().iter().map(|i| i.capacity_provider()).collect();
    assert_eq!(strategy, vec!["wordpress-web"], "the service runs through the capacity provider");
    assert_eq!(svc.running_count(), 1, "its task runs");
    let tasks = crate::harness::ecs::tasks(&aws, "wordpress", "RUNNING");
    let ci = tasks[0].container_instance_arn().expect("placed on an instance").to_string();
    assert!(strings(&cp, "container_instance_arns").contains(&ci), "on the group's instance: {ci} not in {cp:#}");
    let state = ws.resource("awsecs_service.wordpress");
    assert!(state["launch_type"].is_null(), "no launch type with a strategy: {state:#}");

    // A one-off task through the same strategy.
    let small = crate::harness::ecs::register_task_definition(&aws, "once", "busybox", 64, None, &["sleep", "3600"]);
    std::fs::write(
        ws.path().join("task.tf"),
        format!("resource \"awsecs_task\" \"once\" {{\n  cluster         = awsecs_cluster.wordpress.name\n  task_definition = \"{small}\"\n  capacity_provider_strategy {{\n    capacity_provider = awsecs_capacity_provider.web[0].name\n  }}\n}}\n"),
    )
    .expect("write task.tf");
    ws.apply();
    let task = ws.resource("awsecs_task.once");
    let arn = task["id"].as_str().expect("task arn").to_string();
    let described = aws
        .block_on(aws.ecs.describe_tasks().cluster("wordpress").tasks(&arn).send())
        .unwrap_or_else(|e| panic!("DescribeTasks: {}", err_text(&e)));
    let t = &described.tasks()[0];
    assert_eq!(t.capacity_provider_name(), Some("wordpress-web"), "run through the capacity provider");
    assert!(strings(&ws.resource("awsecs_capacity_provider.web[0]"), "container_instance_arns")
        .iter()
        .any(|c| Some(c.as_str()) == t.container_instance_arn()));

    let asg = cp["auto_scaling_group_name"].as_str().unwrap().to_string();
    let instances = group_instances(&aws, &asg);
    ws.destroy();
    assert_group_gone(&aws, &asg, &instances);
    assert!(aws.cluster_is_gone("wordpress"));
}
