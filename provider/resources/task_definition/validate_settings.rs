//! The cross-field checks of the settings production task definitions add (`Resource::validate`,
//! no AWS call; unknown values are skipped): `depends_on` and health checks, `ulimit`, what needs the
//! task execution role, EFS volumes, and what Fargate refuses or alone takes.

use std::collections::HashSet;

use super::validate::check_reference;
use crate::tf::{AttrPath, Diagnostics, Value};

fn items(v: &Value) -> &[Value] {
    v.as_list().unwrap_or(&[])
}

fn fargate(cfg: &Value) -> Option<bool> {
    match cfg.get("requires_compatibilities") {
        Value::Unknown => None,
        v => Some(items(v).iter().any(|c| c.as_str() == Some("FARGATE"))),
    }
}

pub(super) fn validate(cfg: &Value, d: &mut Diagnostics) {
    let containers = items(cfg.get("container"));
    let names: Vec<Option<&str>> = containers.iter().map(|c| c.get("name").as_str()).collect();
    let all_known = names.iter().all(Option::is_some);
    let no_execution_role = cfg.get("execution_role_arn").is_null();
    let on_fargate = fargate(cfg) == Some(true);
    for (i, c) in containers.iter().enumerate() {
        let p = AttrPath::root("container").index(i);
        dependencies(d, &p, c, containers, &names, all_known);
        ulimits(d, &p, c);
        if no_execution_role {
            needs_execution_role(d, &p, c);
        }
        if on_fargate {
            not_on_fargate(d, &p, c);
        }
    }
    for (k, v) in items(cfg.get("volume")).iter().enumerate() {
        efs_volume(d, k, v);
    }
    task_settings(d, cfg);
}

/// `depends_on`: another container of the task; HEALTHY needs its health check; COMPLETE and
/// SUCCESS a container that is not essential (AWS: "This condition can't be set on an essential
/// container"). `start_timeout` means something only with a dependency.
fn dependencies(d: &mut Diagnostics, p: &AttrPath, c: &Value, containers: &[Value], names: &[Option<&str>], all_known: bool) {
    let own = c.get("name").as_str();
    for (k, dep) in items(c.get("depends_on")).iter().enumerate() {
        let dp = p.attr("depends_on").index(k);
        let Some(target) = dep.get("container_name").as_str() else { continue };
        check_reference(d, dp.attr("container_name"), "depends_on", target, own, names, all_known);
        let Some(other) = containers.iter().find(|o| o.get("name").as_str() == Some(target)).filter(|_| Some(target) != own) else {
            continue;
        };
        match dep.get("condition").as_str() {
            Some("HEALTHY") if other.get("health_check").is_null() => d.error_at(
                dp.attr("condition"),
                format!("Container {target:?} has no health check to become HEALTHY"),
                format!("condition = \"HEALTHY\" waits for the health check of {target:?}, and it has none, so this container would never start. Add a `health_check` block to {target:?}, or wait for \"START\"."),
            ),
            Some(cond @ ("COMPLETE" | "SUCCESS")) if !matches!(other.get("essential"), Value::Bool(false)) && !other.get("essential").is_unknown() => d.error_at(
                dp.attr("condition"),
                format!("condition {cond} needs a container that is not essential"),
                format!("{cond} waits for {target:?} to exit, and AWS refuses it on an essential container (an essential container that exits stops the task). Set `essential = false` on {target:?}, or wait for \"START\" or \"HEALTHY\"."),
            ),
            _ => {}
        }
    }
}

/// `ulimit`: each name once, soft limit at most the hard one.
fn ulimits(d: &mut Diagnostics, p: &AttrPath, c: &Value) {
    let mut seen = HashSet::new();
    for (k, u) in items(c.get("ulimit")).iter().enumerate() {
        let up = p.attr("ulimit").index(k);
        if let Some(n) = u.get("name").as_str() {
            if !seen.insert(n.to_string()) {
                d.error_at(
                    up.attr("name"),
                    format!("ulimit {n:?} is set twice"),
                    "Each ulimit name appears once per container: merge the blocks.",
                );
            }
        }
        if let (Some(soft), Some(hard)) = (u.get("soft_limit").as_i64(), u.get("hard_limit").as_i64()) {
            if soft > hard {
                d.error_at(
                    up.attr("soft_limit"),
                    format!("soft_limit {soft} is above hard_limit {hard}"),
                    "Docker refuses a ulimit whose soft limit exceeds its hard limit, and the container would not start. Lower `soft_limit` or raise `hard_limit`.",
                );
            }
        }
    }
}

/// ECS reads registry credentials, environment files and log secrets with the task execution role.
fn needs_execution_role(d: &mut Diagnostics, p: &AttrPath, c: &Value) {
    let uses = [
        (
            !c.get("repository_credentials").is_null(),
            p.attr("repository_credentials"),
            "repository_credentials",
            "secretsmanager:GetSecretValue on the credentials secret",
        ),
        (
            !items(c.get("environment_file")).is_empty(),
            p.attr("environment_file").index(0),
            "environment_file",
            "s3:GetObject on the files (and s3:GetBucketLocation)",
        ),
        (
            !items(c.get("log_configuration").get("secret_option")).is_empty(),
            p.attr("log_configuration").attr("secret_option").index(0),
            "log_configuration.secret_option",
            "secretsmanager:GetSecretValue or ssm:GetParameters on them",
        ),
    ];
    for (used, path, what, permission) in uses {
        if used {
            d.error_at(
                path,
                format!("{what} needs execution_role_arn"),
                format!("ECS reads {what} with the task execution role before the container starts; without one the task stops with an error instead of starting. Set `execution_role_arn` to a role with the AmazonECSTaskExecutionRolePolicy plus {permission}."),
            );
        }
    }
}

/// Container settings AWS refuses for Fargate ("Amazon ECS task definition parameters for Fargate").
fn not_on_fargate(d: &mut Diagnostics, p: &AttrPath, c: &Value) {
    let lp = c.get("linux_parameters");
    let refused = [
        (c.get("privileged").as_bool() == Some(true), p.attr("privileged"), "privileged"),
        (
            !lp.get("shared_memory_size").is_null(),
            p.attr("linux_parameters").attr("shared_memory_size"),
            "linux_parameters.shared_memory_size",
        ),
        (!items(lp.get("tmpfs")).is_empty(), p.attr("linux_parameters").attr("tmpfs"), "linux_parameters.tmpfs"),
    ];
    for (used, path, what) in refused {
        if used {
            d.error_at(
                path,
                format!("Fargate does not support {what}"),
                format!("`requires_compatibilities` includes FARGATE, and Fargate refuses `{what}`. Remove it, or run the task on EC2 (remove FARGATE)."),
            );
        }
    }
    for (k, cap) in items(lp.get("capabilities").get("add")).iter().enumerate() {
        if let Some(cap) = cap.as_str().filter(|c| *c != "SYS_PTRACE") {
            d.error_at(
                p.attr("linux_parameters").attr("capabilities").attr("add").index(k),
                format!("Fargate does not add capability {cap}"),
                "On Fargate the only capability that may be added is SYS_PTRACE. Remove it, or run the task on EC2.",
            );
        }
    }
}

/// An EFS volume: not with `host_path`; an access point or IAM needs transit encryption; with an
/// access point the root directory is the access point's; a TLS port needs TLS.
fn efs_volume(d: &mut Diagnostics, k: usize, v: &Value) {
    let efs = v.get("efs_volume_configuration");
    if efs.is_null() || efs.is_unknown() {
        return;
    }
    let name = v.get("name").as_str().unwrap_or("?");
    let at = AttrPath::root("volume");
    let _ = k; // a set: diagnostics point at the block, and name the volume
    if !v.get("host_path").is_null() {
        d.error_at(
            at.clone(),
            format!("Volume {name:?} has both host_path and efs_volume_configuration"),
            "A volume is a directory of the instance or an EFS file system, not both. Remove `host_path` to keep the data on EFS.",
        );
    }
    let tls = efs.get("transit_encryption");
    let tls_off = matches!(tls, Value::Null) || tls.as_str() == Some("DISABLED");
    let auth = efs.get("authorization_config");
    let access_point = auth.get("access_point_id");
    if tls_off {
        let needs = [
            (!access_point.is_null(), "an access point (access_point_id)"),
            (auth.get("iam").as_str() == Some("ENABLED"), "IAM authorization (iam = \"ENABLED\")"),
        ];
        for (used, what) in needs {
            if used {
                d.error_at(
                    at.clone(),
                    format!("Volume {name:?} uses {what} without transit encryption"),
                    format!("ECS mounts EFS with {what} only over TLS, and refuses the task definition otherwise. Set `transit_encryption = \"ENABLED\"` in `efs_volume_configuration`."),
                );
            }
        }
        if !efs.get("transit_encryption_port").is_null() {
            d.error_at(
                at.clone(),
                format!("Volume {name:?} sets transit_encryption_port without transit encryption"),
                "The port is that of the TLS tunnel: set `transit_encryption = \"ENABLED\"`, or remove `transit_encryption_port`.",
            );
        }
    }
    if let (false, Some(root)) = (access_point.is_null(), efs.get("root_directory").as_str()) {
        if root != "/" {
            d.error_at(
                at,
                format!("Volume {name:?} sets root_directory {root:?} with an access point"),
                "With an access point, the directory is the access point's own: AWS takes `root_directory` only left out or \"/\". Remove it, or set the directory on the access point.",
            );
        }
    }
}

/// Task-level settings: `ephemeral_storage` is Fargate's; `ipc_mode`, `pid_mode = "host"` and
/// placement constraints are refused on Fargate.
fn task_settings(d: &mut Diagnostics, cfg: &Value) {
    match fargate(cfg) {
        Some(true) => {
            let refused = [
                (!cfg.get("ipc_mode").is_null(), "ipc_mode"),
                (cfg.get("pid_mode").as_str() == Some("host"), "pid_mode"),
                (!items(cfg.get("placement_constraint")).is_empty(), "placement_constraint"),
            ];
            for (used, what) in refused {
                if used {
                    d.error_at(
                        AttrPath::root(what),
                        format!("Fargate does not support {what}{}", if what == "pid_mode" { " \"host\"" } else { "" }),
                        format!("`requires_compatibilities` includes FARGATE, and Fargate refuses `{what}` here. Remove it, or run the task on EC2 (remove FARGATE)."),
                    );
                }
            }
        }
        Some(false) if !cfg.get("ephemeral_storage").is_null() => d.error_at(
            AttrPath::root("ephemeral_storage").attr("size_in_gib"),
            "ephemeral_storage is for Fargate",
            "Only Fargate tasks take `ephemeral_storage`; on EC2 a task's storage is the instance's disk. Add FARGATE to `requires_compatibilities`, or remove the block (and give the container instances a larger root volume).",
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(cfg: &Value) -> Vec<(String, String)> {
        let mut d = Diagnostics::new();
        validate(cfg, &mut d);
        d.0.iter().map(|x| (x.path.as_ref().map(|p| p.to_string()).unwrap_or_default(), x.summary.clone())).collect()
    }

    fn container(name: &str, extra: Vec<(&'static str, Value)>) -> Value {
        let mut pairs: Vec<(&'static str, Value)> = vec![("name", Value::string(name))];
        pairs.extend(extra);
        Value::object(pairs)
    }

    fn dep(name: &str, cond: &str) -> Value {
        Value::List(vec![Value::object([("container_name", Value::string(name)), ("condition", Value::string(cond))])])
    }

    #[test]
    fn depends_on_rules() {
        let hc = Value::object([("command", Value::List(vec!["CMD".into(), "true".into()]))]);
        let ok = Value::object([(
            "container",
            Value::List(vec![
                container("db", vec![("health_check", hc)]),
                container("init", vec![("essential", Value::Bool(false))]),
                container(
                    "web",
                    vec![(
                        "depends_on",
                        Value::List([dep("db", "HEALTHY").as_list().unwrap(), dep("init", "SUCCESS").as_list().unwrap()].concat()),
                    )],
                ),
            ]),
        )]);
        assert!(errors(&ok).is_empty(), "{:?}", errors(&ok));
        let bad = Value::object([(
            "container",
            Value::List(vec![
                container("db", vec![]),
                container(
                    "web",
                    vec![(
                        "depends_on",
                        Value::List(
                            [
                                dep("db", "HEALTHY").as_list().unwrap(),
                                dep("db", "COMPLETE").as_list().unwrap(),
                                dep("cache", "START").as_list().unwrap(),
                            ]
                            .concat(),
                        ),
                    )],
                ),
            ]),
        )]);
        let e = errors(&bad);
        assert_eq!(e[0].0, "container[1].depends_on[0].condition");
        assert!(e[0].1.contains("no health check"));
        assert!(e[1].1.contains("not essential"));
        assert_eq!(e[2].0, "container[1].depends_on[2].container_name");
        assert!(e[2].1.contains("No container is named \"cache\""));
    }

    #[test]
    fn ulimit_and_execution_role_rules() {
        let u = Value::List(vec![
            Value::object([("name", "nofile".into()), ("soft_limit", Value::int(2048)), ("hard_limit", Value::int(1024))]),
            Value::object([("name", "nofile".into()), ("soft_limit", Value::int(1)), ("hard_limit", Value::int(1))]),
        ]);
        let rc = Value::object([("credentials_parameter", "arn:aws:secretsmanager:r:1:secret:hub".into())]);
        let cfg = Value::object([("container", Value::List(vec![container("web", vec![("ulimit", u), ("repository_credentials", rc)])]))]);
        let paths: Vec<String> = errors(&cfg).into_iter().map(|e| e.0).collect();
        assert_eq!(paths, vec!["container[0].ulimit[0].soft_limit", "container[0].ulimit[1].name", "container[0].repository_credentials"]);
    }

    fn efs(pairs: Vec<(&'static str, Value)>) -> Value {
        Value::object([
            ("volume", Value::Set(vec![Value::object([("name", "wp".into()), ("efs_volume_configuration", Value::object(pairs))])])),
            ("container", Value::List(vec![])),
        ])
    }

    #[test]
    fn efs_rules() {
        let ap = || Value::object([("access_point_id", "fsap-0123456789abcdef0".into())]);
        assert!(errors(&efs(vec![("file_system_id", "fs-1".into())])).is_empty());
        assert!(errors(&efs(vec![("transit_encryption", "ENABLED".into()), ("authorization_config", ap())])).is_empty());
        let e = errors(&efs(vec![
            ("authorization_config", ap()),
            ("root_directory", "/wp".into()),
            ("transit_encryption_port", Value::int(2999)),
        ]));
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].1.contains("without transit encryption"));
        assert!(e[1].1.contains("transit_encryption_port"));
        assert!(e[2].1.contains("root_directory"));
    }

    #[test]
    fn fargate_rules() {
        let fg = |extra: Vec<(&'static str, Value)>| {
            let mut pairs: Vec<(&'static str, Value)> = vec![
                ("requires_compatibilities", Value::Set(vec!["FARGATE".into()])),
                ("container", Value::List(vec![container("web", vec![("privileged", Value::Bool(true))])])),
            ];
            pairs.extend(extra);
            Value::object(pairs)
        };
        let paths: Vec<String> = errors(&fg(vec![("ipc_mode", "task".into())])).into_iter().map(|e| e.0).collect();
        assert_eq!(paths, vec!["container[0].privileged", "ipc_mode"]);
        let ec2 =
            Value::object([("ephemeral_storage", Value::object([("size_in_gib", Value::int(30))])), ("container", Value::List(vec![]))]);
        assert_eq!(errors(&ec2)[0].0, "ephemeral_storage.size_in_gib");
        let unknown = Value::object([
            ("ephemeral_storage", Value::object([("size_in_gib", Value::int(30))])),
            ("requires_compatibilities", Value::Unknown),
        ]);
        assert!(errors(&unknown).is_empty());
    }
}
