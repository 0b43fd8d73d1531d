//! The cross-field checks of `awsecs_task_definition` (`Resource::validate`): at plan time, with
//! no AWS call; unknown values are skipped, never guessed.
//!
//! Over 500 lines: the checks are one pass over the containers, kept together, and their unit
//! tests (one or more per rule) take almost half the file.

use std::collections::{HashMap, HashSet};

use crate::tf::{AttrPath, Diagnostics, Value};

/// A string that is known (None for null and unknown).
fn known_str(v: &Value) -> Option<&str> {
    v.as_str()
}

/// The effective value of an attribute with a default: the default for null, None for unknown.
fn str_or<'a>(v: &'a Value, default: &'a str) -> Option<&'a str> {
    match v {
        Value::Null => Some(default),
        Value::String(s) => Some(s),
        _ => None,
    }
}

pub(super) fn validate_config(cfg: &Value, d: &mut Diagnostics) {
    settings(cfg, d);
    let mode = str_or(cfg.get("network_mode"), "bridge");
    let Some(containers) = cfg.get("container").as_list() else { return };
    let container_path = |i: usize| AttrPath::root("container").index(i);

    // Volumes: names must be unique; None when some name is not known yet.
    let mut volume_names: Option<HashSet<String>> = Some(HashSet::new());
    match cfg.get("volume") {
        Value::Unknown => volume_names = None,
        v => {
            for vol in v.as_list().unwrap_or(&[]) {
                match (vol.get("name").as_str(), volume_names.as_mut()) {
                    (Some(n), Some(names)) => {
                        if !names.insert(n.to_string()) {
                            d.error_at(
                                AttrPath::root("volume"),
                                format!("Two volumes are named {n:?}"),
                                "Each `volume` block needs its own name: rename or remove one of them.",
                            );
                        }
                    }
                    _ => volume_names = None,
                }
            }
        }
    }

    // Container names: unique.
    let names: Vec<Option<&str>> = containers.iter().map(|c| known_str(c.get("name"))).collect();
    let all_names_known = names.iter().all(Option::is_some);
    for (i, n) in names.iter().enumerate() {
        if let Some(n) = n {
            if let Some(first) = names[..i].iter().position(|m| m == &Some(*n)) {
                d.error_at(
                    container_path(i).attr("name"),
                    format!("Two containers are named {n:?}"),
                    format!("container[{first}] already has this name. Container names must be unique in a task definition: rename one of them."),
                );
            }
        }
    }

    // At least one essential container.
    let essentials: Vec<Option<bool>> = containers
        .iter()
        .map(|c| match c.get("essential") {
            Value::Null => Some(true),
            Value::Bool(b) => Some(*b),
            _ => None,
        })
        .collect();
    if !containers.is_empty() && essentials.iter().all(|e| *e == Some(false)) {
        d.error_at(
            AttrPath::root("container").index(0).attr("essential"),
            "No container is essential",
            "A task needs at least one essential container (the task stops when it stops). Set `essential = true` on the main container, or leave `essential` out (it defaults to true).",
        );
    }

    let task_memory = cfg.get("memory");
    let fargate = cfg.get("requires_compatibilities").as_list().is_some_and(|l| l.iter().any(|v| v.as_str() == Some("FARGATE")));
    let no_execution_role = cfg.get("execution_role_arn").is_null();
    // (host port, protocol) -> where it is first bound.
    let mut bound: HashMap<(i64, String), String> = HashMap::new();
    for (i, c) in containers.iter().enumerate() {
        let p = container_path(i);
        let own_name = names[i];

        // Memory.
        let (mem, res) = (c.get("memory"), c.get("memory_reservation"));
        if mem.is_null() && res.is_null() && task_memory.is_null() {
            d.error_at(
                p.attr("memory"),
                format!("Container {} has no memory limit", own_name.map(|n| format!("{n:?}")).unwrap_or_else(|| format!("container[{i}]"))),
                "Set `memory` (hard limit in MiB) or `memory_reservation` (soft limit in MiB) on the container, or the task-level `memory`.",
            );
        }
        if let (Some(m), Some(r)) = (mem.as_i64(), res.as_i64()) {
            if m < r {
                d.error_at(
                    p.attr("memory_reservation"),
                    format!("memory_reservation ({r} MiB) is above memory ({m} MiB)"),
                    "The soft limit (`memory_reservation`) must not exceed the hard limit (`memory`): lower the reservation or raise the limit.",
                );
            }
        }

        // Secrets: ECS fetches them with the task execution role.
        if no_execution_role && c.get("secret").as_list().is_some_and(|s| !s.is_empty()) {
            d.error_at(
                p.attr("secret").index(0),
                "Container secrets need execution_role_arn",
                "ECS fetches `secret` values with the task execution role, and AWS refuses the task definition without one: \"When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.\" Set `execution_role_arn` to a role that may read the secrets (the AmazonECSTaskExecutionRolePolicy plus secretsmanager:GetSecretValue or ssm:GetParameters on them), e.g. `execution_role_arn = aws_iam_role.ecs_execution.arn`.",
            );
        }

        // Ports.
        let mappings = c.get("port_mapping").as_list().unwrap_or(&[]);
        if mode == Some("none") && !mappings.is_empty() {
            d.error_at(
                p.attr("port_mapping").index(0),
                "Port mappings need a network",
                "With `network_mode = \"none\"` containers have no network, so `port_mapping` blocks cannot be used. Remove them or choose bridge, host or awsvpc.",
            );
        }
        for (k, pm) in mappings.iter().enumerate() {
            let pp = p.attr("port_mapping").index(k);
            let cport = pm.get("container_port").as_i64();
            let hport = pm.get("host_port");
            if let (Some(m @ ("awsvpc" | "host")), Some(h), Some(cp)) = (mode, hport.as_i64(), cport) {
                if h != cp {
                    d.error_at(
                        pp.attr("host_port"),
                        format!("host_port {h} differs from container_port {cp} in {m} mode"),
                        format!(
                            "In {m} network mode the container port is the host port: set `host_port = {cp}` or leave `host_port` out."
                        ),
                    );
                    continue;
                }
            }
            let effective = match (mode, hport) {
                (Some("bridge"), Value::Number(_)) => hport.as_i64(),
                (Some("host"), Value::Null) => cport,
                (Some("host"), Value::Number(_)) => hport.as_i64(),
                _ => None,
            };
            let (Some(port), Some(proto)) = (effective, str_or(pm.get("protocol"), "tcp")) else { continue };
            let here = format!("container[{i}].port_mapping[{k}]");
            match bound.get(&(port, proto.to_string())) {
                Some(first) => d.error_at(
                    if hport.is_null() { pp.attr("container_port") } else { pp.attr("host_port") },
                    format!("Host port {port}/{proto} is bound twice"),
                    format!("{first} already binds host port {port}/{proto}; two containers of a task cannot share a host port and protocol. Pick another host port (or leave `host_port` out in bridge mode for an ephemeral one)."),
                ),
                None => {
                    bound.insert((port, proto.to_string()), here);
                }
            }
        }

        // Mount points name declared volumes.
        if let Some(vols) = &volume_names {
            for (k, mp) in c.get("mount_point").as_list().unwrap_or(&[]).iter().enumerate() {
                if let Some(v) = known_str(mp.get("source_volume")) {
                    if !vols.contains(v) {
                        let declared = if vols.is_empty() {
                            "none are declared".to_string()
                        } else {
                            format!("declared: {}", sorted(vols).join(", "))
                        };
                        d.error_at(
                            p.attr("mount_point").index(k).attr("source_volume"),
                            format!("No volume is named {v:?}"),
                            format!("`source_volume` must name a `volume` block of this task definition ({declared}). Add `volume {{ name = \"{v}\" }}` or fix the name."),
                        );
                    }
                }
            }
        }

        // Links.
        let links = c.get("links");
        if let (Some(m), Some(list)) = (mode, links.as_list()) {
            if m != "bridge" && !list.is_empty() {
                d.error_at(
                    p.attr("links"),
                    format!("links do not work in {m} network mode"),
                    "Container links exist only in bridge mode. Remove `links` (in awsvpc and host modes containers of a task reach each other on localhost) or use `network_mode = \"bridge\"`.",
                );
            }
        }
        if fargate && mode == Some("bridge") && links.as_list().is_some_and(|l| !l.is_empty()) {
            d.error_at(
                p.attr("links"),
                "Fargate does not support links",
                "`requires_compatibilities` includes FARGATE, which runs tasks in awsvpc mode only, where containers have no links. Remove `links`: the containers of an awsvpc task reach each other on localhost.",
            );
        }
        for (k, link) in links.as_list().unwrap_or(&[]).iter().enumerate() {
            let Some(link) = link.as_str() else { continue };
            let target = link.split(':').next().unwrap_or("");
            check_reference(d, p.attr("links").index(k), "link", target, own_name, &names, all_names_known);
        }

        // volumes_from.
        for (k, vf) in c.get("volumes_from").as_list().unwrap_or(&[]).iter().enumerate() {
            if let Some(src) = known_str(vf.get("source_container")) {
                check_reference(
                    d,
                    p.attr("volumes_from").index(k).attr("source_container"),
                    "volumes_from",
                    src,
                    own_name,
                    &names,
                    all_names_known,
                );
            }
        }
    }

    // Sum of container memory within task memory.
    if let Some(tm) = task_memory.as_i64() {
        let mut sum = 0i64;
        let mut known = true;
        for c in containers {
            let m = match (c.get("memory"), c.get("memory_reservation")) {
                (Value::Null, Value::Null) => Some(0),
                (Value::Null, r) => r.as_i64(),
                (m, _) => m.as_i64(),
            };
            match m {
                Some(m) => sum += m,
                None => known = false,
            }
        }
        if known && sum > tm {
            d.error_at(
                AttrPath::root("memory"),
                format!("The containers need {sum} MiB, more than the task's {tm} MiB"),
                "The containers' `memory` (or `memory_reservation` where no `memory` is set) add up to more than the task-level `memory`, and ECS wants them to fit: \"The total amount of memory reserved for all containers within a task must be lower than the task memory value, if one is specified.\" Raise the task memory or lower the containers'.",
            );
        }
    }

    // Fargate.
    if fargate {
        if let Some(m) = mode {
            if m != "awsvpc" {
                d.error_at(
                    AttrPath::root("network_mode"),
                    "Fargate needs awsvpc network mode",
                    format!("`requires_compatibilities` includes FARGATE, which runs tasks only in awsvpc mode; this task definition has {m:?}. Set `network_mode = \"awsvpc\"`."),
                );
            }
        }
        for attr in ["cpu", "memory"] {
            if cfg.get(attr).is_null() {
                d.error_at(
                    AttrPath::root(attr),
                    format!("Fargate needs a task-level {attr}"),
                    format!("`requires_compatibilities` includes FARGATE, which requires the task-level `{attr}`; set it (e.g. cpu = 256, memory = 512)."),
                );
            }
        }
        if let (Some(cpu), Some(memory)) = (cfg.get("cpu").as_i64(), task_memory.as_i64()) {
            match fargate_memory_values(cpu) {
                None => d.error_at(
                    AttrPath::root("cpu"),
                    format!("Fargate has no task size with {cpu} CPU units"),
                    "`requires_compatibilities` includes FARGATE, which runs only its own task sizes (AWS answers anything else with \"Invalid 'cpu' setting for task.\"): the task cpu is 256, 512, 1024, 2048, 4096, 8192 or 16384 units (1024 = one vCPU). Set one of them, with a memory it allows (e.g. cpu = 256, memory = 512).",
                ),
                Some(allowed) if !allowed.contains(&memory) => d.error_at(
                    AttrPath::root("memory"),
                    format!("Fargate has no task size of {cpu} CPU units with {memory} MiB"),
                    format!(
                        "`requires_compatibilities` includes FARGATE, which runs only its own task sizes (AWS answers anything else with \"Invalid 'cpu' setting for task.\"). With cpu = {cpu} the task memory is one of (MiB): {}. Set `memory` to one of them, or choose another cpu.",
                        allowed.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ")
                    ),
                ),
                Some(_) => {}
            }
        }
        for vol in cfg.get("volume").as_list().unwrap_or(&[]) {
            if let Some(path) = known_str(vol.get("host_path")).filter(|_| vol.get("efs_volume_configuration").is_null()) {
                d.error_at(
                    AttrPath::root("volume"),
                    format!("Fargate does not support host_path volumes ({path:?})"),
                    "`requires_compatibilities` includes FARGATE, and a Fargate task has no container instance whose directory a volume could name: AWS answers \"Fargate compatible task definitions do not support sourcePath\". Remove `host_path` (the volume is then task storage, gone with the task), or remove FARGATE from `requires_compatibilities`.",
                );
            }
        }
    }
}

/// The checks of the container settings, EFS volumes and task-level settings (`validate_settings`).
fn settings(cfg: &Value, d: &mut Diagnostics) {
    super::validate_settings::validate(cfg, d);
}

/// Fargate's task sizes ("Amazon ECS task definition parameters for Fargate", Task size): the task
/// memory values (MiB) allowed with a task cpu value (units); None for a cpu Fargate does not offer.
fn fargate_memory_values(cpu: i64) -> Option<Vec<i64>> {
    let (from, to, step) = match cpu {
        256 => return Some(vec![512, 1024, 2048]),
        512 => (1024, 4096, 1024),
        1024 => (2048, 8192, 1024),
        2048 => (4096, 16384, 1024),
        4096 => (8192, 30720, 1024),
        8192 => (16384, 61440, 4096),
        16384 => (32768, 122880, 8192),
        _ => return None,
    };
    Some((from..=to).step_by(step).collect())
}

fn sorted(s: &HashSet<String>) -> Vec<String> {
    let mut v: Vec<String> = s.iter().cloned().collect();
    v.sort();
    v
}

/// A `links` entry or `volumes_from.source_container` must name another container of the task.
pub(super) fn check_reference(
    d: &mut Diagnostics,
    path: AttrPath,
    what: &str,
    target: &str,
    own: Option<&str>,
    names: &[Option<&str>],
    all_known: bool,
) {
    if Some(target) == own {
        d.error_at(
            path,
            format!("A container cannot use itself in {what}"),
            format!("{target:?} is this container's own name: name another container of the task."),
        );
    } else if all_known && !names.contains(&Some(target)) {
        let others: Vec<&str> = names.iter().flatten().copied().filter(|n| Some(*n) != own).collect();
        let list = if others.is_empty() {
            "this task has no other container".to_string()
        } else {
            format!("the others are: {}", others.join(", "))
        };
        d.error_at(
            path,
            format!("No container is named {target:?}"),
            format!("{what} must name another container of the same task ({list})."),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Resource;
    use crate::resources::task_definition::TaskDefinitionResource;

    fn obj(pairs: Vec<(&'static str, Value)>) -> Value {
        Value::object(pairs)
    }
    fn list(items: Vec<Value>) -> Value {
        Value::List(items)
    }
    fn strs(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::string(*s)).collect())
    }

    fn container(name: &str) -> Vec<(&'static str, Value)> {
        vec![("name", name.into()), ("image", "wordpress:latest".into()), ("memory", Value::int(512))]
    }

    fn config(containers: Vec<Value>, extra: Vec<(&'static str, Value)>) -> Value {
        let mut v = obj(vec![("family", "wp".into()), ("container", list(containers))]);
        for (k, x) in extra {
            v.set(k, x);
        }
        v
    }

    /// Runs the schema validators and validate(); returns (path, summary) of each error.
    fn errors(cfg: &Value) -> Vec<(String, String)> {
        let r = TaskDefinitionResource;
        let mut d = Diagnostics::new();
        crate::framework::validate::run_validators(&r.schema().block, cfg, &AttrPath::default(), &mut d);
        r.validate(cfg, &mut d);
        d.0.iter().map(|e| (e.path.as_ref().map(|p| p.to_string()).unwrap_or_default(), e.summary.clone())).collect()
    }

    #[track_caller]
    fn one_error_at(cfg: &Value, path: &str) {
        let e = errors(cfg);
        assert_eq!(e.len(), 1, "expected one error at {path}, got {e:?}");
        assert_eq!(e[0].0, path, "{e:?}");
    }

    #[test]
    fn valid_wordpress_config_passes() {
        let mut c = container("wordpress");
        c.push(("port_mapping", list(vec![obj(vec![("container_port", Value::int(80)), ("host_port", Value::int(80))])])));
        c.push(("mount_point", list(vec![obj(vec![("source_volume", "html".into()), ("container_path", "/var/www/html".into())])])));
        let cfg =
            config(vec![obj(c)], vec![("volume", Value::Set(vec![obj(vec![("name", "html".into()), ("host_path", "/ecs/html".into())])]))]);
        assert_eq!(errors(&cfg), vec![]);
    }

    #[test]
    fn duplicate_names_and_no_essential() {
        one_error_at(&config(vec![obj(container("a")), obj(container("a"))], vec![]), "container[1].name");
        let mut a = container("a");
        a.push(("essential", false.into()));
        one_error_at(&config(vec![obj(a)], vec![]), "container[0].essential");
    }

    #[test]
    fn references_must_exist() {
        let mut a = container("a");
        a.push(("links", strs(&["b:db", "c"])));
        a.push(("volumes_from", list(vec![obj(vec![("source_container", "a".into())])])));
        a.push(("mount_point", list(vec![obj(vec![("source_volume", "nope".into()), ("container_path", "/x".into())])])));
        let e = errors(&config(vec![obj(a), obj(container("b"))], vec![]));
        let paths: Vec<&str> = e.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            vec!["container[0].mount_point[0].source_volume", "container[0].links[1]", "container[0].volumes_from[0].source_container"],
            "{e:?}"
        );
    }

    #[test]
    fn memory_rules() {
        let no_mem = obj(vec![("name", "a".into()), ("image", "x".into())]);
        one_error_at(&config(vec![no_mem.clone()], vec![]), "container[0].memory");
        assert_eq!(errors(&config(vec![no_mem], vec![("memory", Value::int(512))])), vec![]);
        let mut a = container("a");
        a.push(("memory_reservation", Value::int(1024)));
        one_error_at(&config(vec![obj(a)], vec![]), "container[0].memory_reservation");
        let mut a = container("a");
        a[2] = ("memory", Value::int(4));
        one_error_at(&config(vec![obj(a)], vec![]), "container[0].memory");
        one_error_at(&config(vec![obj(container("a")), obj(container("b"))], vec![("memory", Value::int(1000))]), "memory");
    }

    #[test]
    fn port_rules() {
        let pm = |c: i64, h: Option<i64>| {
            let mut v = vec![("container_port", Value::int(c))];
            if let Some(h) = h {
                v.push(("host_port", Value::int(h)));
            }
            obj(v)
        };
        let with_ports = |name: &str, ports: Vec<Value>| {
            let mut c = container(name);
            c.push(("port_mapping", list(ports)));
            obj(c)
        };
        // Same host port twice (bridge).
        one_error_at(
            &config(vec![with_ports("a", vec![pm(80, Some(80))]), with_ports("b", vec![pm(8080, Some(80))])], vec![]),
            "container[1].port_mapping[0].host_port",
        );
        // Ephemeral ports never clash.
        assert_eq!(errors(&config(vec![with_ports("a", vec![pm(80, None)]), with_ports("b", vec![pm(80, None)])], vec![])), vec![]);
        // awsvpc: host_port must equal container_port.
        one_error_at(
            &config(vec![with_ports("a", vec![pm(80, Some(8080))])], vec![("network_mode", "awsvpc".into())]),
            "container[0].port_mapping[0].host_port",
        );
        // host mode: container ports are host ports.
        one_error_at(
            &config(vec![with_ports("a", vec![pm(80, None)]), with_ports("b", vec![pm(80, None)])], vec![("network_mode", "host".into())]),
            "container[1].port_mapping[0].container_port",
        );
        // Out of range.
        one_error_at(&config(vec![with_ports("a", vec![pm(70000, None)])], vec![]), "container[0].port_mapping[0].container_port");
    }

    #[test]
    fn mode_and_volume_rules() {
        let vol = |n: &str| obj(vec![("name", n.into())]);
        one_error_at(&config(vec![obj(container("a"))], vec![("volume", Value::Set(vec![vol("v"), vol("v")]))]), "volume");
        let mut a = container("a");
        a.push(("port_mapping", list(vec![obj(vec![("container_port", Value::int(80))])])));
        one_error_at(&config(vec![obj(a)], vec![("network_mode", "none".into())]), "container[0].port_mapping[0]");
        let mut a = container("a");
        a.push(("links", strs(&["b"])));
        one_error_at(&config(vec![obj(a), obj(container("b"))], vec![("network_mode", "host".into())]), "container[0].links");
        let fargate = Value::Set(vec!["FARGATE".into()]);
        let e = errors(&config(vec![obj(container("a"))], vec![("requires_compatibilities", fargate.clone())]));
        let paths: Vec<&str> = e.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, vec!["network_mode", "cpu", "memory"], "{e:?}");
        let ok = config(
            vec![obj(container("a"))],
            vec![
                ("requires_compatibilities", fargate),
                ("network_mode", "awsvpc".into()),
                ("cpu", Value::int(256)),
                ("memory", Value::int(512)),
            ],
        );
        assert_eq!(errors(&ok), vec![]);
        one_error_at(
            &config(vec![obj(container("a"))], vec![("requires_compatibilities", Value::Set(vec!["LAMBDA".into()]))]),
            "requires_compatibilities",
        );
    }

    #[test]
    fn secrets_need_the_execution_role() {
        let secret_arn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-AbCdEf";
        let secret = || list(vec![obj(vec![("name", "DB_PASSWORD".into()), ("value_from", secret_arn.into())])]);
        let mut a = container("a");
        a.push(("secret", secret()));
        one_error_at(&config(vec![obj(a.clone())], vec![]), "container[0].secret[0]");
        let role = Value::string("arn:aws:iam::123456789012:role/ecsTaskExecutionRole");
        assert_eq!(errors(&config(vec![obj(a.clone())], vec![("execution_role_arn", role)])), vec![]);
        // Not known yet: not judged.
        assert_eq!(errors(&config(vec![obj(a)], vec![("execution_role_arn", Value::Unknown)])), vec![]);
        // The container with the secret is pointed at.
        let mut b = container("b");
        b.push(("secret", secret()));
        one_error_at(&config(vec![obj(container("a")), obj(b)], vec![]), "container[1].secret[0]");
    }

    #[test]
    fn fargate_task_sizes() {
        let fargate = |cpu: i64, memory: i64| {
            vec![
                ("requires_compatibilities", Value::Set(vec!["FARGATE".into()])),
                ("network_mode", "awsvpc".into()),
                ("cpu", Value::int(cpu)),
                ("memory", Value::int(memory)),
            ]
        };
        let a = || obj(vec![("name", "a".into()), ("image", "nginx".into())]);
        for (cpu, memory) in [(256, 512), (256, 2048), (512, 4096), (1024, 3072), (4096, 30720), (8192, 20480), (16384, 122880)] {
            assert_eq!(errors(&config(vec![a()], fargate(cpu, memory))), vec![], "cpu {cpu}, memory {memory}");
        }
        one_error_at(&config(vec![a()], fargate(256, 4096)), "memory");
        one_error_at(&config(vec![a()], fargate(8192, 18432)), "memory");
        one_error_at(&config(vec![a()], fargate(300, 1024)), "cpu");
        let e = errors(&config(vec![a()], fargate(256, 4096)));
        assert!(e[0].1.contains("256 CPU units") && e[0].1.contains("4096 MiB"), "{e:?}");
        // Without FARGATE the task size is not Fargate's table.
        assert_eq!(errors(&config(vec![a()], vec![("cpu", Value::int(300)), ("memory", Value::int(4096))])), vec![]);
        // Unknown until apply: not judged.
        let mut unknown = fargate(256, 512);
        unknown[3] = ("memory", Value::Unknown);
        assert_eq!(errors(&config(vec![a()], unknown)), vec![]);
        assert_eq!(fargate_memory_values(256), Some(vec![512, 1024, 2048]));
        assert_eq!(fargate_memory_values(512), Some(vec![1024, 2048, 3072, 4096]));
        assert_eq!(fargate_memory_values(8192).map(|v| (v[0], v[1], v.len())), Some((16384, 20480, 12)));
        assert_eq!(fargate_memory_values(16384).map(|v| (v[0], v[v.len() - 1], v.len())), Some((32768, 122880, 12)));
        assert_eq!(fargate_memory_values(128), None);
    }

    #[test]
    fn fargate_has_no_host_paths_or_links() {
        let fargate = vec![
            ("requires_compatibilities", Value::Set(vec!["FARGATE".into()])),
            ("network_mode", "awsvpc".into()),
            ("cpu", Value::int(256)),
            ("memory", Value::int(512)),
        ];
        let vol = |host_path: Option<&str>| {
            let mut v = vec![("name", Value::string("data"))];
            if let Some(h) = host_path {
                v.push(("host_path", h.into()));
            }
            Value::Set(vec![obj(v)])
        };
        let mut with_host_path = fargate.clone();
        with_host_path.push(("volume", vol(Some("/ecs/data"))));
        one_error_at(&config(vec![obj(container("a"))], with_host_path), "volume");
        let mut task_storage = fargate.clone();
        task_storage.push(("volume", vol(None)));
        assert_eq!(errors(&config(vec![obj(container("a"))], task_storage)), vec![]);
        // Links in bridge mode: the network mode error, and the links one with it.
        let mut a = container("a");
        a.push(("links", strs(&["b"])));
        let mut bridge = fargate;
        bridge[1] = ("network_mode", "bridge".into());
        bridge[3] = ("memory", Value::int(1024));
        let e = errors(&config(vec![obj(a), obj(container("b"))], bridge));
        let paths: Vec<&str> = e.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, vec!["container[0].links", "network_mode"], "{e:?}");
    }

    #[test]
    fn memory_sum_counts_the_reservation_where_no_limit_is_set() {
        let b = obj(vec![("name", "b".into()), ("image", "x".into()), ("memory_reservation", Value::int(600))]);
        one_error_at(&config(vec![obj(container("a")), b.clone()], vec![("memory", Value::int(1024))]), "memory");
        assert_eq!(errors(&config(vec![obj(container("a")), b], vec![("memory", Value::int(1112))])), vec![]);
    }

    #[test]
    fn unknown_values_are_not_guessed() {
        let mut a = vec![("name", Value::Unknown), ("image", Value::Unknown), ("memory", Value::Unknown)];
        a.push(("links", Value::List(vec![Value::Unknown])));
        a.push(("mount_point", list(vec![obj(vec![("source_volume", Value::Unknown), ("container_path", "/x".into())])])));
        let mut b = container("b");
        b.push(("links", strs(&["ghost"])));
        let cfg = config(vec![obj(a), obj(b)], vec![("memory", Value::Unknown), ("volume", Value::Unknown)]);
        // "ghost" may be the unknown name of container[0]: no error.
        assert_eq!(errors(&cfg), vec![]);
        assert_eq!(errors(&obj(vec![("family", "wp".into()), ("container", Value::Unknown)])), vec![]);
    }
}
