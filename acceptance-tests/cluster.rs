//! `awsecs_cluster`: lifecycle, drift, import, blocked delete, protocol 5, validation.

use serde_json::{json, Value};

use crate::harness::aws::{cluster_tags, container_insights, err_text, tag_map};
use crate::harness::{assert_no_changes, provider_block, state_addresses, Aws, Moto, TfWorkspace, ACCOUNT_ID, REGION};

const ADDR: &str = "awsecs_cluster.x";

/// The provider block plus one `awsecs_cluster.x`.
/// `container_insights` is written as given (`"enabled"` with its quotes, or a bare `true`).
fn cluster_config(endpoint: &str, name: &str, container_insights: Option<&str>, tags: &[(&str, &str)]) -> String {
    let mut body = format!("  name = \"{name}\"\n");
    if let Some(ci) = container_insights {
        body.push_str(&format!("  container_insights = {ci}\n"));
    }
    if !tags.is_empty() {
        body.push_str("  tags = {\n");
        for (k, v) in tags {
            body.push_str(&format!("    \"{k}\" = \"{v}\"\n"));
        }
        body.push_str("  }\n");
    }
    format!("{}\nresource \"awsecs_cluster\" \"x\" {{\n{body}}}\n", provider_block(endpoint))
}

fn expected_arn(name: &str) -> String {
    format!("arn:aws:ecs:{REGION}:{ACCOUNT_ID}:cluster/{name}")
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("attribute {key} is not a string in {v:#}"))
}

/// The state values that must hold for any live cluster.
#[track_caller]
fn check_state_cluster(v: &Value, name: &str, tags: &[(&str, &str)]) {
    assert_eq!(str_of(v, "name"), name, "name in state: {v:#}");
    let arn = str_of(v, "arn");
    assert!(arn.starts_with("arn:aws:ecs:"), "arn {arn:?} should start with arn:aws:ecs:");
    assert_eq!(arn, expected_arn(name), "arn in state");
    assert_eq!(str_of(v, "id"), arn, "id must be the ARN");
    assert_eq!(str_of(v, "status"), "ACTIVE", "status in state");
    let want = json!(tag_map(tags));
    assert_eq!(v["tags"], want, "tags in state: {v:#}");
    assert_eq!(v["tags_all"], want, "tags_all (no default_tags) must equal tags: {v:#}");
    for counter in ["registered_container_instances_count", "running_tasks_count", "pending_tasks_count", "active_services_count"] {
        assert!(v[counter].is_number(), "{counter} should be a number: {v:#}");
    }
}

/// AWS's view: the cluster is ACTIVE with exactly these tags; returns its ARN.
#[track_caller]
fn check_aws_cluster(aws: &Aws, name: &str, tags: &[(&str, &str)]) -> String {
    let c = aws.describe_cluster(name).unwrap_or_else(|| panic!("cluster {name} is missing in AWS"));
    assert_eq!(c.status(), Some("ACTIVE"), "AWS status of {name}");
    assert_eq!(cluster_tags(&c), tag_map(tags), "AWS tags of {name}");
    c.cluster_arn().expect("cluster has an ARN").to_string()
}

/// Whitespace-insensitive text: Terraform word-wraps diagnostics (at 78 columns without a terminal).
fn flat(text: &str) -> String {
    text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of the `Error:` diagnostics only (the dev_overrides warning is left out).
fn error_blocks(text: &str) -> String {
    let mut keep = false;
    let mut out = String::new();
    for line in text.lines() {
        let head = line.trim_start_matches(|c: char| c == '│' || c == '╷' || c == '╵' || c.is_whitespace());
        if head.starts_with("Error:") {
            keep = true;
        } else if head.starts_with("Warning:") {
            keep = false;
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A line of a diagnostic that only locates it: `with ADDR,`, `on FILE line N, …`, or the quoted
/// source line `N:   name = …`.
fn is_source_context(line: &str) -> bool {
    let l = line.trim_start_matches(|c: char| c == '│' || c.is_whitespace()).trim_end();
    let numbered = l.split_once(':').is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    l.starts_with("with ") || l.starts_with("on ") || numbered
}

/// `container_insights` takes "enhanced" in place; the bool of schema version 0 still works (with a
/// warning) and plans clean; a state written by version 0 (a bool) upgrades without a change.
#[test]
fn container_insights_levels_and_old_states() {
    let ws = TfWorkspace::new("cluster_insights");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let name = "acc-insights";

    ws.write_config(&cluster_config(&ep, name, Some("true"), &[]));
    let out = ws.apply();
    assert!(out.combined().contains("container_insights takes"), "the old spelling warns: {}", out.describe());
    assert_eq!(container_insights(&aws.describe_cluster(name).unwrap()).as_deref(), Some("enabled"));
    assert_eq!(ws.resource(ADDR)["container_insights"], json!("true"), "the configuration's spelling is kept");
    assert_no_changes(&ws);

    // A state as schema version 0 wrote it: container_insights a bool.
    let path = ws.path().join("terraform.tfstate");
    let mut state: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("state file")).expect("state JSON");
    let inst = &mut state["resources"][0]["instances"][0];
    inst["schema_version"] = json!(0);
    inst["attributes"]["container_insights"] = json!(true);
    state["serial"] = json!(state["serial"].as_i64().unwrap_or(1) + 1);
    std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).expect("write state");
    assert_no_changes(&ws);

    ws.write_config(&cluster_config(&ep, name, Some("\"enhanced\""), &[]));
    assert_eq!(ws.plan_actions(), vec![(ADDR.to_string(), vec!["update".to_string()])]);
    ws.apply();
    assert_eq!(container_insights(&aws.describe_cluster(name).unwrap()).as_deref(), Some("enhanced"));
    assert_eq!(ws.resource(ADDR)["container_insights"], json!("enhanced"));
    assert_no_changes(&ws);

    ws.write_config(&cluster_config(&ep, name, Some("\"sometimes\""), &[]));
    let out = ws.run(&["validate"]);
    assert!(!out.success() && out.combined().contains("enhanced"), "{}", out.describe());
    ws.write_config(&cluster_config(&ep, name, Some("\"enhanced\""), &[]));
    ws.destroy();
}

/// Scenario 1: Create with tags, update tags, update container_insights, rename (replace), destroy.
#[test]
fn lifecycle() {
    let ws = TfWorkspace::new("cluster_lifecycle");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);

    // Create.
    let name = "acc-lifecycle";
    ws.write_config(&cluster_config(&ep, name, None, &[("env", "test")]));
    ws.apply();
    let v = ws.resource(ADDR);
    check_state_cluster(&v, name, &[("env", "test")]);
    let aws_arn = check_aws_cluster(&aws, name, &[("env", "test")]);
    assert_eq!(str_of(&v, "arn"), aws_arn, "state arn vs AWS arn");
    // container_insights was omitted: it is whatever AWS says (moto's default is "disabled").
    let c = aws.describe_cluster(name).unwrap();
    let aws_ci = container_insights(&c);
    let want_ci = json!(aws_ci.as_deref().unwrap_or("disabled"));
    assert_eq!(v["container_insights"], want_ci, "computed container_insights vs AWS {aws_ci:?}");
    assert_no_changes(&ws);

    // Tags change in place; the old value disappears.
    let tags2 = [("env", "prod"), ("team", "web")];
    ws.write_config(&cluster_config(&ep, name, None, &tags2));
    assert_eq!(ws.plan_actions(), vec![(ADDR.to_string(), vec!["update".to_string()])], "tag change must be an in-place update");
    ws.apply();
    check_aws_cluster(&aws, name, &tags2);
    let v = ws.resource(ADDR);
    check_state_cluster(&v, name, &tags2);
    assert_eq!(str_of(&v, "arn"), aws_arn, "an update must keep the same cluster");
    assert_no_changes(&ws);

    // Container Insights on, in place.
    ws.write_config(&cluster_config(&ep, name, Some("\"enabled\""), &tags2));
    assert_eq!(ws.plan_actions(), vec![(ADDR.to_string(), vec!["update".to_string()])], "container_insights must update in place");
    ws.apply();
    let c = aws.describe_cluster(name).unwrap();
    assert_eq!(container_insights(&c).as_deref(), Some("enabled"), "AWS containerInsights setting: {:?}", c.settings());
    let v = ws.resource(ADDR);
    assert_eq!(v["container_insights"], json!("enabled"));
    assert_eq!(str_of(&v, "arn"), aws_arn, "an update must keep the same cluster");
    assert_no_changes(&ws);

    // Rename: replacement.
    let name2 = "acc-lifecycle-renamed";
    ws.write_config(&cluster_config(&ep, name2, Some("\"enabled\""), &tags2));
    assert_eq!(
        ws.plan_actions(),
        vec![(ADDR.to_string(), vec!["delete".to_string(), "create".to_string()])],
        "a new name must replace the cluster"
    );
    ws.apply();
    assert!(aws.cluster_is_gone(name), "old cluster {name} should be INACTIVE or missing, is {:?}", aws.cluster_status(name));
    let arn2 = check_aws_cluster(&aws, name2, &tags2);
    let c = aws.describe_cluster(name2).unwrap();
    assert_eq!(container_insights(&c).as_deref(), Some("enabled"), "the new cluster gets container insights too");
    let v = ws.resource(ADDR);
    check_state_cluster(&v, name2, &tags2);
    assert_eq!(str_of(&v, "arn"), arn2);
    assert_no_changes(&ws);

    // Destroy.
    ws.destroy();
    assert!(aws.cluster_is_gone(name2), "{name2} should be INACTIVE or missing, is {:?}", aws.cluster_status(name2));
    let state = ws.show_state();
    assert!(state_addresses(&state).is_empty(), "state should be empty after destroy: {state:#}");
}

/// Scenario 2: A cluster deleted behind Terraform's back is planned for creation again.
#[test]
fn out_of_band_delete() {
    let ws = TfWorkspace::new("cluster_out_of_band_delete");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);

    let name = "acc-oob";
    let tags = [("purpose", "drift")];
    ws.write_config(&cluster_config(&ep, name, None, &tags));
    ws.apply();
    check_aws_cluster(&aws, name, &tags);

    aws.block_on(aws.ecs.delete_cluster().cluster(name).send()).unwrap_or_else(|e| panic!("DeleteCluster: {}", err_text(&e)));
    assert!(aws.cluster_is_gone(name), "the SDK delete did not take");

    assert_eq!(
        ws.plan_actions(),
        vec![(ADDR.to_string(), vec!["create".to_string()])],
        "a cluster deleted outside Terraform must be planned for creation"
    );
    ws.apply();
    check_aws_cluster(&aws, name, &tags);
    check_state_cluster(&ws.resource(ADDR), name, &tags);
    assert_no_changes(&ws);
}

/// Scenario 3: Import an SDK-made cluster by name, forget it, import it by ARN.
#[test]
fn import_by_name_and_arn() {
    let ws = TfWorkspace::new("cluster_import");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);

    let name = "acc-import";
    let tags = [("owner", "sdk")];
    let created = aws
        .block_on(
            aws.ecs.create_cluster().cluster_name(name).tags(aws_sdk_ecs::types::Tag::builder().key("owner").value("sdk").build()).send(),
        )
        .unwrap_or_else(|e| panic!("CreateCluster: {}", err_text(&e)));
    let arn = created.cluster().and_then(|c| c.cluster_arn()).expect("created cluster has an ARN").to_string();
    assert_eq!(arn, expected_arn(name));

    ws.write_config(&cluster_config(&ep, name, None, &tags));

    // By name.
    ws.import(ADDR, name);
    let v = ws.resource(ADDR);
    check_state_cluster(&v, name, &tags);
    assert_eq!(str_of(&v, "arn"), arn);
    assert_no_changes(&ws);

    // Forget it; AWS keeps it.
    ws.state_rm(ADDR);
    let state = ws.show_state();
    assert!(state_addresses(&state).is_empty(), "state rm left {:?}", state_addresses(&state));
    check_aws_cluster(&aws, name, &tags);

    // A cluster that does not exist cannot be imported.
    let missing = ws.run(&["import", ADDR, "acc-no-such-cluster"]);
    assert!(!missing.success(), "importing a missing cluster must fail: {}", missing.describe());
    assert!(state_addresses(&ws.show_state()).is_empty(), "a failed import must not add state");

    // By ARN.
    ws.import(ADDR, &arn);
    let v = ws.resource(ADDR);
    check_state_cluster(&v, name, &tags);
    assert_eq!(str_of(&v, "arn"), arn);
    assert_no_changes(&ws);
}

/// Scenario 4: Destroy refuses while a container instance is registered, naming it; works once it is gone.
#[test]
fn delete_blocked_by_container_instance() {
    let ws = TfWorkspace::new("cluster_delete_blocked");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);

    let name = "acc-blocked";
    ws.write_config(&cluster_config(&ep, name, None, &[]));
    ws.apply();
    check_aws_cluster(&aws, name, &[]);

    // Play the ECS agent: an EC2 instance registered into the cluster.
    let ci_arn = crate::harness::ecs::register_instance(&aws, name);

    let out = ws.run(&["destroy", "-auto-approve"]);
    assert!(!out.success(), "destroy must fail while {ci_arn} is registered: {}", out.describe());
    let text = flat(&out.combined());
    assert!(text.contains(&ci_arn), "the error must name the container instance {ci_arn}: {}", out.describe());
    assert!(text.to_lowercase().contains("container instance"), "the error must say \"container instance\": {}", out.describe());
    assert_eq!(aws.cluster_status(name).as_deref(), Some("ACTIVE"), "the cluster must survive the refused delete");
    assert!(state_addresses(&ws.show_state()).contains(&ADDR.to_string()), "the cluster must stay in state");

    aws.block_on(aws.ecs.deregister_container_instance().cluster(name).container_instance(&ci_arn).force(true).send())
        .unwrap_or_else(|e| panic!("DeregisterContainerInstance: {}", err_text(&e)));

    ws.destroy();
    assert!(aws.cluster_is_gone(name), "{name} should be INACTIVE or missing, is {:?}", aws.cluster_status(name));
    assert!(state_addresses(&ws.show_state()).is_empty(), "state should be empty after destroy");
}

/// The plugin protocol versions Terraform's debug log says it negotiated ("using plugin: version=N").
fn negotiated_versions(log: &str) -> Vec<u32> {
    log.lines()
        .filter(|l| l.contains("using plugin"))
        .filter_map(|l| {
            let rest = &l[l.find("version=")? + "version=".len()..];
            let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            digits.parse().ok()
        })
        .collect()
}

/// Runs one `terraform plan` with a debug log and returns the protocol versions it negotiated.
#[track_caller]
fn plan_protocol_versions(ws: &TfWorkspace, log_name: &str) -> Vec<u32> {
    let log_path = ws.path().join(log_name);
    let log_path_str = log_path.to_str().expect("utf-8 temp path").to_string();
    let out = ws.run_with_env(&["plan"], &[("TF_LOG", "DEBUG"), ("TF_LOG_PATH", &log_path_str)]);
    assert!(out.success(), "plan with debug log failed: {}", out.describe());
    let log = std::fs::read_to_string(&log_path).unwrap_or_else(|e| panic!("cannot read {}: {e}", log_path.display()));
    let versions = negotiated_versions(&log);
    if versions.is_empty() {
        let hints: Vec<&str> = log.lines().filter(|l| l.contains("plugin") || l.contains("version")).take(40).collect();
        panic!("no \"using plugin: version=N\" line in {}; plugin lines:\n{}", log_path.display(), hints.join("\n"));
    }
    versions
}

/// Scenario 5: The same basics over plugin protocol 5 only (AWSECS_PROTOCOL_VERSIONS=5), and proof that 5
/// was negotiated (while the default negotiates 6).
#[test]
fn protocol_5() {
    let mut ws = TfWorkspace::new("cluster_protocol_5");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    ws.set_env("AWSECS_PROTOCOL_VERSIONS", "5");

    let name = "acc-proto5";
    ws.write_config(&cluster_config(&ep, name, None, &[("env", "test")]));
    ws.apply();
    check_state_cluster(&ws.resource(ADDR), name, &[("env", "test")]);
    check_aws_cluster(&aws, name, &[("env", "test")]);
    assert_no_changes(&ws);

    let tags2 = [("env", "prod"), ("team", "web")];
    ws.write_config(&cluster_config(&ep, name, None, &tags2));
    assert_eq!(ws.plan_actions(), vec![(ADDR.to_string(), vec!["update".to_string()])]);
    ws.apply();
    check_aws_cluster(&aws, name, &tags2);
    check_state_cluster(&ws.resource(ADDR), name, &tags2);
    assert_no_changes(&ws);

    let v5 = plan_protocol_versions(&ws, "tf-protocol-5.log");
    assert!(v5.iter().all(|&v| v == 5), "with AWSECS_PROTOCOL_VERSIONS=5 every provider process must speak 5, log says {v5:?}");

    ws.destroy();
    assert!(aws.cluster_is_gone(name), "{name} should be INACTIVE or missing, is {:?}", aws.cluster_status(name));
    assert!(state_addresses(&ws.show_state()).is_empty(), "state should be empty after destroy");

    ws.unset_env("AWSECS_PROTOCOL_VERSIONS");
    let default = plan_protocol_versions(&ws, "tf-protocol-default.log");
    assert!(default.iter().all(|&v| v == 6), "by default Terraform 1.0.3 must negotiate 6, log says {default:?}");
}

/// Scenario 6: An invalid name fails validation with a diagnostic on the `name` attribute, and nothing
/// reaches AWS.
#[test]
fn validation_error_has_path() {
    let ws = TfWorkspace::new("cluster_validation");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);

    let config = cluster_config(&ep, "bad name!", None, &[]);
    let name_line = config.lines().position(|l| l.contains("bad name!")).expect("the name line is in the config") + 1;
    ws.write_config(&config);

    for args in [&["validate"][..], &["apply", "-auto-approve"][..]] {
        let out = ws.run(args);
        assert!(!out.success(), "`terraform {}` must fail for name \"bad name!\": {}", args.join(" "), out.describe());
        let text = flat(&out.combined());
        // The diagnostic carries the attribute path, so Terraform points at the name line, not at
        // the resource block header.
        assert!(
            text.contains(&format!("on main.tf line {name_line},")),
            "the error must point at main.tf line {name_line} (the name attribute): {}",
            out.describe()
        );
        // The message says what is allowed. Look only at the diagnostic's own words, not at the
        // source snippet or the resource address.
        let words = error_blocks(&out.combined()).lines().filter(|l| !is_source_context(l)).collect::<Vec<_>>().join(" ").to_lowercase();
        assert!(words.contains("name"), "the error must mention name: {}", out.describe());
        let says = |alts: &[&str]| alts.iter().any(|a| words.contains(a));
        assert!(
            says(&["letter", "a-z", "alphanumeric"])
                && says(&["digit", "number", "0-9", "alphanumeric"])
                && says(&["hyphen", "-", "dash"])
                && says(&["underscore", "_"]),
            "the error must say which characters are allowed (letters, digits, - and _): {}",
            out.describe()
        );
    }

    let clusters = aws.list_cluster_arns();
    assert!(clusters.is_empty(), "no cluster may be created from an invalid config, found {clusters:?}");
}

/// Terraform refreshes resources concurrently; the provider answers concurrent cluster reads with
/// one DescribeClusters call of up to 100 clusters instead of one call per cluster.
#[test]
fn refresh_of_many_clusters_is_batched() {
    let ws = TfWorkspace::new("cluster_batched_refresh");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let n = 25;
    ws.write_config(&format!(
        "{}\nresource \"awsecs_cluster\" \"many\" {{\n  count = {n}\n  name  = \"acc-many-${{count.index}}\"\n}}\n",
        provider_block(&ep)
    ));
    ws.apply();
    assert_eq!(Aws::new(&ep).list_cluster_arns().len(), n, "clusters in moto after apply");

    let before = moto.count_calls("DescribeClusters");
    // Terraform's default parallelism is 10; raise it so that all reads can arrive together.
    ws.run_ok(&["plan", "-refresh-only", "-parallelism=50", "-input=false", "-no-color"]);
    let calls = moto.count_calls("DescribeClusters") - before;
    assert!(calls >= 1, "the refresh must read the clusters from AWS");
    assert!(calls <= 3, "{n} concurrent cluster reads took {calls} DescribeClusters calls; expected them batched into at most 3");
    assert_no_changes(&ws);
}
