//! `awsecs_container_instance` and `awsecs_ecs_optimized_ami`: instances join a cluster in a chosen
//! subnet (with the ECS agent stand-in, `standins/agent.py`), the create wait times out without an
//! agent, draining and out-of-band stop/terminate, import, destroy order, plan-time validation, the
//! recommended image (public SSM parameters), hardened defaults (IMDSv2, encrypted root volume) and
//! no surprise for instances that predate them.
//!
//! (Longer than 500 lines: one resource and its data source, whose tests share the helpers here.)

use std::io::{Read, Write};
use std::net::TcpStream;

use aws_sdk_ec2::types::{BlockDeviceMapping, EbsBlockDevice, HttpTokensState, InstanceMetadataEndpointState, InstanceType};
use base64::Engine as _;
use serde_json::{json, Value};

use crate::harness::aws::{err_text, sdk_config};
use crate::harness::{assert_no_changes, provider_block, state_addresses, Aws, Moto, TfWorkspace, ACCOUNT_ID, REGION};

/// A VPC with one subnet and one security group, made through the SDK (this provider manages none
/// of them): (vpc, subnet, security group).
fn make_vpc(aws: &Aws, cidr: &str, subnet_cidr: &str) -> (String, String, String) {
    let vpc = aws
        .block_on(aws.ec2.create_vpc().cidr_block(cidr).send())
        .unwrap_or_else(|e| panic!("CreateVpc: {}", err_text(&e)))
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_string();
    let subnet = aws
        .block_on(aws.ec2.create_subnet().vpc_id(&vpc).cidr_block(subnet_cidr).availability_zone(format!("{REGION}c")).send())
        .unwrap_or_else(|e| panic!("CreateSubnet: {}", err_text(&e)))
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("subnet id")
        .to_string();
    let sg = aws
        .block_on(aws.ec2.create_security_group().group_name(format!("web-{vpc}")).description("web").vpc_id(&vpc).send())
        .unwrap_or_else(|e| panic!("CreateSecurityGroup: {}", err_text(&e)))
        .group_id()
        .expect("group id")
        .to_string();
    (vpc, subnet, sg)
}

/// The provider block, a cluster `c` and the given extra HCL.
fn config(ep: &str, cluster: &str, body: &str) -> String {
    format!("{}\nresource \"awsecs_cluster\" \"c\" {{\n  name = \"{cluster}\"\n}}\n{body}", provider_block(ep))
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("attribute {key} is not a string in {v:#}"))
}

fn n(v: &Value, key: &str) -> i64 {
    v.get(key).and_then(Value::as_i64).unwrap_or_else(|| panic!("attribute {key} is not a number in {v:#}"))
}

/// Whitespace-insensitive text: Terraform word-wraps diagnostics.
fn flat(text: &str) -> String {
    text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A POST to moto's control API (`/moto-api/...`); returns the HTTP status.
fn moto_post(moto: &Moto, path: &str) -> u16 {
    moto_post_json(moto, path, "")
}

fn moto_post_json(moto: &Moto, path: &str, body: &str) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", moto.port())).expect("connect to moto");
    write!(
        stream,
        "POST {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut resp = String::new();
    let _ = stream.read_to_string(&mut resp);
    resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// The API calls moto's recorder wrote (`moto_recording` in moto's working directory): (action,
/// request parameters as text), in order.
fn recorded_calls(ws: &TfWorkspace) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(ws.path().join("moto_recording")).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|e| {
            let body = e["body"].as_str().unwrap_or_default();
            let body = if e["body_encoded"].as_bool() == Some(true) {
                String::from_utf8_lossy(&base64::engine::general_purpose::STANDARD.decode(body).unwrap_or_default()).into_owned()
            } else {
                body.to_string()
            };
            let headers = &e["headers"];
            let target = headers
                .as_object()
                .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case("x-amz-target")))
                .and_then(|(_, v)| v.as_str());
            let action = match target {
                Some(t) => t.rsplit('.').next().unwrap_or_default().to_string(),
                None => body.split('&').find_map(|p| p.strip_prefix("Action=")).unwrap_or_default().to_string(),
            };
            (action, body)
        })
        .collect()
}

fn position(calls: &[(String, String)], action: &str, needle: &str) -> usize {
    calls.iter().position(|(a, b)| a == action && b.contains(needle)).unwrap_or_else(|| {
        panic!("no {action} call mentioning {needle} was recorded; calls: {:?}", calls.iter().map(|c| &c.0).collect::<Vec<_>>())
    })
}

fn describe_ci(aws: &Aws, cluster: &str, arn: &str) -> Option<aws_sdk_ecs::types::ContainerInstance> {
    aws.block_on(aws.ecs.describe_container_instances().cluster(cluster).container_instances(arn).send())
        .unwrap_or_else(|e| panic!("DescribeContainerInstances: {}", err_text(&e)))
        .container_instances()
        .first()
        .cloned()
}

/// (id, name) of the image AWS recommends through its public SSM parameters under
/// `/aws/service/ecs/optimized-ami/{path}/recommended/` (`image_id`, `image_name`).
fn recommended(aws: &Aws, ep: &str, path: &str) -> (String, String) {
    let ssm = aws_sdk_ssm::Client::new(&aws.block_on(sdk_config(ep)));
    let get = |leaf: &str| {
        let name = format!("/aws/service/ecs/optimized-ami/{path}/recommended/{leaf}");
        aws.block_on(ssm.get_parameter().name(&name).send())
            .unwrap_or_else(|e| panic!("GetParameter {name}: {}", err_text(&e)))
            .parameter()
            .and_then(|p| p.value())
            .unwrap_or_else(|| panic!("{name} has no value"))
            .to_string()
    };
    (get("image_id"), get("image_name"))
}

fn ec2_instance(aws: &Aws, id: &str) -> aws_sdk_ec2::types::Instance {
    aws.block_on(aws.ec2.describe_instances().instance_ids(id).send())
        .unwrap_or_else(|e| panic!("DescribeInstances: {}", err_text(&e)))
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .next()
        .cloned()
        .unwrap_or_else(|| panic!("EC2 does not list {id}"))
}

/// (http_tokens, hop limit, http_endpoint) of an instance, as EC2 reports them.
fn metadata_options(aws: &Aws, id: &str) -> (String, i32, String) {
    let i = ec2_instance(aws, id);
    let m = i.metadata_options().unwrap_or_else(|| panic!("EC2 reports no metadata options for {id}"));
    let tokens = m.http_tokens().map(|t| t.as_str().to_string()).unwrap_or_default();
    let endpoint = m.http_endpoint().map(|e| e.as_str().to_string()).unwrap_or_default();
    (tokens, m.http_put_response_hop_limit().unwrap_or_default(), endpoint)
}

/// The EBS volume at an instance's root device, as EC2 reports it.
fn root_volume(aws: &Aws, id: &str) -> aws_sdk_ec2::types::Volume {
    let i = ec2_instance(aws, id);
    let root = i.root_device_name().unwrap_or_else(|| panic!("{id} has no root device name"));
    let vol = i
        .block_device_mappings()
        .iter()
        .find(|b| b.device_name() == Some(root))
        .and_then(|b| b.ebs()?.volume_id())
        .unwrap_or_else(|| panic!("no EBS volume at {root} of {id}: {i:?}"));
    aws.block_on(aws.ec2.describe_volumes().volume_ids(vol).send())
        .unwrap_or_else(|e| panic!("DescribeVolumes: {}", err_text(&e)))
        .volumes()
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("EC2 does not list volume {vol}"))
}

fn ec2_state(aws: &Aws, id: &str) -> String {
    aws.block_on(aws.ec2.describe_instances().instance_ids(id).send())
        .unwrap_or_else(|e| panic!("DescribeInstances: {}", err_text(&e)))
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find_map(|i| i.state().and_then(|s| s.name()).map(|n| n.as_str().to_string()))
        .unwrap_or_default()
}

/// Two instances in a chosen subnet join the cluster; state and ECS agree; no diff; import by EC2
/// instance id and by ARN; destroy drains, deregisters and terminates, in that order.
#[test]
fn join_import_and_ordered_destroy() {
    let ws = TfWorkspace::new("ci_join");
    let moto = Moto::start_with(ws.path(), &["agent"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let (vpc, subnet, sg) = make_vpc(&aws, "10.10.0.0/16", "10.10.2.0/24");

    let body = format!(
        r#"
data "awsecs_ecs_optimized_ami" "default" {{}}
resource "awsecs_container_instance" "node" {{
  count              = 2
  cluster            = awsecs_cluster.c.name
  instance_type      = "t3.small"
  subnet_id          = "{subnet}"
  security_group_ids = ["{sg}"]
  user_data_extra    = "echo ECS_ENABLE_CONTAINER_METADATA=true >> /etc/ecs/ecs.config"
  tags = {{ Name = "wp-node" }}
}}
output "ami" {{ value = data.awsecs_ecs_optimized_ami.default.name }}
output "ami_id" {{ value = data.awsecs_ecs_optimized_ami.default.id }}
"#
    );
    ws.write_config(&config(&ep, "wp", &body));
    let (recommended_id, recommended_name) = recommended(&aws, &ep, "amazon-linux-2023");

    // The image is looked up once, at create: a saved plan leaves it unknown (so an image AWS
    // publishes between the plan and its apply cannot make them disagree), and that plan applies.
    ws.run_ok(&["plan", "-out=create.tfplan"]);
    let plan: Value = serde_json::from_str(&ws.run_ok(&["show", "-json", "create.tfplan"]).stdout).expect("plan JSON");
    let change = plan
        .pointer("/resource_changes")
        .and_then(Value::as_array)
        .and_then(|rc| rc.iter().find(|c| c["address"] == "awsecs_container_instance.node[0]"))
        .map(|c| c["change"].clone())
        .unwrap_or_else(|| panic!("no change for node[0]: {plan:#}"));
    assert_eq!(change.pointer("/after_unknown/ami_id"), Some(&Value::Bool(true)), "ami_id must be known after apply: {change:#}");
    assert_eq!(change.pointer("/after/root_volume_encrypted"), Some(&Value::Bool(true)), "{change:#}");
    ws.run_ok(&["apply", "create.tfplan"]);
    assert_no_changes(&ws);
    let cluster_arn = format!("arn:aws:ecs:{REGION}:{ACCOUNT_ID}:cluster/wp");
    let mut instance_ids = Vec::new();
    let mut arns = Vec::new();
    for i in 0..2 {
        let v = ws.resource(&format!("awsecs_container_instance.node[{i}]"));
        let arn = s(&v, "container_instance_arn").to_string();
        assert!(arn.starts_with(&format!("arn:aws:ecs:{REGION}:{ACCOUNT_ID}:container-instance/")), "{arn}");
        assert_eq!(s(&v, "id"), arn);
        assert_eq!(s(&v, "vpc_id"), vpc);
        assert_eq!(s(&v, "subnet_id"), subnet);
        assert_eq!(v["security_group_ids"], serde_json::json!([sg]));
        assert_eq!(s(&v, "ami_id"), recommended_id, "the recommended AL2023 x86_64 image for t3.small");
        assert_eq!(s(&v, "status"), "ACTIVE");
        assert_eq!(v["agent_connected"], Value::Bool(true));
        assert_eq!(s(&v, "instance_state"), "running");
        // t3.small in the agent stand-in: 2 vCPU, 1939 MiB for tasks.
        assert_eq!(n(&v, "registered_cpu"), 2048);
        assert_eq!(n(&v, "registered_memory"), 1939);
        assert_eq!(n(&v, "remaining_memory"), 1939);
        assert_eq!(n(&v, "running_tasks_count"), 0);
        assert!(s(&v, "private_ip").starts_with("10.10.2."), "{v:#}");
        assert_eq!(v["tags_all"], serde_json::json!({"Name": "wp-node"}));

        // ECS's and EC2's view.
        let ci = describe_ci(&aws, &cluster_arn, &arn).unwrap_or_else(|| panic!("{arn} not in ECS"));
        assert_eq!(ci.ec2_instance_id(), Some(s(&v, "instance_id")));
        assert_eq!(ci.status(), Some("ACTIVE"));
        let ud = aws
            .block_on(
                aws.ec2
                    .describe_instance_attribute()
                    .instance_id(s(&v, "instance_id"))
                    .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("DescribeInstanceAttribute: {}", err_text(&e)));
        let ud =
            base64::engine::general_purpose::STANDARD.decode(ud.user_data().and_then(|u| u.value()).unwrap_or_default()).expect("base64");
        let ud = String::from_utf8_lossy(&ud);
        assert!(ud.contains("ECS_CLUSTER=wp >> /etc/ecs/ecs.config") && ud.contains("ECS_ENABLE_CONTAINER_METADATA"), "{ud}");

        // Hardened by default, in EC2's view: IMDSv2 only, two hops, an encrypted root volume.
        assert_eq!(metadata_options(&aws, s(&v, "instance_id")), ("required".to_string(), 2, "enabled".to_string()));
        let root = root_volume(&aws, s(&v, "instance_id"));
        assert_eq!(root.encrypted(), Some(true), "{root:?}");
        assert_eq!(v["root_volume_encrypted"], Value::Bool(true));
        assert_eq!(v["root_volume_kms_key_id"].as_str(), root.kms_key_id());
        assert!(v["metadata_options"].is_null(), "left out of the configuration, the block is not managed: {v:#}");
        instance_ids.push(s(&v, "instance_id").to_string());
        arns.push(arn);
    }
    assert_ne!(instance_ids[0], instance_ids[1]);
    let out = ws.run_ok(&["output", "-raw", "ami"]);
    assert_eq!(out.stdout.trim(), recommended_name, "the data source's default: the recommended AL2023 x86_64 image");
    assert_eq!(ws.run_ok(&["output", "-raw", "ami_id"]).stdout.trim(), recommended_id);
    // The refresh of both instances is batched: one DescribeContainerInstances, one DescribeInstances.
    assert_eq!(moto_post(&moto, "/moto-api/recorder/start-recording"), 200);
    assert_no_changes(&ws);
    assert_eq!(moto_post(&moto, "/moto-api/recorder/stop-recording"), 200);
    let calls = recorded_calls(&ws);
    let count = |action: &str| calls.iter().filter(|(a, _)| a == action).count();
    assert_eq!(count("DescribeContainerInstances"), 1, "calls: {:?}", calls.iter().map(|c| &c.0).collect::<Vec<_>>());
    assert_eq!(count("DescribeInstances"), 1, "calls: {:?}", calls.iter().map(|c| &c.0).collect::<Vec<_>>());
    assert_eq!(count("DescribeVolumes"), 1, "calls: {:?}", calls.iter().map(|c| &c.0).collect::<Vec<_>>());
    assert_eq!(moto_post(&moto, "/moto-api/recorder/reset-recording"), 200);

    // Import: by EC2 instance id, then by container instance ARN; neither leaves a diff.
    ws.state_rm("awsecs_container_instance.node[1]");
    ws.import("awsecs_container_instance.node[1]", &instance_ids[1]);
    assert_eq!(s(&ws.resource("awsecs_container_instance.node[1]"), "container_instance_arn"), arns[1]);
    assert_no_changes(&ws);
    ws.state_rm("awsecs_container_instance.node[0]");
    ws.import("awsecs_container_instance.node[0]", &arns[0]);
    assert_eq!(s(&ws.resource("awsecs_container_instance.node[0]"), "instance_id"), instance_ids[0]);
    assert_no_changes(&ws);
    let bad = ws.run(&["import", "awsecs_container_instance.x", "i-00000000000000000"]);
    assert!(!bad.success(), "importing a missing instance must fail");

    // Import recorded the cluster by name; writing its ARN instead names the same cluster, so the
    // plan is an in-place update of the spelling, never a replacement of the instances.
    ws.write_config(&config(&ep, "wp", &body.replace("awsecs_cluster.c.name", "awsecs_cluster.c.arn")));
    let actions = ws.plan_actions();
    assert!(!actions.is_empty(), "the new spelling is a change");
    for (addr, a) in &actions {
        assert_eq!(a, &vec!["update".to_string()], "{addr}: a cluster ARN for the same cluster must not replace: {actions:?}");
    }
    ws.apply();

    // Destroy, recording the API calls: drain, deregister, terminate, per instance in that order.
    assert_eq!(moto_post(&moto, "/moto-api/recorder/start-recording"), 200);
    ws.destroy();
    assert_eq!(moto_post(&moto, "/moto-api/recorder/stop-recording"), 200);
    let calls = recorded_calls(&ws);
    for (arn, id) in arns.iter().zip(&instance_ids) {
        let drain = position(&calls, "UpdateContainerInstancesState", arn);
        assert!(calls[drain].1.contains("DRAINING"), "{:?}", calls[drain]);
        let dereg = position(&calls, "DeregisterContainerInstance", arn);
        let term = position(&calls, "TerminateInstances", id);
        assert!(drain < dereg && dereg < term, "order for {arn}: drain {drain}, deregister {dereg}, terminate {term}");
        assert!(describe_ci(&aws, &cluster_arn, arn).is_none(), "{arn} still registered");
        assert_eq!(ec2_state(&aws, id), "terminated");
    }
    assert!(state_addresses(&ws.show_state()).is_empty());
}

/// Without an agent nothing registers: the create wait times out quickly, saying what it waited
/// for; the instance stays in state (tainted) and destroy terminates it.
#[test]
fn create_times_out_without_agent() {
    let ws = TfWorkspace::new("ci_timeout");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let body = r#"
resource "awsecs_container_instance" "node" {
  cluster       = awsecs_cluster.c.arn
  instance_type = "t3.micro"
  timeouts {
    create = "15s"
  }
}
"#;
    ws.write_config(&config(&ep, "lonely", body));
    let out = ws.run(&["apply", "-auto-approve"]);
    assert!(!out.success(), "apply must fail without an agent: {}", out.describe());
    assert!(out.duration.as_secs() < 60, "took {:?}", out.duration);
    let text = flat(&out.combined());
    assert!(text.contains("Timed out after 15s waiting for EC2 instance"), "{text}");
    assert!(text.contains("to run and join ECS cluster \"lonely\""), "{text}");
    assert!(text.contains("the ECS agent has not registered it yet"), "{text}");

    let v = ws.resource("awsecs_container_instance.node");
    let id = s(&v, "instance_id").to_string();
    assert!(id.starts_with("i-"), "{v:#}");
    assert_eq!(ec2_state(&aws, &id), "running");
    let raw = ws.run_ok(&["state", "pull"]);
    assert!(raw.stdout.contains("\"status\": \"tainted\""), "the instance must be tainted: {}", raw.stdout);

    ws.destroy();
    assert_eq!(ec2_state(&aws, &id), "terminated");
    assert!(state_addresses(&ws.show_state()).is_empty());
}

/// Draining in place and back; a stopped instance is reported; a terminated one is planned anew.
#[test]
fn draining_stop_and_terminate() {
    let ws = TfWorkspace::new("ci_drain");
    let moto = Moto::start_with(ws.path(), &["agent"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let addr = "awsecs_container_instance.node";
    let with = |draining: bool| {
        config(
            &ep,
            "drain",
            &format!(
                "resource \"awsecs_container_instance\" \"node\" {{\n  cluster = awsecs_cluster.c.name\n  instance_type = \"t2.micro\"\n  associate_public_ip_address = true\n  key_name = \"admin\"\n  root_volume_size = 30\n  draining = {draining}\n  tags = {{ role = \"{}\" }}\n}}\n",
                if draining { "drained" } else { "web" }
            ),
        )
    };
    ws.write_config(&with(false));
    ws.apply();
    let v = ws.resource(addr);
    let arn = s(&v, "container_instance_arn").to_string();
    let id = s(&v, "instance_id").to_string();
    assert!(!s(&v, "public_ip").is_empty());
    assert_eq!(n(&v, "registered_memory"), 982);
    assert_eq!(s(&v, "key_name"), "admin");
    assert_eq!(n(&v, "root_volume_size"), 30);
    assert_no_changes(&ws);

    ws.write_config(&with(true));
    assert_eq!(ws.plan_actions(), vec![(addr.to_string(), vec!["update".to_string()])]);
    ws.apply();
    assert_eq!(s(&ws.resource(addr), "status"), "DRAINING");
    let tags: Vec<(String, String)> = aws
        .block_on(aws.ec2.describe_instances().instance_ids(&id).send())
        .unwrap_or_else(|e| panic!("DescribeInstances: {}", err_text(&e)))
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .flat_map(|i| i.tags())
        .map(|t| (t.key().unwrap_or_default().to_string(), t.value().unwrap_or_default().to_string()))
        .collect();
    assert_eq!(tags, vec![("role".to_string(), "drained".to_string())], "EC2 tags updated in place");
    assert_eq!(describe_ci(&aws, "drain", &arn).and_then(|c| c.status().map(str::to_string)).as_deref(), Some("DRAINING"));
    assert_no_changes(&ws);
    ws.write_config(&with(false));
    ws.apply();
    assert_eq!(s(&ws.resource(addr), "status"), "ACTIVE");
    assert_eq!(describe_ci(&aws, "drain", &arn).and_then(|c| c.status().map(str::to_string)).as_deref(), Some("ACTIVE"));
    assert_no_changes(&ws);

    // Stopped out of band: reported, nothing to change.
    aws.block_on(aws.ec2.stop_instances().instance_ids(&id).send()).unwrap_or_else(|e| panic!("StopInstances: {}", err_text(&e)));
    ws.run_ok(&["apply", "-refresh-only", "-auto-approve"]);
    let v = ws.resource(addr);
    assert_eq!(s(&v, "instance_state"), "stopped");
    assert_eq!(v["agent_connected"], Value::Bool(false));
    assert_eq!(s(&v, "container_instance_arn"), arn);
    assert!(ws.plan_actions().is_empty(), "a stopped instance is not replaced");

    // Terminated out of band: the plan launches a new one.
    aws.block_on(aws.ec2.terminate_instances().instance_ids(&id).send()).unwrap_or_else(|e| panic!("TerminateInstances: {}", err_text(&e)));
    assert_eq!(ws.plan_actions(), vec![(addr.to_string(), vec!["create".to_string()])]);
    ws.apply();
    let v = ws.resource(addr);
    assert_ne!(s(&v, "instance_id"), id);
    assert_eq!(s(&v, "status"), "ACTIVE");
    assert_no_changes(&ws);
    ws.destroy();
}

/// Bad input: plan-time errors with attribute paths (the new root volume and metadata arguments
/// too); the data source's other families and architectures; `root_volume_encrypted = false`
/// refused where EBS encryption by default is on; an unknown image and mismatched VPCs refused
/// before RunInstances.
#[test]
fn validation_errors() {
    let ws = TfWorkspace::new("ci_validation");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);

    let bad = r#"
resource "awsecs_container_instance" "node" {
  cluster         = awsecs_cluster.c.name
  instance_type   = "t3micro"
  user_data_extra = "echo ECS_CLUSTER=other >> /etc/ecs/ecs.config"
}
data "awsecs_ecs_optimized_ami" "x" {
  family = "ubuntu"
}
resource "awsecs_container_instance" "keyed" {
  cluster                = awsecs_cluster.c.name
  instance_type          = "t3.micro"
  root_volume_encrypted  = false
  root_volume_kms_key_id = "alias/aws/ebs"
  metadata_options {
    http_tokens                 = "v1"
    http_put_response_hop_limit = 65
  }
}
"#;
    ws.write_config(&config(&ep, "v", bad));
    let out = ws.run(&["plan"]);
    assert!(!out.success());
    let text = flat(&out.combined());
    assert!(text.contains("Invalid value for instance_type") && text.contains("\"t3micro\" is not an EC2 instance type"), "{text}");
    assert!(text.contains("Invalid value for user_data_extra") && text.contains("sets ECS_CLUSTER"), "{text}");
    assert!(text.contains("Invalid value for family") && text.contains("amazon-linux-2023"), "{text}");
    assert!(text.contains("Invalid value for root_volume_kms_key_id") && text.contains("is an alias"), "{text}");
    assert!(text.contains("A KMS key needs an encrypted root volume"), "{text}");
    assert!(text.contains("Invalid value for metadata_options.http_tokens"), "{text}");
    assert!(text.contains("Invalid value for metadata_options.http_put_response_hop_limit") && text.contains("between 1 and 64"), "{text}");

    // The data source for another architecture, and for Amazon Linux 2: the image AWS recommends.
    ws.write_config(&format!(
        r#"{}
data "awsecs_ecs_optimized_ami" "arm" {{
  family       = "amazon-linux-2023"
  architecture = "arm64"
}}
data "awsecs_ecs_optimized_ami" "al2" {{
  family = "amazon-linux-2"
}}
output "arm" {{ value = data.awsecs_ecs_optimized_ami.arm.name }}
output "arm_id" {{ value = data.awsecs_ecs_optimized_ami.arm.id }}
output "al2" {{ value = data.awsecs_ecs_optimized_ami.al2.id }}
"#,
        provider_block(&ep)
    ));
    ws.apply();
    let output = |name: &str| ws.run_ok(&["output", "-raw", name]).stdout.trim().to_string();
    let (arm_id, arm_name) = recommended(&aws, &ep, "amazon-linux-2023/arm64");
    assert_eq!((output("arm_id"), output("arm")), (arm_id, arm_name.clone()));
    assert!(arm_name.starts_with("al2023-ami-ecs-hvm-") && arm_name.ends_with("-arm64"), "{arm_name}");
    assert_eq!(output("al2"), recommended(&aws, &ep, "amazon-linux-2").0);

    // Where EBS encryption by default is on, `root_volume_encrypted = false` cannot hold (EC2 would
    // encrypt the volume anyway): refused at plan time.
    aws.block_on(aws.ec2.enable_ebs_encryption_by_default().send())
        .unwrap_or_else(|e| panic!("EnableEbsEncryptionByDefault: {}", err_text(&e)));
    let plain = r#"
resource "awsecs_container_instance" "plain" {
  cluster               = awsecs_cluster.c.name
  instance_type         = "t3.micro"
  root_volume_encrypted = false
}
"#;
    ws.write_config(&config(&ep, "v", plain));
    let out = ws.run(&["plan"]);
    assert!(!out.success(), "{}", out.describe());
    let text = flat(&out.combined());
    assert!(text.contains("EC2 encrypts every new volume in this region") && text.contains("EBS encryption by default is on"), "{text}");
    aws.block_on(aws.ec2.disable_ebs_encryption_by_default().send())
        .unwrap_or_else(|e| panic!("DisableEbsEncryptionByDefault: {}", err_text(&e)));

    // An image EC2 does not list is refused before RunInstances (moto would launch it anyway).
    let missing = r#"
resource "awsecs_container_instance" "node" {
  cluster       = awsecs_cluster.c.name
  instance_type = "t3.micro"
  ami_id        = "ami-0123456789abcdef0"
}
"#;
    ws.write_config(&config(&ep, "v", missing));
    let out = ws.run(&["apply", "-auto-approve"]);
    assert!(!out.success(), "{}", out.describe());
    let text = flat(&out.combined());
    assert!(text.contains("Image ami-0123456789abcdef0 does not exist") && text.contains("ami_id"), "{text}");

    let (vpc_a, subnet_a, _) = make_vpc(&aws, "10.1.0.0/16", "10.1.1.0/24");
    let (vpc_b, _, sg_b) = make_vpc(&aws, "10.2.0.0/16", "10.2.1.0/24");
    let mismatch = format!(
        "resource \"awsecs_container_instance\" \"node\" {{\n  cluster = awsecs_cluster.c.name\n  instance_type = \"t3.micro\"\n  subnet_id = \"{subnet_a}\"\n  security_group_ids = [\"{sg_b}\"]\n}}\n"
    );
    ws.write_config(&config(&ep, "v", &mismatch));
    let out = ws.run(&["apply", "-auto-approve"]);
    assert!(!out.success());
    let text = flat(&out.combined());
    assert!(text.contains(&vpc_a) && text.contains(&vpc_b), "both VPC ids must be named: {text}");
    assert!(text.contains("security_group_ids"), "{text}");
    let reservations = aws.block_on(aws.ec2.describe_instances().send()).unwrap_or_else(|e| panic!("DescribeInstances: {}", err_text(&e)));
    assert!(reservations.reservations().is_empty(), "no instance may be launched");
    assert!(!state_addresses(&ws.show_state()).contains(&"awsecs_container_instance.node".to_string()));
    ws.destroy();
}

/// Destroy waits until no service task runs on the drained instance (and says which ones it waited
/// for when it times out); tasks started by hand do not hold it up.
#[test]
fn destroy_waits_for_service_tasks() {
    let ws = TfWorkspace::new("ci_tasks");
    let moto = Moto::start_with(ws.path(), &["agent"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    // Tasks stay RUNNING until stopped (moto otherwise moves them on at every DescribeTasks).
    let pin = r#"{"model_name":"ecs::task","transition":{"progression":"manual","times":1000000}}"#;
    assert_eq!(moto_post_json(&moto, "/moto-api/state-manager/set-transition", pin), 201);
    let body = r#"
resource "awsecs_container_instance" "node" {
  cluster       = awsecs_cluster.c.name
  instance_type = "t3.medium"
  timeouts {
    delete = "8s"
  }
}
"#;
    ws.write_config(&config(&ep, "busy", body));
    ws.apply();
    let v = ws.resource("awsecs_container_instance.node");
    let (arn, id) = (s(&v, "container_instance_arn").to_string(), s(&v, "instance_id").to_string());

    let container = aws_sdk_ecs::types::ContainerDefinition::builder().name("web").image("nginx").memory(128).build();
    aws.block_on(aws.ecs.register_task_definition().family("web").container_definitions(container).send())
        .unwrap_or_else(|e| panic!("RegisterTaskDefinition: {}", err_text(&e)));
    let run = |group: &str| {
        let out = aws
            .block_on(aws.ecs.run_task().cluster("busy").task_definition("web").group(group).send())
            .unwrap_or_else(|e| panic!("RunTask: {}", err_text(&e)));
        out.tasks().first().and_then(|t| t.task_arn()).expect("a task was placed").to_string()
    };
    let service_task = run("service:web");
    let _standalone = run("family:web");

    let out = ws.run(&["destroy", "-auto-approve"]);
    assert!(!out.success(), "destroy must wait for the service task: {}", out.describe());
    let text = flat(&out.combined());
    assert!(text.contains(&format!("Timed out after 8s waiting for container instance {arn} to finish draining")), "{text}");
    let task_id = service_task.rsplit('/').next().unwrap_or_default();
    assert!(text.contains(&format!("web/{task_id}")), "the message must name the service task: {text}");
    assert_eq!(describe_ci(&aws, "busy", &arn).and_then(|c| c.status().map(str::to_string)).as_deref(), Some("DRAINING"));
    assert_eq!(ec2_state(&aws, &id), "running");
    assert!(state_addresses(&ws.show_state()).contains(&"awsecs_container_instance.node".to_string()));

    aws.block_on(aws.ecs.stop_task().cluster("busy").task(&service_task).send()).unwrap_or_else(|e| panic!("StopTask: {}", err_text(&e)));
    // Only the instance: awsecs_cluster's delete check counts STOPPED tasks that moto still lists.
    ws.run_ok(&["destroy", "-auto-approve", "-target=awsecs_container_instance.node"]);
    assert!(describe_ci(&aws, "busy", &arn).is_none(), "{arn} must be deregistered");
    assert_eq!(ec2_state(&aws, &id), "terminated");
    let running = aws
        .block_on(aws.ecs.list_tasks().cluster("busy").desired_status(aws_sdk_ecs::types::DesiredStatus::Running).send())
        .unwrap_or_else(|e| panic!("ListTasks: {}", err_text(&e)));
    assert!(running.task_arns().is_empty(), "the hand-started task ends with its host: {:?}", running.task_arns());
}

/// Hardened defaults for a new instance, in EC2's view (and a Graviton type gets the arm64 image);
/// `metadata_options` changes in place, drift on it shows, and removing the block leaves EC2's
/// settings alone. An instance that was never hardened (launched outside Terraform on Amazon Linux
/// 2, unencrypted, IMDSv1 allowed, one hop), imported, and then recorded the way an earlier version
/// of the provider did (none of the new attributes), plans no change.
#[test]
fn hardened_defaults_in_place_metadata_options_and_no_surprise_for_old_instances() {
    let ws = TfWorkspace::new("ci_hardened");
    let moto = Moto::start_with(ws.path(), &["agent"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let addr = "awsecs_container_instance.node";
    let with = |block: &str, more: &str| {
        let node = format!(
            r#"
resource "awsecs_container_instance" "node" {{
  cluster       = awsecs_cluster.c.name
  instance_type = "t4g.small"
{block}}}
"#
        );
        config(&ep, "hard", &format!("{node}{more}"))
    };
    let options = |tokens: &str, hops: i32| (tokens.to_string(), hops, "enabled".to_string());

    ws.write_config(&with("", ""));
    ws.apply();
    let v = ws.resource(addr);
    let id = s(&v, "instance_id").to_string();
    assert_eq!(s(&v, "ami_id"), recommended(&aws, &ep, "amazon-linux-2023/arm64").0, "a Graviton type gets the arm64 image");
    assert_eq!(metadata_options(&aws, &id), options("required", 2));
    let root = root_volume(&aws, &id);
    assert_eq!(root.encrypted(), Some(true), "{root:?}");
    assert!(root.kms_key_id().is_some_and(|k| k.starts_with(&format!("arn:aws:kms:{REGION}:"))), "{root:?}");
    assert_eq!((&v["root_volume_encrypted"], v["root_volume_kms_key_id"].as_str()), (&Value::Bool(true), root.kms_key_id()));
    assert!(v["metadata_options"].is_null(), "{v:#}");

    // IMDSv1 allowed again: an update in place, which EC2 reflects; then one hop.
    ws.write_config(&with("  metadata_options {\n    http_tokens = \"optional\"\n  }\n", ""));
    assert_eq!(ws.plan_actions(), vec![(addr.to_string(), vec!["update".to_string()])]);
    ws.apply();
    let v = ws.resource(addr);
    assert_eq!(s(&v, "instance_id"), id, "the same instance");
    assert_eq!(v["metadata_options"], json!({"http_tokens": "optional", "http_put_response_hop_limit": 2, "http_endpoint": "enabled"}));
    assert_eq!(metadata_options(&aws, &id), options("optional", 2));
    let one_hop = "  metadata_options {\n    http_tokens                 = \"optional\"\n    http_put_response_hop_limit = 1\n  }\n";
    ws.write_config(&with(one_hop, ""));
    assert_eq!(ws.plan_actions(), vec![(addr.to_string(), vec!["update".to_string()])]);
    ws.apply();
    assert_eq!(metadata_options(&aws, &id), options("optional", 1));

    // Changed behind Terraform's back: the managed block shows the drift, and the apply puts it back.
    aws.block_on(
        aws.ec2
            .modify_instance_metadata_options()
            .instance_id(&id)
            .http_tokens(HttpTokensState::Required)
            .http_put_response_hop_limit(1)
            .http_endpoint(InstanceMetadataEndpointState::Enabled)
            .send(),
    )
    .unwrap_or_else(|e| panic!("ModifyInstanceMetadataOptions: {}", err_text(&e)));
    assert_eq!(ws.plan_actions(), vec![(addr.to_string(), vec!["update".to_string()])]);
    ws.apply();
    assert_eq!(metadata_options(&aws, &id), options("optional", 1));

    // The block removed: the state stops tracking it, and nothing is sent to EC2.
    let modifies = moto.count_calls("ModifyInstanceMetadataOptions");
    ws.write_config(&with("", ""));
    assert_eq!(ws.plan_actions(), vec![(addr.to_string(), vec!["update".to_string()])]);
    ws.apply();
    assert_eq!(moto.count_calls("ModifyInstanceMetadataOptions"), modifies);
    assert_eq!(metadata_options(&aws, &id), options("optional", 1));
    assert!(ws.resource(addr)["metadata_options"].is_null());

    // An instance this provider did not launch: Amazon Linux 2, unencrypted root volume, IMDS
    // defaults (IMDSv1 allowed, one hop), joined to the cluster through its user data.
    let (al2, _) = recommended(&aws, &ep, "amazon-linux-2");
    let ud = base64::engine::general_purpose::STANDARD.encode("#!/bin/bash\necho ECS_CLUSTER=hard >> /etc/ecs/ecs.config\n");
    let plain_root = EbsBlockDevice::builder().volume_size(15).encrypted(false).delete_on_termination(true).build();
    let old_id = aws
        .block_on(
            aws.ec2
                .run_instances()
                .image_id(&al2)
                .instance_type(InstanceType::from("t3.small"))
                .min_count(1)
                .max_count(1)
                .user_data(ud)
                .block_device_mappings(BlockDeviceMapping::builder().device_name("/dev/xvda").ebs(plain_root).build())
                .send(),
        )
        .unwrap_or_else(|e| panic!("RunInstances: {}", err_text(&e)))
        .instances()
        .first()
        .and_then(|i| i.instance_id())
        .expect("instance id")
        .to_string();
    let joined = aws
        .block_on(aws.ecs.list_container_instances().cluster("hard").send())
        .unwrap_or_else(|e| panic!("ListContainerInstances: {}", err_text(&e)));
    assert_eq!(joined.container_instance_arns().len(), 2, "the agent stand-in registers the outside instance");
    let old = r#"
resource "awsecs_container_instance" "old" {
  cluster       = awsecs_cluster.c.name
  instance_type = "t3.small"
}
"#;
    ws.write_config(&with("", old));
    ws.import("awsecs_container_instance.old", &old_id);
    let v = ws.resource("awsecs_container_instance.old");
    assert_eq!(s(&v, "ami_id"), al2, "an existing instance keeps its image");
    assert_eq!(v["root_volume_encrypted"], Value::Bool(false), "read back from EC2: {v:#}");
    assert!(v["metadata_options"].is_null(), "{v:#}");
    assert_no_changes(&ws);

    // The state an earlier version of the provider wrote: none of the new attributes.
    let mut state: Value = serde_json::from_str(&ws.run_ok(&["state", "pull"]).stdout).expect("state JSON");
    state["serial"] = json!(state["serial"].as_i64().unwrap_or(0) + 1);
    for r in state["resources"].as_array_mut().expect("resources") {
        if r["type"] == "awsecs_container_instance" {
            for instance in r["instances"].as_array_mut().expect("instances") {
                let attrs = instance["attributes"].as_object_mut().expect("attributes");
                for new in ["root_volume_encrypted", "root_volume_kms_key_id", "metadata_options"] {
                    assert!(attrs.remove(new).is_some(), "{new} is in the state");
                }
            }
        }
    }
    std::fs::write(ws.path().join("earlier.tfstate"), state.to_string()).expect("write earlier.tfstate");
    ws.run_ok(&["state", "push", "earlier.tfstate"]);
    assert_no_changes(&ws);
    assert_eq!(moto.count_calls("ModifyInstanceMetadataOptions"), modifies, "nothing changed the outside instance");
    assert_eq!(metadata_options(&aws, &old_id), options("optional", 1));
    assert_eq!(root_volume(&aws, &old_id).encrypted(), Some(false));
    ws.run_ok(&["apply", "-refresh-only", "-auto-approve"]);
    assert_eq!(ws.resource("awsecs_container_instance.old")["root_volume_encrypted"], Value::Bool(false));
    assert_eq!(ws.resource(addr)["root_volume_encrypted"], Value::Bool(true));

    ws.destroy();
    assert_eq!(ec2_state(&aws, &old_id), "terminated");
    assert_eq!(ec2_state(&aws, &id), "terminated");
}
