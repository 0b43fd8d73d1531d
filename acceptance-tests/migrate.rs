//! Migration from hashicorp/aws: a state holding `aws_ecs_cluster`, `aws_ecs_task_definition` and
//! `aws_ecs_service` objects (for objects that exist in moto) is handed to awsecs with `moved`
//! blocks. The plan replaces nothing, the apply changes nothing in AWS, and the next plan is empty.
//!
//! hashicorp's binary cannot be fetched here, so Terraform loads the state's hashicorp/aws objects
//! through `awsecs-test-double-aws` (acceptance-tests/aws_double/): a schema-only double serving
//! the published schemas of those three types, through `dev_overrides`.

use std::path::PathBuf;

use aws_sdk_ecs::types::{ContainerDefinition, KeyValuePair, PortMapping, TransportProtocol};
use serde_json::{json, Value};

use crate::harness::aws::err_text;
use crate::harness::ecs::{deregister_all_instances, register_instance};
use crate::harness::{
    assert_no_changes, newer_terraform_since, provider_block, provider_dir, skip_in_newer_leg, Aws, Moto, TfWorkspace, ACCOUNT_ID, REGION,
};

const FIXTURES: &str = include_str!("aws_double/example_states.json");

/// A directory whose only entry is `terraform-provider-aws`, the double.
fn double_dir(ws: &TfWorkspace) -> PathBuf {
    let dir = ws.path().join("aws-double");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_awsecs-test-double-aws"), dir.join("terraform-provider-aws"))
        .expect("symlink the double");
    dir
}

/// A CLI config with both overrides: awsecs under test, hashicorp/aws the double.
fn use_double(ws: &TfWorkspace) {
    let rc = format!(
        "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/awsecs/awsecs\" = \"{}\"\n    \"registry.terraform.io/hashicorp/aws\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
        provider_dir().display(),
        double_dir(ws).display()
    );
    ws.write_cli_config(&rc);
}

/// A version-4 state of `(type, name, schema_version, attributes)` objects of hashicorp/aws.
fn write_state(ws: &TfWorkspace, objects: &[(&str, &str, i64, Value)]) {
    let resources: Vec<Value> = objects
        .iter()
        .map(|(ty, name, version, attributes)| {
            json!({
                "mode": "managed", "type": ty, "name": name,
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": [{ "schema_version": version, "attributes": attributes, "sensitive_attributes": [] }]
            })
        })
        .collect();
    let state = json!({
        "version": 4, "terraform_version": "1.5.7", "serial": 1, "lineage": "6b7f1c1e-0000-4000-8000-000000000001",
        "outputs": {}, "resources": resources
    });
    std::fs::write(ws.path().join("terraform.tfstate"), serde_json::to_vec_pretty(&state).unwrap()).expect("write the state");
}

fn fixture(ty: &str) -> Value {
    let all: Value = serde_json::from_str(FIXTURES).expect("fixtures are JSON");
    all[ty].clone()
}

const MOVED: &str = r#"
moved {
  from = aws_ecs_cluster.wordpress
  to   = awsecs_cluster.wordpress
}
moved {
  from = aws_ecs_task_definition.wordpress
  to   = awsecs_task_definition.wordpress
}
moved {
  from = aws_ecs_service.wordpress
  to   = awsecs_service.wordpress
}
"#;

fn awsecs_config(ep: &str) -> String {
    format!(
        r#"{}
resource "awsecs_cluster" "wordpress" {{
  name               = "wordpress"
  container_insights = "disabled"
}}

resource "awsecs_task_definition" "wordpress" {{
  family = "wordpress"
  container {{
    name        = "wordpress"
    image       = "wordpress:6.5"
    memory      = 512
    environment = {{ WORDPRESS_DB_HOST = "db.wordpress.internal:3306" }}
    port_mapping {{
      container_port = 80
      host_port      = 80
    }}
  }}
}}

resource "awsecs_service" "wordpress" {{
  name            = "wordpress"
  cluster         = awsecs_cluster.wordpress.arn
  task_definition = awsecs_task_definition.wordpress.arn
  desired_count   = 1
}}
{MOVED}"#,
        provider_block(ep)
    )
}

#[test]
fn moved_from_hashicorp_aws_replaces_nothing_and_plans_clean() {
    if skip_in_newer_leg("moved_from_hashicorp_aws_replaces_nothing_and_plans_clean") {
        return;
    }
    let Some(newer) = newer_terraform_since(8, "`moved` across resource types (MoveResourceState)") else {
        eprintln!(
            "skipped: no Terraform newer than 1.0.3 on this machine (set AWSECS_ACC_NEWER_TERRAFORM); `moved` across types needs 1.8+"
        );
        return;
    };
    let mut ws = TfWorkspace::new("migrate");
    ws.use_terraform(newer);
    let moto = Moto::start_with(ws.path(), &["scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);

    // What hashicorp/aws had created: the walkthrough's cluster, task definition and service.
    let ecs = &aws.ecs;
    aws.block_on(ecs.create_cluster().cluster_name("wordpress").send()).unwrap_or_else(|e| panic!("CreateCluster: {}", err_text(&e)));
    register_instance(&aws, "wordpress");
    let container = ContainerDefinition::builder()
        .name("wordpress")
        .image("wordpress:6.5")
        .memory(512)
        .essential(true)
        .environment(KeyValuePair::builder().name("WORDPRESS_DB_HOST").value("db.wordpress.internal:3306").build())
        .port_mappings(PortMapping::builder().container_port(80).host_port(80).protocol(TransportProtocol::Tcp).build())
        .build();
    let td = aws
        .block_on(ecs.register_task_definition().family("wordpress").container_definitions(container).send())
        .unwrap_or_else(|e| panic!("RegisterTaskDefinition: {}", err_text(&e)));
    let td_arn = td.task_definition().and_then(|t| t.task_definition_arn()).expect("ARN").to_string();
    let cluster_arn = format!("arn:aws:ecs:{REGION}:{ACCOUNT_ID}:cluster/wordpress");
    let svc = aws
        .block_on(ecs.create_service().cluster("wordpress").service_name("wordpress").task_definition(&td_arn).desired_count(1).send())
        .unwrap_or_else(|e| panic!("CreateService: {}", err_text(&e)));
    let svc_arn = svc.service().and_then(|s| s.service_arn()).expect("service ARN").to_string();

    // hashicorp/aws's state of them (the attributes its 6.x release stores, see aws_double/FACTS.md).
    let cluster = fixture("aws_ecs_cluster");
    let mut task_definition = fixture("aws_ecs_task_definition");
    task_definition["arn"] = json!(td_arn);
    let mut service = fixture("aws_ecs_service");
    service["arn"] = json!(svc_arn);
    service["id"] = json!(svc_arn);
    service["cluster"] = json!(cluster_arn);
    service["task_definition"] = json!(td_arn);
    write_state(
        &ws,
        &[
            ("aws_ecs_cluster", "wordpress", 0, cluster),
            ("aws_ecs_task_definition", "wordpress", 1, task_definition),
            ("aws_ecs_service", "wordpress", 1, service),
        ],
    );
    use_double(&ws);
    ws.write_config(&awsecs_config(&ep));

    let writes = || {
        ["CreateCluster", "RegisterTaskDefinition", "CreateService", "UpdateService", "DeleteService", "DeregisterTaskDefinition"]
            .map(|a| moto.count_calls(a))
    };
    let before = writes();
    let out = ws.run(&["plan", "-input=false", "-no-color"]);
    assert!(out.success(), "{}", out.describe());
    for moved in ["aws_ecs_cluster.wordpress", "aws_ecs_task_definition.wordpress", "aws_ecs_service.wordpress"] {
        assert!(out.stdout.contains(&format!("{moved} has moved to awsecs_")), "{moved} moves: {}", out.describe());
    }
    assert!(!out.stdout.contains("must be replaced") && !out.stdout.contains("will be created"), "nothing is replaced: {}", out.describe());
    assert!(out.stdout.contains("0 to add, 0 to change, 0 to destroy") || out.stdout.contains("No changes"), "{}", out.describe());

    let out = ws.run(&["apply", "-input=false", "-auto-approve"]);
    assert!(out.success(), "{}", out.describe());
    assert_eq!(writes(), before, "the moves changed nothing in AWS: {}", out.describe());
    assert_no_changes(&ws);
    let state = ws.show_state();
    let types: Vec<&str> =
        state["values"]["root_module"]["resources"].as_array().unwrap().iter().filter_map(|r| r["type"].as_str()).collect();
    assert_eq!(types.iter().filter(|t| t.starts_with("aws_")).count(), 0, "the state holds only awsecs objects: {types:?}");

    // awsecs manages them now: the destroy goes through it (the service first, so that its task
    // stops on the instance the harness registered, then that instance leaves).
    ws.destroy_target("awsecs_service.wordpress");
    deregister_all_instances(&aws, "wordpress");
    ws.destroy();
    assert!(aws.cluster_is_gone("wordpress"));
}

#[test]
fn a_setting_without_an_equivalent_stops_the_move_by_name() {
    if skip_in_newer_leg("a_setting_without_an_equivalent_stops_the_move_by_name") {
        return;
    }
    let Some(newer) = newer_terraform_since(8, "`moved` across resource types (MoveResourceState)") else {
        eprintln!("skipped: no Terraform newer than 1.0.3 on this machine (set AWSECS_ACC_NEWER_TERRAFORM)");
        return;
    };
    let mut ws = TfWorkspace::new("migrate_refused");
    ws.use_terraform(newer);
    let moto = Moto::start(ws.path());
    let mut cluster = fixture("aws_ecs_cluster");
    cluster["setting"] = json!([{ "name": "containerInsights", "value": "enhanced" }]);
    cluster["configuration"] =
        json!([{ "execute_command_configuration": [{ "logging": "OVERRIDE", "kms_key_id": "" }], "managed_storage_configuration": [] }]);
    cluster["service_connect_defaults"] = json!([{ "namespace": "arn:aws:servicediscovery:ap-northeast-1:123456789012:namespace/ns-1" }]);
    write_state(&ws, &[("aws_ecs_cluster", "wordpress", 0, cluster)]);
    use_double(&ws);
    ws.write_config(&format!(
        "{}resource \"awsecs_cluster\" \"wordpress\" {{\n  name = \"wordpress\"\n}}\nmoved {{\n  from = aws_ecs_cluster.wordpress\n  to   = awsecs_cluster.wordpress\n}}\n",
        provider_block(&moto.endpoint())
    ));
    let out = ws.run(&["plan", "-input=false", "-no-color"]);
    assert!(!out.success(), "{}", out.describe());
    let text = out.combined().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("Cannot move this aws_ecs_cluster (arn:aws:ecs:ap-northeast-1:123456789012:cluster/wordpress) to awsecs_cluster: 2 setting(s) have no equivalent"), "{}", out.describe());
    assert!(text.contains("`configuration`") && text.contains("OVERRIDE"), "{}", out.describe());
    assert!(!text.contains("`setting[0]`"), "enhanced Container Insights moves: {}", out.describe());
    assert!(text.contains("`service_connect_defaults`"), "{}", out.describe());
}
