//! `awsecs_task_definition`: one registered revision of an ECS task definition, written as typed
//! HCL blocks (not a JSON string), checked at `terraform validate`, and read back so that a second
//! plan is empty whatever defaults AWS filled in.
//!
//! A task definition revision cannot change: any change of an argument registers a new revision
//! (a replacement). Only `tags` and `skip_destroy` change in place.

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, HostVolumeProperties, KeyValuePair, LogConfiguration, LogDriver, MountPoint,
    NetworkMode, PortMapping, Secret, Tag, TaskDefinition, TaskDefinitionField, TaskDefinitionStatus, TransportProtocol,
    Volume, VolumeFrom,
};

use super::tags;
use crate::aws::errors::describe;
use crate::framework::validate::{ecs_name, int_between, one_of};
use crate::framework::{Ctx, Failed, Resource};
use crate::tf::{AttrPath, Attribute, Block, Diagnostics, NestedBlock, Schema, Type, Value};

pub struct TaskDefinitionResource;

const NETWORK_MODES: &[&str] = &["bridge", "host", "awsvpc", "none"];
const PROTOCOLS: &[&str] = &["tcp", "udp"];
const LOG_DRIVERS: &[&str] =
    &["awslogs", "awsfirelens", "fluentd", "gelf", "journald", "json-file", "logentries", "splunk", "syslog"];
const COMPATIBILITIES: &[&str] = &["EC2", "FARGATE", "EXTERNAL"];

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

fn container_block() -> Block {
    let port_mapping = Block::new("A port of the container published on the host (bridge and host modes) or on the task's network interface (awsvpc).")
        .attr(Attribute::required("container_port", Type::Number).validate(int_between(1, 65535)).describe("Port the application listens on inside the container (1-65535)."))
        .attr(Attribute::optional("host_port", Type::Number).validate(int_between(1, 65535)).describe(
            "Port on the host (1-65535). Left out in bridge mode: Docker picks an ephemeral host port. In awsvpc and host modes it must equal `container_port` (or be left out).",
        ))
        .attr(Attribute::optional("protocol", Type::String).default("tcp").validate(one_of(PROTOCOLS)).describe("`tcp` (default) or `udp`."));
    let mount_point = Block::new("A task `volume` mounted into the container.")
        .attr(Attribute::required("source_volume", Type::String).describe("Name of a `volume` block of this task definition."))
        .attr(Attribute::required("container_path", Type::String).validate(absolute_path).describe("Where the volume appears inside the container (an absolute path)."))
        .attr(Attribute::optional("read_only", Type::Bool).default(false).describe("Mount read-only (default false)."));
    let secret = Block::new("An environment variable whose value ECS fetches from Secrets Manager or SSM Parameter Store when the container starts (needs `execution_role_arn` with read access).")
        .attr(Attribute::required("name", Type::String).validate(non_empty).describe("Name of the environment variable."))
        .attr(Attribute::required("value_from", Type::String).validate(|v| check_value_from(v.as_str().unwrap_or(""))).describe(
            "ARN of a Secrets Manager secret (`arn:aws:secretsmanager:...:secret:NAME`) or of an SSM parameter (`arn:aws:ssm:...:parameter/NAME`), or the name of an SSM parameter in the same region.",
        ));
    let volumes_from = Block::new("Mount all volumes of another container of this task.")
        .attr(Attribute::required("source_container", Type::String).describe("Name of another `container` of this task."))
        .attr(Attribute::optional("read_only", Type::Bool).default(false).describe("Mount read-only (default false)."));
    let log_configuration = Block::new("Where the container's output goes.")
        .attr(Attribute::required("log_driver", Type::String).validate(one_of(LOG_DRIVERS)).describe(format!("One of: {}.", LOG_DRIVERS.join(", "))))
        .attr(Attribute::optional("options", Type::map(Type::String)).describe("Driver options, e.g. `awslogs-group`, `awslogs-region`, `awslogs-stream-prefix` for awslogs."));

    Block::new("A container of the task.")
        .attr(Attribute::required("name", Type::String).validate(ecs_name(255)).describe("Container name: 1-255 letters, digits, `-`, `_`; unique in the task."))
        .attr(Attribute::required("image", Type::String).validate(|v| check_image(v.as_str().unwrap_or(""))).describe(
            "Image reference `repository-url/image:tag`; without a registry the image comes from Docker Hub (e.g. `wordpress:latest`).",
        ))
        .attr(Attribute::optional("memory", Type::Number).validate(at_least_6_mib).describe("Hard memory limit in MiB: the container is killed when it goes above it (at least 6)."))
        .attr(Attribute::optional("memory_reservation", Type::Number).validate(at_least_6_mib).describe("Soft memory limit in MiB: what placement reserves for the container (at least 6, at most `memory`)."))
        .attr(Attribute::optional("cpu", Type::Number).default(0).validate(int_between(0, 10240)).describe("CPU units (1024 = one core), 0-10240. Default 0: a share of what is left."))
        .attr(Attribute::optional("essential", Type::Bool).default(true).describe("If an essential container stops, the whole task stops (default true). At least one container must be essential."))
        .attr(Attribute::optional("entry_point", Type::list(Type::String)).describe("Replaces the image's ENTRYPOINT."))
        .attr(Attribute::optional("command", Type::list(Type::String)).describe("Replaces the image's CMD."))
        .attr(Attribute::optional("environment", Type::map(Type::String)).describe("Environment variables (plain text; use `secret` blocks for passwords)."))
        .attr(Attribute::optional("links", Type::list(Type::String)).describe("Other containers of the task this one reaches by name: `name` or `name:alias` (bridge mode only)."))
        .attr(Attribute::optional("working_directory", Type::String).describe("Working directory of the command."))
        .attr(Attribute::optional("hostname", Type::String).describe("Hostname inside the container (not in awsvpc mode)."))
        .attr(Attribute::optional("docker_labels", Type::map(Type::String)).describe("Docker labels of the container."))
        .block(NestedBlock::list("port_mapping", port_mapping))
        .block(NestedBlock::list("mount_point", mount_point))
        .block(NestedBlock::list("secret", secret))
        .block(NestedBlock::list("volumes_from", volumes_from))
        .block(NestedBlock::single("log_configuration", log_configuration))
}

fn volume_block() -> Block {
    Block::new("A volume that containers mount with `mount_point`.")
        .attr(Attribute::required("name", Type::String).validate(ecs_name(255)).describe("Volume name, referenced by `mount_point.source_volume`."))
        .attr(Attribute::optional("host_path", Type::String).validate(absolute_path).describe(
            "Directory on the container instance. Data there survives the container and the task. Left out: Docker picks a path, and the data is lost when no container uses the volume any more.",
        ))
}

// ---------------------------------------------------------------------------------------------
// Attribute validators (one known value each)
// ---------------------------------------------------------------------------------------------

fn non_empty(v: &Value) -> Result<(), String> {
    if v.as_str().unwrap_or("").is_empty() {
        Err("Must not be empty.".into())
    } else {
        Ok(())
    }
}

fn absolute_path(v: &Value) -> Result<(), String> {
    let s = v.as_str().unwrap_or("");
    if s.starts_with('/') {
        Ok(())
    } else {
        Err(format!("{s:?} is not an absolute path: write it starting with \"/\", e.g. \"/var/www/html\"."))
    }
}

fn at_least_6_mib(v: &Value) -> Result<(), String> {
    match v.as_i64() {
        Some(n) if (6..=i32::MAX as i64).contains(&n) => Ok(()),
        Some(n) if n < 6 => Err(format!("{n} MiB is too little: Docker needs at least 6 MiB for a container. Use 6 or more (WordPress wants about 512).")),
        _ => Err("Must be a whole number of MiB, at least 6.".into()),
    }
}

fn compatibilities(v: &Value) -> Result<(), String> {
    for item in v.as_list().unwrap_or(&[]) {
        if let Some(s) = item.as_str() {
            one_of(COMPATIBILITIES)(&Value::string(s))?;
        }
    }
    Ok(())
}

fn role_arn(v: &Value) -> Result<(), String> {
    let s = v.as_str().unwrap_or("");
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    if parts.len() == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[5].starts_with("role/") && parts[5].len() > 5 {
        Ok(())
    } else {
        Err(format!("{s:?} is not an IAM role ARN. Give the role's ARN, such as \"arn:aws:iam::123456789012:role/ecsTaskExecutionRole\" (e.g. `aws_iam_role.x.arn`)."))
    }
}

/// A Secrets Manager secret ARN, an SSM parameter ARN, or an SSM parameter name.
pub fn check_value_from(s: &str) -> Result<(), String> {
    if s.starts_with("arn:") {
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        let ok = parts.len() == 6
            && match parts[2] {
                "secretsmanager" => parts[5].starts_with("secret:") && parts[5].len() > 7,
                "ssm" => parts[5].starts_with("parameter/") && parts[5].len() > 10,
                _ => false,
            };
        if ok {
            return Ok(());
        }
        return Err(format!(
            "{s:?} is neither a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME) nor an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)."
        ));
    }
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c)) {
        return Ok(());
    }
    Err(format!(
        "{s:?} is not a secret reference. Give the ARN of a Secrets Manager secret or SSM parameter (e.g. `aws_secretsmanager_secret.db.arn`), or the name of an SSM parameter in the same region."
    ))
}

/// Rejects image references Docker could never pull: empty, whitespace, uppercase repository
/// names, empty tags or digests, empty path components.
pub fn check_image(s: &str) -> Result<(), String> {
    let example = "Write it as \"repository-url/image:tag\" or, for Docker Hub, \"image:tag\" (e.g. \"wordpress:latest\").";
    if s.is_empty() {
        return Err(format!("The image reference is empty. {example}"));
    }
    if s.chars().count() > 255 {
        return Err(format!("The image reference is {} characters long; ECS takes at most 255.", s.chars().count()));
    }
    if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{s:?} contains {c:?}; image references have no spaces. {example}"));
    }
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let valid = d.split_once(':').is_some_and(|(algo, hex)| !algo.is_empty() && !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()));
        if !valid {
            return Err(format!("{s:?} has a digest that is not of the form \"sha256:<hex>\" after \"@\"."));
        }
    }
    // A first component with a dot or a port, or "localhost", is a registry host.
    let path = match rest.split_once('/') {
        Some((first, remainder)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            if first.starts_with(':') || first.starts_with('.') {
                return Err(format!("{s:?} has an invalid registry host {first:?}."));
            }
            remainder
        }
        _ => rest,
    };
    let last_start = path.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (repo, tag) = match path[last_start..].find(':') {
        Some(i) => (&path[..last_start + i], Some(&path[last_start + i + 1..])),
        None => (path, None),
    };
    if repo.is_empty() {
        return Err(format!("{s:?} names no image (the repository part is empty). {example}"));
    }
    if let Some(t) = tag {
        if t.is_empty() {
            return Err(format!("{s:?} ends its tag with nothing after \":\". Give a tag (\"{repo}:latest\") or leave out the \":\"."));
        }
        let ok_chars = t.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !ok_chars || t.len() > 128 || t.starts_with('.') || t.starts_with('-') {
            return Err(format!("The tag {t:?} of {s:?} is not valid: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'."));
        }
    }
    for comp in repo.split('/') {
        if comp.is_empty() {
            return Err(format!("{s:?} has an empty path component (\"//\" or a leading or trailing \"/\"). {example}"));
        }
        if comp.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(format!("The repository name {repo:?} in {s:?} has uppercase letters; repository names are lowercase: {:?}.", repo.to_lowercase()));
        }
        if let Some(c) = comp.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(*c))) {
            return Err(format!("The repository name {repo:?} in {s:?} contains {c:?}; only lowercase letters, digits, '.', '_' and '-' are allowed."));
        }
        let first = comp.chars().next().unwrap_or('a');
        let last = comp.chars().last().unwrap_or('a');
        if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
            return Err(format!("The repository path component {comp:?} of {s:?} must start and end with a letter or digit."));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Cross-field validation (plan time, no AWS call; unknown values are skipped)
// ---------------------------------------------------------------------------------------------

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

fn validate_config(cfg: &Value, d: &mut Diagnostics) {
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
                        format!("In {m} network mode the container port is the host port: set `host_port = {cp}` or leave `host_port` out."),
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
                        let declared = if vols.is_empty() { "none are declared".to_string() } else { format!("declared: {}", sorted(vols).join(", ")) };
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
        for (k, link) in links.as_list().unwrap_or(&[]).iter().enumerate() {
            let Some(link) = link.as_str() else { continue };
            let target = link.split(':').next().unwrap_or("");
            check_reference(d, p.attr("links").index(k), "link", target, own_name, &names, all_names_known);
        }

        // volumes_from.
        for (k, vf) in c.get("volumes_from").as_list().unwrap_or(&[]).iter().enumerate() {
            if let Some(src) = known_str(vf.get("source_container")) {
                check_reference(d, p.attr("volumes_from").index(k).attr("source_container"), "volumes_from", src, own_name, &names, all_names_known);
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
                "The containers' `memory` (or `memory_reservation` where no `memory` is set) add up to more than the task-level `memory`. Raise the task memory or lower the containers'.",
            );
        }
    }

    // Fargate.
    let compat = cfg.get("requires_compatibilities");
    if compat.as_list().is_some_and(|l| l.iter().any(|v| v.as_str() == Some("FARGATE"))) {
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
    }
}

fn sorted(s: &HashSet<String>) -> Vec<String> {
    let mut v: Vec<String> = s.iter().cloned().collect();
    v.sort();
    v
}

/// A `links` entry or `volumes_from.source_container` must name another container of the task.
fn check_reference(d: &mut Diagnostics, path: AttrPath, what: &str, target: &str, own: Option<&str>, names: &[Option<&str>], all_known: bool) {
    if Some(target) == own {
        d.error_at(path, format!("A container cannot use itself in {what}"), format!("{target:?} is this container's own name: name another container of the task."));
    } else if all_known && !names.contains(&Some(target)) {
        let others: Vec<&str> = names.iter().flatten().copied().filter(|n| Some(*n) != own).collect();
        let list = if others.is_empty() { "this task has no other container".to_string() } else { format!("the others are: {}", others.join(", ")) };
        d.error_at(path, format!("No container is named {target:?}"), format!("{what} must name another container of the same task ({list})."));
    }
}

// ---------------------------------------------------------------------------------------------
// Values -> AWS request
// ---------------------------------------------------------------------------------------------

fn s(v: &Value, name: &str) -> String {
    v.get(name).as_str().unwrap_or_default().to_string()
}

fn opt_i32(v: &Value) -> Option<i32> {
    v.as_i64().and_then(|n| i32::try_from(n).ok())
}

fn opt_list(v: &Value) -> Option<Vec<String>> {
    v.as_list().map(|_| v.to_string_list())
}

fn opt_map(v: &Value) -> Option<HashMap<String, String>> {
    v.as_map().map(|_| v.to_string_map().into_iter().collect())
}

fn container_definition(c: &Value) -> Result<ContainerDefinition, String> {
    let name = s(c, "name");
    let port_mappings = c
        .get("port_mapping")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .map(|pm| {
            PortMapping::builder()
                .set_container_port(opt_i32(pm.get("container_port")))
                .set_host_port(opt_i32(pm.get("host_port")))
                .protocol(TransportProtocol::from(pm.get("protocol").as_str().unwrap_or("tcp")))
                .build()
        })
        .collect();
    let mount_points = c
        .get("mount_point")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .map(|mp| {
            MountPoint::builder()
                .source_volume(s(mp, "source_volume"))
                .container_path(s(mp, "container_path"))
                .read_only(mp.get("read_only").as_bool().unwrap_or(false))
                .build()
        })
        .collect();
    let volumes_from = c
        .get("volumes_from")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .map(|vf| VolumeFrom::builder().source_container(s(vf, "source_container")).read_only(vf.get("read_only").as_bool().unwrap_or(false)).build())
        .collect();
    let secrets = c
        .get("secret")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .map(|sv| Secret::builder().name(s(sv, "name")).value_from(s(sv, "value_from")).build().map_err(|e| format!("secret of container {name:?}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let environment = c.get("environment").as_map().map(|_| {
        c.get("environment").to_string_map().into_iter().map(|(k, v)| KeyValuePair::builder().name(k).value(v).build()).collect()
    });
    let log_configuration = match c.get("log_configuration") {
        lc @ Value::Object(_) => Some(
            LogConfiguration::builder()
                .log_driver(LogDriver::from(lc.get("log_driver").as_str().unwrap_or_default()))
                .set_options(opt_map(lc.get("options")))
                .build()
                .map_err(|e| format!("log_configuration of container {name:?}: {e}"))?,
        ),
        _ => None,
    };
    Ok(ContainerDefinition::builder()
        .name(&name)
        .image(s(c, "image"))
        .set_memory(opt_i32(c.get("memory")))
        .set_memory_reservation(opt_i32(c.get("memory_reservation")))
        .cpu(opt_i32(c.get("cpu")).unwrap_or(0))
        .essential(c.get("essential").as_bool().unwrap_or(true))
        .set_port_mappings(Some(port_mappings))
        .set_mount_points(Some(mount_points))
        .set_volumes_from(Some(volumes_from))
        .set_secrets(if secrets.is_empty() { None } else { Some(secrets) })
        .set_environment(environment)
        .set_entry_point(opt_list(c.get("entry_point")))
        .set_command(opt_list(c.get("command")))
        .set_links(opt_list(c.get("links")))
        .set_log_configuration(log_configuration)
        .set_working_directory(c.get("working_directory").as_str().map(str::to_string))
        .set_hostname(c.get("hostname").as_str().map(str::to_string))
        .set_docker_labels(opt_map(c.get("docker_labels")))
        .build())
}

fn volume(v: &Value) -> Volume {
    let host = v.get("host_path").as_str().map(|p| HostVolumeProperties::builder().source_path(p).build());
    Volume::builder().name(s(v, "name")).set_host(host).build()
}

// ---------------------------------------------------------------------------------------------
// AWS -> values (the normalisation that keeps plans empty)
// ---------------------------------------------------------------------------------------------

/// A list attribute: AWS returns `[]` for "not set"; it stays null unless the prior value was a list.
fn list_value(items: &[String], prior: &Value) -> Value {
    if items.is_empty() && prior.as_list().is_none() {
        Value::Null
    } else {
        Value::List(items.iter().map(|s| Value::string(s.clone())).collect())
    }
}

/// A map attribute: empty stays null unless the prior value was a map.
fn map_value(m: BTreeMap<String, String>, prior: &Value) -> Value {
    if m.is_empty() && prior.as_map().is_none() {
        Value::Null
    } else {
        Value::string_map(m.iter())
    }
}

fn prior_item<'a>(prior: &'a Value, block: &str, k: usize) -> &'a Value {
    prior.get(block).as_list().and_then(|l| l.get(k)).unwrap_or(&crate::tf::value::NULL)
}

fn container_value(c: &ContainerDefinition, prior: &Value, mode: &str) -> Value {
    let port_mappings = c
        .port_mappings()
        .iter()
        .enumerate()
        .map(|(k, pm)| {
            let prior_pm = prior_item(prior, "port_mapping", k);
            let cport = pm.container_port();
            let host = match pm.host_port() {
                None | Some(0) => Value::Null,
                // AWS fills hostPort = containerPort in awsvpc and host modes: keep "left out" as it was.
                Some(h) if !prior_pm.is_null() && prior_pm.get("host_port").is_null() && matches!(mode, "awsvpc" | "host") && Some(h) == cport => Value::Null,
                Some(h) => Value::int(h as i64),
            };
            Value::object([
                ("container_port", Value::opt_int(cport.map(i64::from))),
                ("host_port", host),
                ("protocol", Value::string(pm.protocol().map(|p| p.as_str()).unwrap_or("tcp"))),
            ])
        })
        .collect();
    let mount_points = c
        .mount_points()
        .iter()
        .map(|mp| {
            Value::object([
                ("source_volume", Value::opt_string(mp.source_volume())),
                ("container_path", Value::opt_string(mp.container_path())),
                ("read_only", Value::Bool(mp.read_only().unwrap_or(false))),
            ])
        })
        .collect();
    let volumes_from = c
        .volumes_from()
        .iter()
        .map(|vf| Value::object([("source_container", Value::opt_string(vf.source_container())), ("read_only", Value::Bool(vf.read_only().unwrap_or(false)))]))
        .collect();
    let secrets = c
        .secrets()
        .iter()
        .map(|sv| Value::object([("name", Value::string(sv.name())), ("value_from", Value::string(sv.value_from()))]))
        .collect();
    let environment: BTreeMap<String, String> =
        c.environment().iter().filter_map(|kv| Some((kv.name()?.to_string(), kv.value().unwrap_or_default().to_string()))).collect();
    let labels: BTreeMap<String, String> = c.docker_labels().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
    let log = match c.log_configuration() {
        Some(lc) => {
            let options: BTreeMap<String, String> = lc.options().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
            Value::object([("log_driver", Value::string(lc.log_driver().as_str())), ("options", map_value(options, prior.get("log_configuration").get("options")))])
        }
        None => Value::Null,
    };
    Value::object([
        ("name", Value::opt_string(c.name())),
        ("image", Value::opt_string(c.image())),
        ("memory", Value::opt_int(c.memory().map(i64::from))),
        ("memory_reservation", Value::opt_int(c.memory_reservation().map(i64::from))),
        ("cpu", Value::int(c.cpu() as i64)),
        ("essential", Value::Bool(c.essential().unwrap_or(true))),
        ("entry_point", list_value(c.entry_point(), prior.get("entry_point"))),
        ("command", list_value(c.command(), prior.get("command"))),
        ("environment", map_value(environment, prior.get("environment"))),
        ("links", list_value(c.links(), prior.get("links"))),
        ("working_directory", Value::opt_string(c.working_directory().filter(|s| !s.is_empty()))),
        ("hostname", Value::opt_string(c.hostname().filter(|s| !s.is_empty()))),
        ("docker_labels", map_value(labels, prior.get("docker_labels"))),
        ("port_mapping", Value::List(port_mappings)),
        ("mount_point", Value::List(mount_points)),
        ("secret", Value::List(secrets)),
        ("volumes_from", Value::List(volumes_from)),
        ("log_configuration", log),
    ])
}

/// `arn:...:task-definition/wordpress:3` -> `arn:...:task-definition/wordpress`.
fn without_revision(arn: &str) -> String {
    match arn.rsplit_once(':') {
        Some((head, rev)) if !rev.is_empty() && rev.chars().all(|c| c.is_ascii_digit()) => head.to_string(),
        _ => arn.to_string(),
    }
}

/// The resource value for a task definition AWS described. `prior` (state, plan or null on import)
/// tells which optional attributes were left out, so AWS's filled-in defaults read back as unset.
fn to_state(td: &TaskDefinition, aws_tags: &[Tag], prior: &Value, default_tags: &BTreeMap<String, String>) -> Value {
    let mode = td.network_mode().map(|m| m.as_str().to_string()).unwrap_or_else(|| "bridge".to_string());
    let prior_containers = prior.get("container").as_list().unwrap_or(&[]);
    let containers = td
        .container_definitions()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let p = prior_containers
                .iter()
                .find(|pc| pc.get("name").as_str().is_some() && pc.get("name").as_str() == c.name())
                .or_else(|| prior_containers.get(i))
                .unwrap_or(&crate::tf::value::NULL);
            container_value(c, p, &mode)
        })
        .collect();
    let volumes = td
        .volumes()
        .iter()
        .map(|v| {
            Value::object([
                ("name", Value::opt_string(v.name())),
                ("host_path", Value::opt_string(v.host().and_then(|h| h.source_path()).filter(|s| !s.is_empty()))),
            ])
        })
        .collect();
    let compat: Vec<String> = td.requires_compatibilities().iter().map(|c| c.as_str().to_string()).collect();
    let compat = if compat.is_empty() && prior.get("requires_compatibilities").as_list().is_none() {
        Value::Null
    } else {
        Value::Set(compat.into_iter().map(Value::String).collect())
    };
    let tag_map: BTreeMap<String, String> =
        aws_tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect();
    let (tags_v, tags_all) = tags::split(&tag_map, default_tags, prior.get("tags"));
    let arn = td.task_definition_arn().unwrap_or_default().to_string();
    let num = |s: Option<&str>| s.and_then(|s| s.trim().parse::<i64>().ok()).map(Value::int).unwrap_or(Value::Null);
    Value::object([
        ("id", Value::string(arn.clone())),
        ("arn", Value::string(arn.clone())),
        ("arn_without_revision", Value::string(without_revision(&arn))),
        ("revision", Value::int(td.revision() as i64)),
        ("family", Value::opt_string(td.family())),
        ("network_mode", Value::string(mode)),
        ("task_role_arn", Value::opt_string(td.task_role_arn().filter(|s| !s.is_empty()))),
        ("execution_role_arn", Value::opt_string(td.execution_role_arn().filter(|s| !s.is_empty()))),
        ("cpu", num(td.cpu())),
        ("memory", num(td.memory())),
        ("requires_compatibilities", compat),
        ("container", Value::List(containers)),
        ("volume", Value::Set(volumes)),
        ("tags", tags_v),
        ("tags_all", tags_all),
        ("skip_destroy", Value::Bool(prior.get("skip_destroy").as_bool().unwrap_or(false))),
    ])
}

// ---------------------------------------------------------------------------------------------
// AWS calls
// ---------------------------------------------------------------------------------------------

/// DescribeTaskDefinition with tags; None when AWS does not know it.
async fn describe_td(ctx: &Ctx, id: &str) -> Result<Option<(TaskDefinition, Vec<Tag>)>, Diagnostics> {
    match ctx.aws.ecs.describe_task_definition().task_definition(id).include(TaskDefinitionField::Tags).send().await {
        Ok(out) => Ok(out.task_definition().map(|td| (td.clone(), out.tags().to_vec()))),
        Err(e)
            if e.as_service_error().is_some_and(|s| {
                s.is_client_exception() && s.meta().message().is_some_and(|m| m.contains("Unable to describe task definition"))
            }) =>
        {
            Ok(None)
        }
        Err(e) => Err(Diagnostics::of_error(format!("Cannot read ECS task definition {id:?}"), describe(&e))),
    }
}

/// The ARN of the highest ACTIVE revision of `family`, if any.
async fn latest_active(ctx: &Ctx, family: &str) -> Result<Option<String>, Diagnostics> {
    let mut best: Option<(i64, String)> = None;
    let mut token: Option<String> = None;
    loop {
        let out = ctx
            .aws
            .ecs
            .list_task_definitions()
            .family_prefix(family)
            .status(TaskDefinitionStatus::Active)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| Diagnostics::of_error(format!("Cannot list the revisions of task definition family {family:?}"), describe(&e)))?;
        for arn in out.task_definition_arns() {
            // familyPrefix matches prefixes in AWS: keep only this family.
            let Some((fam, rev)) = arn.rsplit('/').next().and_then(|t| t.rsplit_once(':')) else { continue };
            let Ok(rev) = rev.parse::<i64>() else { continue };
            if fam == family && best.as_ref().map_or(true, |(b, _)| rev > *b) {
                best = Some((rev, arn.clone()));
            }
        }
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(best.map(|(_, arn)| arn))
}

#[tonic::async_trait]
impl Resource for TaskDefinitionResource {
    fn type_name(&self) -> &'static str {
        "awsecs_task_definition"
    }

    fn schema(&self) -> Schema {
        let replace = "Changing it registers a new revision.";
        Schema::new(
            0,
            Block::new("One revision of an ECS task definition: the containers of a task, their images, limits, ports, volumes, environment and secrets.\n\nAny change registers a new revision (a replacement); `tags` and `skip_destroy` change in place. Destroy deregisters the revision unless `skip_destroy` is true.\n\nImport with the ARN, `family:revision`, or the family (its latest ACTIVE revision): `terraform import awsecs_task_definition.wp wordpress`.")
                .attr(Attribute::computed("id", Type::String).describe("The task definition ARN (with revision)."))
                .attr(Attribute::computed("arn", Type::String).describe("The task definition ARN, `arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION`."))
                .attr(Attribute::computed("arn_without_revision", Type::String).describe("The ARN without `:REVISION`: services using it run the latest ACTIVE revision."))
                .attr(Attribute::computed("revision", Type::Number).describe("The revision number within the family."))
                .attr(Attribute::required("family", Type::String).force_new().validate(ecs_name(255)).describe(format!("Family name: 1-255 letters, digits, `-`, `_`. {replace}")))
                .attr(
                    Attribute::optional("network_mode", Type::String)
                        .default("bridge")
                        .force_new()
                        .validate(one_of(NETWORK_MODES))
                        .describe("`bridge` (default; Docker's network, host ports mapped), `host`, `awsvpc` (own network interface per task) or `none`."),
                )
                .attr(Attribute::optional("task_role_arn", Type::String).force_new().validate(role_arn).describe("IAM role the containers' code uses for AWS calls."))
                .attr(Attribute::optional("execution_role_arn", Type::String).force_new().validate(role_arn).describe("IAM role ECS uses to pull images, write logs and fetch `secret` values."))
                .attr(Attribute::optional("cpu", Type::Number).force_new().validate(int_between(128, 196608)).describe("Task-level CPU units (1024 = one core). Required for Fargate."))
                .attr(Attribute::optional("memory", Type::Number).force_new().validate(at_least_6_mib).describe("Task-level memory in MiB; the containers' memory must fit in it. Required for Fargate."))
                .attr(
                    Attribute::optional("requires_compatibilities", Type::set(Type::String))
                        .force_new()
                        .validate(compatibilities)
                        .describe("Launch types the task definition is checked against: `EC2`, `FARGATE`, `EXTERNAL`."),
                )
                .attr(Attribute::optional("skip_destroy", Type::Bool).default(false).describe("Keep the revision registered when it is destroyed or replaced (default false)."))
                .attr(tags::tags_attribute())
                .attr(tags::tags_all_attribute())
                .block(NestedBlock::list("container", container_block()).min_items(1).force_new())
                .block(NestedBlock::set("volume", volume_block()).force_new()),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate_config(config, diags);
    }

    /// `terraform validate` sees unknowns (variables, other resources' attributes); the plan, and
    /// the apply-time plan, see more of them known: check again so that nothing invalid reaches AWS.
    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, Failed> {
        let family = s(planned, "family");
        let containers = planned
            .get("container")
            .as_list()
            .unwrap_or(&[])
            .iter()
            .map(container_definition)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Diagnostics::of_error(format!("Cannot build task definition {family:?}"), e))?;
        let volumes: Vec<Volume> = planned.get("volume").as_list().unwrap_or(&[]).iter().map(volume).collect();
        let compat = planned
            .get("requires_compatibilities")
            .as_list()
            .map(|_| planned.get("requires_compatibilities").to_string_list().iter().map(|c| Compatibility::from(c.as_str())).collect());
        tracing::info!(family = %family, containers = containers.len(), "registering ECS task definition");
        let out = ctx
            .aws
            .ecs
            .register_task_definition()
            .family(&family)
            .network_mode(NetworkMode::from(planned.get("network_mode").as_str().unwrap_or("bridge")))
            .set_task_role_arn(planned.get("task_role_arn").as_str().map(str::to_string))
            .set_execution_role_arn(planned.get("execution_role_arn").as_str().map(str::to_string))
            .set_cpu(planned.get("cpu").as_i64().map(|n| n.to_string()))
            .set_memory(planned.get("memory").as_i64().map(|n| n.to_string()))
            .set_requires_compatibilities(compat)
            .set_container_definitions(Some(containers))
            .set_volumes(if volumes.is_empty() { None } else { Some(volumes) })
            .set_tags(tags::ecs_tags(&planned.get("tags_all").to_string_map()))
            .send()
            .await
            .map_err(|e| Diagnostics::of_error(format!("Cannot register ECS task definition {family:?}"), describe(&e)))?;
        let Some(td) = out.task_definition() else {
            return Err(Diagnostics::of_error(
                format!("ECS registered task definition {family:?} but did not return it"),
                "RegisterTaskDefinition answered without a task definition. Look for the new revision with `aws ecs list-task-definitions`, and import it.",
            )
            .into());
        };
        tracing::info!(arn = td.task_definition_arn().unwrap_or_default(), "registered ECS task definition");
        Ok(to_state(td, out.tags(), planned, &ctx.default_tags))
    }

    async fn read(&self, ctx: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let arn = state.get("arn").as_str().or(state.get("id").as_str()).unwrap_or_default().to_string();
        if arn.is_empty() {
            return Ok(None);
        }
        match describe_td(ctx, &arn).await? {
            Some((td, _)) if td.status() == Some(&TaskDefinitionStatus::Inactive) => {
                tracing::info!(arn = %arn, "task definition revision was deregistered outside Terraform");
                Ok(None)
            }
            Some((td, t)) => Ok(Some(to_state(&td, &t, state, &ctx.default_tags))),
            None => Ok(None),
        }
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, Failed> {
        let arn = s(prior, "arn");
        tags::update_ecs_tags(ctx, &arn, prior.get("tags_all"), planned.get("tags_all"), &format!("ECS task definition {arn}")).await?;
        match describe_td(ctx, &arn).await? {
            Some((td, t)) => Ok(to_state(&td, &t, planned, &ctx.default_tags)),
            None => Err(Diagnostics::of_error(
                format!("ECS task definition {arn} disappeared while it was being updated"),
                "Run `terraform apply` again to register it anew.",
            )
            .into()),
        }
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), Diagnostics> {
        let arn = s(prior, "arn");
        if prior.get("skip_destroy").as_bool() == Some(true) {
            tracing::info!(arn = %arn, "skip_destroy is set: leaving the task definition revision registered");
            return Ok(());
        }
        tracing::info!(arn = %arn, "deregistering ECS task definition");
        match ctx.aws.ecs.deregister_task_definition().task_definition(&arn).send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error().is_some_and(|s| {
                    s.is_client_exception() && s.meta().message().is_some_and(|m| m.contains("Unable to describe task definition"))
                }) =>
            {
                Ok(())
            }
            Err(e) => Err(Diagnostics::of_error(format!("Cannot deregister ECS task definition {arn}"), describe(&e))),
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        let id = id.trim();
        let how = "Import takes the task definition ARN, `family:revision`, or a family name (its latest ACTIVE revision).";
        let target = if id.starts_with("arn:") || id.contains(':') {
            id.to_string()
        } else {
            if let Err(e) = ecs_name(255)(&Value::string(id)) {
                return Err(Diagnostics::of_error(format!("Cannot import task definition {id:?}: not a family name"), format!("{e} {how}")));
            }
            match latest_active(ctx, id).await? {
                Some(arn) => arn,
                None => {
                    return Err(Diagnostics::of_error(
                        format!("Cannot import task definition family {id:?}: it has no ACTIVE revision"),
                        format!("No ACTIVE revision of family {id:?} in region {}. {how}", ctx.aws.region),
                    ))
                }
            }
        };
        match describe_td(ctx, &target).await? {
            Some((td, _)) if td.status() == Some(&TaskDefinitionStatus::Inactive) => Err(Diagnostics::of_error(
                format!("Cannot import task definition {target:?}: it is INACTIVE (deregistered)"),
                format!("A deregistered revision cannot be managed. Import an ACTIVE revision, or the family name to get its latest ACTIVE revision. {how}"),
            )),
            Some((td, t)) => Ok(to_state(&td, &t, &Value::Null, &ctx.default_tags)),
            None => Err(Diagnostics::of_error(
                format!("Cannot import task definition {target:?}: it does not exist"),
                format!("ECS does not know it in region {}. {how}", ctx.aws.region),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let cfg = config(vec![obj(c)], vec![("volume", Value::Set(vec![obj(vec![("name", "html".into()), ("host_path", "/ecs/html".into())])]))]);
        assert_eq!(errors(&cfg), vec![]);
    }

    #[test]
    fn image_rules() {
        for ok in ["wordpress", "wordpress:latest", "library/wordpress:6.4-php8.2", "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/wp:1.0", "localhost:5000/wp", "MyRegistry.example.com/wp:v1", "wp@sha256:abcdef0123"] {
            assert!(check_image(ok).is_ok(), "{ok}: {:?}", check_image(ok));
        }
        for bad in ["", "word press", "WordPress:latest", "wordpress:", "wp@", "wp@sha256:", "a//b", "/wp", "wp:bad tag", "wp:-x", "reg.io/Team/wp"] {
            assert!(check_image(bad).is_err(), "{bad} should be rejected");
        }
        assert!(check_image("WordPress").unwrap_err().contains("lowercase"));
        assert!(check_image("wordpress:").unwrap_err().contains("tag"));
    }

    #[test]
    fn value_from_rules() {
        assert!(check_value_from("arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-pass-AbCdEf").is_ok());
        assert!(check_value_from("arn:aws:ssm:ap-northeast-1:123456789012:parameter/wp/db_password").is_ok());
        assert!(check_value_from("wp/db_password").is_ok());
        assert!(check_value_from("arn:aws:s3:::bucket/key").is_err());
        assert!(check_value_from("my password").is_err());
        assert!(check_value_from("").is_err());
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
        assert_eq!(paths, vec!["container[0].mount_point[0].source_volume", "container[0].links[1]", "container[0].volumes_from[0].source_container"], "{e:?}");
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
        one_error_at(&config(vec![with_ports("a", vec![pm(80, Some(80))]), with_ports("b", vec![pm(8080, Some(80))])], vec![]), "container[1].port_mapping[0].host_port");
        // Ephemeral ports never clash.
        assert_eq!(errors(&config(vec![with_ports("a", vec![pm(80, None)]), with_ports("b", vec![pm(80, None)])], vec![])), vec![]);
        // awsvpc: host_port must equal container_port.
        one_error_at(&config(vec![with_ports("a", vec![pm(80, Some(8080))])], vec![("network_mode", "awsvpc".into())]), "container[0].port_mapping[0].host_port");
        // host mode: container ports are host ports.
        one_error_at(&config(vec![with_ports("a", vec![pm(80, None)]), with_ports("b", vec![pm(80, None)])], vec![("network_mode", "host".into())]), "container[1].port_mapping[0].container_port");
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
            vec![("requires_compatibilities", fargate), ("network_mode", "awsvpc".into()), ("cpu", Value::int(256)), ("memory", Value::int(512))],
        );
        assert_eq!(errors(&ok), vec![]);
        one_error_at(&config(vec![obj(container("a"))], vec![("requires_compatibilities", Value::Set(vec!["LAMBDA".into()]))]), "requires_compatibilities");
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

    fn aws_container() -> ContainerDefinition {
        // What AWS returns for a container registered with only name, image, memory and one port.
        ContainerDefinition::builder()
            .name("wordpress")
            .image("wordpress:latest")
            .memory(512)
            .cpu(0)
            .essential(true)
            .port_mappings(PortMapping::builder().container_port(80).host_port(80).protocol(TransportProtocol::Tcp).build())
            .set_environment(Some(vec![]))
            .set_mount_points(Some(vec![]))
            .set_volumes_from(Some(vec![]))
            .build()
    }

    #[test]
    fn aws_defaults_read_back_as_unset() {
        let prior = obj(vec![
            ("name", "wordpress".into()),
            ("port_mapping", list(vec![obj(vec![("container_port", Value::int(80)), ("host_port", Value::Null), ("protocol", "tcp".into())])])),
        ]);
        let v = container_value(&aws_container(), &prior, "awsvpc");
        assert_eq!(v.get("cpu"), &Value::int(0));
        assert_eq!(v.get("essential"), &Value::Bool(true));
        assert!(v.get("environment").is_null());
        assert!(v.get("entry_point").is_null());
        assert_eq!(v.get("mount_point"), &Value::List(vec![]));
        assert!(v.get("log_configuration").is_null());
        assert!(v.get("port_mapping").as_list().unwrap()[0].get("host_port").is_null(), "awsvpc fills host_port; it was left out");
        // In bridge mode an explicit 80 stays 80.
        let v = container_value(&aws_container(), &prior, "bridge");
        assert_eq!(v.get("port_mapping").as_list().unwrap()[0].get("host_port"), &Value::int(80));
        // A configured empty map stays an empty map.
        let mut p2 = prior.clone();
        p2.set("environment", Value::Map(BTreeMap::new()));
        assert_eq!(container_value(&aws_container(), &p2, "bridge").get("environment"), &Value::Map(BTreeMap::new()));
    }

    #[test]
    fn arn_without_revision_strips_the_number() {
        assert_eq!(without_revision("arn:aws:ecs:ap-northeast-1:123456789012:task-definition/wp:12"), "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/wp");
    }
}
