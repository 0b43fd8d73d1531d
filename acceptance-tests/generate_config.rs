//! Config-driven import (Terraform 1.5+): `import {}` blocks and `terraform plan
//! -generate-config-out` write configuration for every resource of the walkthrough's stack that
//! validates, plans only the imports, and is clean after the apply.

use std::process::Command;

use crate::harness::ecs::register_task_definition;
use crate::harness::{
    assert_no_changes, moto_python_bin, newer_terraform_since, provider_block, repo_root, skip_in_newer_leg, Aws, Moto, TfWorkspace,
};

/// Applies examples/wordpress (with the walkthrough's prerequisites made by scripts/demo_prereqs.py)
/// in `ws`, against `moto`, with `vars` set too.
pub(crate) fn apply_wordpress(ws: &mut TfWorkspace, moto: &Moto, vars: &[(&str, &str)]) {
    let ep = moto.endpoint();
    let prereqs = Command::new(moto_python_bin())
        .arg(repo_root().join("scripts").join("demo_prereqs.py"))
        .arg(&ep)
        .output()
        .expect("run demo_prereqs.py");
    assert!(prereqs.status.success(), "demo_prereqs.py: {}", String::from_utf8_lossy(&prereqs.stderr));
    std::fs::write(ws.path().join("terraform.tfvars.json"), &prereqs.stdout).expect("write tfvars");
    for f in ["main.tf", "variables.tf", "outputs.tf"] {
        std::fs::copy(repo_root().join("examples").join("wordpress").join(f), ws.path().join(f)).expect("copy the example");
    }
    let extra: serde_json::Map<String, serde_json::Value> =
        vars.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect();
    std::fs::write(ws.path().join("extra.auto.tfvars.json"), serde_json::Value::Object(extra).to_string()).expect("write tfvars");
    ws.set_env("AWS_ENDPOINT_URL", &ep);
    ws.apply();
}

fn text<'a>(v: &'a serde_json::Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} is not a string in {v:#}"))
}

#[test]
fn generated_configuration_validates_and_plans_clean_for_every_resource() {
    if skip_in_newer_leg("generated_configuration_validates_and_plans_clean_for_every_resource") {
        return;
    }
    let Some(newer) = newer_terraform_since(5, "`import` blocks with -generate-config-out") else {
        eprintln!("skipped: no Terraform newer than 1.0.3 on this machine (set AWSECS_ACC_NEWER_TERRAFORM); import blocks need 1.5+");
        return;
    };
    let mut source = TfWorkspace::new("generate_source");
    source.use_terraform(newer.clone());
    let moto = Moto::start_with(source.path(), &["agent", "scheduler", "capacity"]);
    apply_wordpress(&mut source, &moto, &[]);
    // A one-off task beside the service (a small task definition without a host port, so it fits
    // on the same instance).
    let aws = Aws::new(&moto.endpoint());
    let small = register_task_definition(&aws, "once", "busybox", 64, None, &["sleep", "3600"]);
    std::fs::write(
        source.path().join("task.tf"),
        format!("resource \"awsecs_task\" \"once\" {{\n  cluster         = awsecs_cluster.wordpress.name\n  task_definition = \"{small}\"\n}}\n"),
    )
    .expect("write task.tf");
    // And a capacity provider (an empty group: its instances would only crowd the stack).
    let subnet = source.resource("awsecs_container_instance.web[0]")["subnet_id"].as_str().expect("subnet").to_string();
    std::fs::write(
        source.path().join("capacity.tf"),
        format!("resource \"awsecs_capacity_provider\" \"spare\" {{\n  cluster       = awsecs_cluster.wordpress.name\n  name          = \"wordpress-spare\"\n  instance_type = \"t3.small\"\n  subnet_ids    = [\"{subnet}\"]\n  min_size      = 0\n  max_size      = 1\n}}\n"),
    )
    .expect("write capacity.tf");
    source.apply();

    let cluster = source.resource("awsecs_cluster.wordpress");
    let instance = source.resource("awsecs_container_instance.web[0]");
    let link = source.resource("awsecs_rds_link.db");
    let td = source.resource("awsecs_task_definition.wordpress");
    let service = source.resource("awsecs_service.wordpress");
    let task = source.resource("awsecs_task.once");
    let task_id = text(&task, "id").rsplit('/').next().unwrap().to_string();
    let imports = [
        ("awsecs_cluster.wordpress", text(&cluster, "name").to_string()),
        ("awsecs_container_instance.web", text(&instance, "instance_id").to_string()),
        ("awsecs_rds_link.db", text(&link, "id").to_string()),
        ("awsecs_task_definition.wordpress", text(&td, "arn").to_string()),
        ("awsecs_service.wordpress", format!("{}/{}", text(&service, "cluster"), text(&service, "name"))),
        ("awsecs_task.once", format!("{}/{task_id}", text(&task, "cluster"))),
        ("awsecs_capacity_provider.spare", "wordpress-spare".to_string()),
    ];

    let mut ws = TfWorkspace::new("generate_import");
    ws.use_terraform(newer);
    let mut config = provider_block(&moto.endpoint());
    for (to, id) in &imports {
        config.push_str(&format!("import {{\n  to = {to}\n  id = \"{id}\"\n}}\n"));
    }
    ws.write_config(&config);
    let out = ws.run(&["plan", "-input=false", "-generate-config-out=generated.tf"]);
    assert!(out.success(), "plan with -generate-config-out: {}", out.describe());
    let generated = std::fs::read_to_string(ws.path().join("generated.tf")).expect("generated.tf");
    for (to, _) in &imports {
        let (ty, name) = to.split_once('.').unwrap();
        assert!(generated.contains(&format!("resource \"{ty}\" \"{name}\"")), "{to} is generated:\n{generated}");
    }
    // Terraform's own warnings (dev_overrides, "Config generation is experimental") are the only ones.
    let all = out.combined();
    let ours: Vec<&str> = all
        .lines()
        .filter(|l| l.starts_with("Warning:"))
        .filter(|l| !l.contains("development overrides") && !l.contains("Config generation is experimental"))
        .collect();
    assert!(ours.is_empty(), "generation must not warn: {ours:?}\n{}", out.describe());

    let out = ws.run(&["validate"]);
    assert!(out.success(), "the generated configuration validates:\n{generated}\n{}", out.describe());
    let out = ws.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert!(
        out.combined().contains(&format!("Plan: {} to import, 0 to add, 0 to change, 0 to destroy", imports.len())),
        "the plan only imports (no change, no replacement):\n{generated}\n{}",
        out.describe()
    );
    let out = ws.run(&["apply", "-input=false", "-auto-approve"]);
    assert!(out.success(), "{}", out.describe());
    assert_no_changes(&ws);

    // The objects belong to the source workspace, which destroys them.
    drop(ws);
    source.destroy();
}
