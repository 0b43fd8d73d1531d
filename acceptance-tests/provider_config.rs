//! The provider block when it is unknown or wrong at plan time: default tags that come from another
//! resource (on a Terraform new enough for `terraform_data`), missing credentials, and credentials
//! AWS refuses. Each is said at plan, in its own words, never as a network problem.

use serde_json::json;

use crate::harness::{newer_terraform, provider_block, skip_in_newer_leg, Aws, Moto, TfWorkspace};

fn flat(text: &str) -> String {
    text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The harness's provider block without its static keys (credentials then come from the chain).
fn without_keys(ep: &str) -> String {
    let block = provider_block(ep);
    assert!(block.contains("  access_key  = \"testing\"\n"), "the harness's provider block changed: {block}");
    block.replace("  access_key  = \"testing\"\n", "").replace("  secret_key  = \"testing\"\n", "")
}

fn cluster(block: &str) -> String {
    format!("{block}\nresource \"awsecs_cluster\" \"c\" {{\n  name = \"creds\"\n}}\n")
}

/// No credentials anywhere: `plan` fails at once, saying which sources were tried and how to set
/// one, not that the request did not reach AWS; nothing reached AWS.
#[test]
fn missing_credentials_are_a_plan_error() {
    let ws = TfWorkspace::new("provider_no_credentials");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    ws.write_config(&cluster(&without_keys(&ep)));
    let out = ws.run_with_env(&["plan"], &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")]);
    assert!(!out.success(), "{}", out.describe());
    assert!(out.duration.as_secs() < 30, "took {:?}", out.duration);
    let text = flat(&out.combined());
    assert!(text.contains("No AWS credentials"), "{text}");
    assert!(text.contains("AWS_ACCESS_KEY_ID") && text.contains("profile"), "it says how to set one: {text}");
    assert!(!text.contains("did not reach AWS"), "not a network problem: {text}");
    assert!(moto.calls().is_empty(), "nothing reached AWS: {:?}", moto.calls());
}

/// Credentials AWS refuses: the STS check at ConfigureProvider turns it into a plan error that says
/// so; `skip_credentials_validation = true` configures without the check.
#[test]
fn refused_credentials_are_a_plan_error() {
    let ws = TfWorkspace::new("provider_refused_credentials");
    let moto = Moto::start_with(ws.path(), &["faults"]);
    let ep = moto.endpoint();
    moto.set_faults(json!([{
        "fault": "error", "service": "sts", "action": "GetCallerIdentity", "count": -1,
        "status": 403, "code": "InvalidClientTokenId", "message": "The security token included in the request is invalid."
    }]));
    ws.write_config(&cluster(&provider_block(&ep)));
    let out = ws.run(&["plan"]);
    assert!(!out.success(), "{}", out.describe());
    let text = flat(&out.combined());
    assert!(text.contains("AWS did not accept the credentials"), "{text}");
    assert!(text.contains("InvalidClientTokenId"), "{text}");
    assert!(!text.contains("did not reach AWS"), "{text}");
    assert_eq!(moto.count_calls("CreateCluster"), 0);

    let skipping = provider_block(&ep).replace("  max_retries = 1\n", "  max_retries = 1\n  skip_credentials_validation = true\n");
    ws.write_config(&cluster(&skipping));
    ws.apply();
    assert_eq!(Aws::new(&ep).cluster_status("creds").as_deref(), Some("ACTIVE"));
    ws.destroy();
}

/// `default_tags` from another resource (an owner, a commit id): unknown at plan, so every
/// `tags_all` is unknown there, and the apply fills them in. No "inconsistent final plan"; the tags
/// reach AWS; the next plan is empty. Needs `terraform_data` (Terraform 1.4+).
#[test]
fn default_tags_from_a_resource_are_known_after_apply() {
    if skip_in_newer_leg("default_tags_from_a_resource_are_known_after_apply") {
        return;
    }
    let Some(newer) = newer_terraform() else {
        eprintln!("skipped: no Terraform newer than 1.0.3 on this machine (set AWSECS_ACC_NEWER_TERRAFORM)");
        return;
    };
    let mut ws = TfWorkspace::new("provider_unknown_default_tags");
    ws.use_terraform(newer);
    let moto = Moto::start_with(ws.path(), &["agent"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let block = provider_block(&ep).replace(
        "  max_retries = 1\n",
        "  max_retries = 1\n  default_tags {\n    tags = { owner = terraform_data.owner.output, team = \"web\" }\n  }\n",
    );
    ws.write_config(&format!(
        r#"{block}
resource "terraform_data" "owner" {{
  input = "platform-team"
}}
resource "awsecs_cluster" "c" {{
  name = "tagged"
  tags = {{ app = "wordpress" }}
}}
resource "awsecs_task_definition" "wp" {{
  family = "tagged"
  container {{
    name   = "web"
    image  = "nginx:1"
    memory = 128
  }}
}}
resource "awsecs_container_instance" "node" {{
  cluster       = awsecs_cluster.c.name
  instance_type = "t3.micro"
}}
"#
    ));
    let plan = ws.run_ok(&["plan", "-out=first.tfplan"]);
    assert!(flat(&plan.combined()).contains("tags_all"), "{}", plan.combined());
    let planned = ws.run_ok(&["show", "-json", "first.tfplan"]);
    let planned: serde_json::Value = serde_json::from_str(&planned.stdout).expect("plan JSON");
    let cluster_change =
        planned["resource_changes"].as_array().and_then(|c| c.iter().find(|r| r["address"] == "awsecs_cluster.c")).expect("cluster");
    assert_eq!(cluster_change["change"]["after_unknown"]["tags_all"], true, "unknown until the owner exists: {cluster_change:#}");
    ws.apply();

    let c = aws.describe_cluster("tagged").expect("cluster");
    let tags = crate::harness::aws::cluster_tags(&c);
    assert_eq!(tags.get("owner").map(String::as_str), Some("platform-team"), "{tags:?}");
    assert_eq!(tags.get("app").map(String::as_str), Some("wordpress"));
    let td = ws.resource("awsecs_task_definition.wp");
    assert_eq!(td["tags_all"]["owner"], "platform-team", "{td:#}");
    let node = ws.resource("awsecs_container_instance.node");
    assert_eq!(node["tags_all"]["owner"], "platform-team", "{node:#}");
    ws.destroy();
}
