//! AWS SDK types -> state value, with the normalisation that keeps a second plan empty: the
//! defaults AWS fills in read back as unset where the configuration left them out.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{ContainerDefinition, Tag, TaskDefinition};

use crate::resources::tags;
use crate::tf::Value;

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

/// An optional bool as registered: ECS returns these only when they were set, so a false is a
/// configured false (and an import of it plans clean). `_prior` keeps the signature of the others.
fn bool_value(aws: Option<bool>, _prior: &Value) -> Value {
    Value::opt_bool(aws)
}

/// A string AWS fills with its default when it was left out: the default reads back as unset then.
fn string_or_default(aws: Option<&str>, default: &str, prior: &Value) -> Value {
    match aws.filter(|s| !s.is_empty()) {
        Some(s) if s == default && prior.is_null() => Value::Null,
        other => Value::opt_string(other),
    }
}

fn secrets_value(list: &[aws_sdk_ecs::types::Secret]) -> Value {
    Value::List(
        list.iter().map(|sv| Value::object([("name", Value::string(sv.name())), ("value_from", Value::string(sv.value_from()))])).collect(),
    )
}

fn health_check_value(hc: Option<&aws_sdk_ecs::types::HealthCheck>, prior: &Value) -> Value {
    let Some(hc) = hc else { return Value::Null };
    let start = match hc.start_period() {
        Some(0) if prior.get("start_period").is_null() => Value::Null,
        other => Value::opt_int(other.map(i64::from)),
    };
    Value::object([
        ("command", Value::List(hc.command().iter().map(|c| Value::string(c.clone())).collect())),
        ("interval", Value::int(hc.interval().unwrap_or(30) as i64)),
        ("timeout", Value::int(hc.timeout().unwrap_or(5) as i64)),
        ("retries", Value::int(hc.retries().unwrap_or(3) as i64)),
        ("start_period", start),
    ])
}

fn linux_parameters_value(lp: Option<&aws_sdk_ecs::types::LinuxParameters>, prior: &Value) -> Value {
    let Some(lp) = lp else { return Value::Null };
    let strings = |l: &[String]| l.to_vec();
    let caps = match lp.capabilities() {
        Some(c) if !(c.add().is_empty() && c.drop().is_empty()) || prior.get("capabilities").as_map().is_some() => Value::object([
            ("add", list_value(&strings(c.add()), prior.get("capabilities").get("add"))),
            ("drop", list_value(&strings(c.drop()), prior.get("capabilities").get("drop"))),
        ]),
        _ => Value::Null,
    };
    let tmpfs: Vec<Value> = lp
        .tmpfs()
        .iter()
        .enumerate()
        .map(|(k, t)| {
            Value::object([
                ("container_path", Value::string(t.container_path())),
                ("size", Value::int(t.size() as i64)),
                ("mount_options", list_value(&strings(t.mount_options()), prior_item(prior, "tmpfs", k).get("mount_options"))),
            ])
        })
        .collect();
    let init = bool_value(lp.init_process_enabled(), prior.get("init_process_enabled"));
    let shm = Value::opt_int(lp.shared_memory_size().map(i64::from));
    if prior.is_null() && caps.is_null() && tmpfs.is_empty() && init.is_null() && shm.is_null() {
        return Value::Null; // an empty object AWS returns for "not set"
    }
    Value::object([("init_process_enabled", init), ("shared_memory_size", shm), ("capabilities", caps), ("tmpfs", Value::List(tmpfs))])
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
                Some(h)
                    if !prior_pm.is_null()
                        && prior_pm.get("host_port").is_null()
                        && matches!(mode, "awsvpc" | "host")
                        && Some(h) == cport =>
                {
                    Value::Null
                }
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
        .map(|vf| {
            Value::object([
                ("source_container", Value::opt_string(vf.source_container())),
                ("read_only", Value::Bool(vf.read_only().unwrap_or(false))),
            ])
        })
        .collect();
    let secrets = secrets_value(c.secrets());
    let depends_on = c
        .depends_on()
        .iter()
        .map(|d| {
            Value::object([("container_name", Value::string(d.container_name())), ("condition", Value::string(d.condition().as_str()))])
        })
        .collect();
    let ulimits = c
        .ulimits()
        .iter()
        .map(|u| {
            Value::object([
                ("name", Value::string(u.name().as_str())),
                ("soft_limit", Value::int(u.soft_limit() as i64)),
                ("hard_limit", Value::int(u.hard_limit() as i64)),
            ])
        })
        .collect();
    let environment_files = c
        .environment_files()
        .iter()
        .map(|f| Value::object([("value", Value::string(f.value())), ("type", Value::string(f.r#type().as_str()))]))
        .collect();
    let repository_credentials = match c.repository_credentials() {
        Some(r) => Value::object([("credentials_parameter", Value::string(r.credentials_parameter()))]),
        None => Value::Null,
    };
    let environment: BTreeMap<String, String> =
        c.environment().iter().filter_map(|kv| Some((kv.name()?.to_string(), kv.value().unwrap_or_default().to_string()))).collect();
    let labels: BTreeMap<String, String> =
        c.docker_labels().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
    let log = match c.log_configuration() {
        Some(lc) => {
            let options: BTreeMap<String, String> =
                lc.options().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
            Value::object([
                ("log_driver", Value::string(lc.log_driver().as_str())),
                ("options", map_value(options, prior.get("log_configuration").get("options"))),
                ("secret_option", secrets_value(lc.secret_options())),
            ])
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
        ("secret", secrets),
        ("volumes_from", Value::List(volumes_from)),
        ("log_configuration", log),
        ("stop_timeout", Value::opt_int(c.stop_timeout().map(i64::from))),
        ("start_timeout", Value::opt_int(c.start_timeout().map(i64::from))),
        ("user", Value::opt_string(c.user().filter(|s| !s.is_empty()))),
        ("readonly_root_filesystem", bool_value(c.readonly_root_filesystem(), prior.get("readonly_root_filesystem"))),
        ("privileged", bool_value(c.privileged(), prior.get("privileged"))),
        ("health_check", health_check_value(c.health_check(), prior.get("health_check"))),
        ("depends_on", Value::List(depends_on)),
        ("linux_parameters", linux_parameters_value(c.linux_parameters(), prior.get("linux_parameters"))),
        ("ulimit", Value::List(ulimits)),
        ("repository_credentials", repository_credentials),
        ("environment_file", Value::List(environment_files)),
    ])
}

fn efs_value(efs: Option<&aws_sdk_ecs::types::EfsVolumeConfiguration>, prior: &Value) -> Value {
    let Some(e) = efs else { return Value::Null };
    let auth = match e.authorization_config() {
        Some(a) if a.access_point_id().is_some() || a.iam().is_some() || !prior.get("authorization_config").is_null() => {
            let pa = prior.get("authorization_config");
            let iam = string_or_default(a.iam().map(|i| i.as_str()), "DISABLED", pa.get("iam"));
            let ap = Value::opt_string(a.access_point_id().filter(|s| !s.is_empty()));
            if ap.is_null() && iam.is_null() && pa.is_null() {
                Value::Null
            } else {
                Value::object([("access_point_id", ap), ("iam", iam)])
            }
        }
        _ => Value::Null,
    };
    Value::object([
        ("file_system_id", Value::string(e.file_system_id())),
        ("root_directory", string_or_default(e.root_directory(), "/", prior.get("root_directory"))),
        ("transit_encryption", string_or_default(e.transit_encryption().map(|t| t.as_str()), "DISABLED", prior.get("transit_encryption"))),
        ("transit_encryption_port", Value::opt_int(e.transit_encryption_port().map(i64::from))),
        ("authorization_config", auth),
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
pub(super) fn to_state(td: &TaskDefinition, aws_tags: &[Tag], prior: &Value, default_tags: &BTreeMap<String, String>) -> Value {
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
    let prior_volumes = prior.get("volume").as_list().unwrap_or(&[]);
    let volumes = td
        .volumes()
        .iter()
        .map(|v| {
            let p = prior_volumes.iter().find(|pv| pv.get("name").as_str() == v.name()).unwrap_or(&crate::tf::value::NULL);
            Value::object([
                ("name", Value::opt_string(v.name())),
                ("host_path", Value::opt_string(v.host().and_then(|h| h.source_path()).filter(|s| !s.is_empty()))),
                ("efs_volume_configuration", efs_value(v.efs_volume_configuration(), p.get("efs_volume_configuration"))),
            ])
        })
        .collect();
    let placement_constraints = td
        .placement_constraints()
        .iter()
        .map(|c| {
            Value::object([("type", Value::opt_string(c.r#type().map(|t| t.as_str()))), ("expression", Value::opt_string(c.expression()))])
        })
        .collect();
    let runtime_platform = match td.runtime_platform() {
        Some(rp) if rp.cpu_architecture().is_some() || rp.operating_system_family().is_some() => Value::object([
            ("cpu_architecture", Value::opt_string(rp.cpu_architecture().map(|c| c.as_str()))),
            ("operating_system_family", Value::opt_string(rp.operating_system_family().map(|o| o.as_str()))),
        ]),
        _ => Value::Null,
    };
    let ephemeral = match td.ephemeral_storage() {
        Some(e) => Value::object([("size_in_gib", Value::int(e.size_in_gib() as i64))]),
        None => Value::Null,
    };
    let compat: Vec<String> = td.requires_compatibilities().iter().map(|c| c.as_str().to_string()).collect();
    let compat = if compat.is_empty() && prior.get("requires_compatibilities").as_list().is_none() {
        Value::Null
    } else {
        Value::Set(compat.into_iter().map(Value::String).collect())
    };
    let (tags_v, tags_all) = tags::split(&crate::aws::tags::from_ecs(aws_tags), default_tags, prior.get("tags"));
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
        ("pid_mode", Value::opt_string(td.pid_mode().map(|m| m.as_str()))),
        ("ipc_mode", Value::opt_string(td.ipc_mode().map(|m| m.as_str()))),
        ("runtime_platform", runtime_platform),
        ("ephemeral_storage", ephemeral),
        ("placement_constraint", Value::List(placement_constraints)),
        ("tags", tags_v),
        ("tags_all", tags_all),
        ("skip_destroy", Value::Bool(prior.get("skip_destroy").as_bool().unwrap_or(false))),
    ])
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{PortMapping, TransportProtocol};

    use super::*;

    fn obj(pairs: Vec<(&'static str, Value)>) -> Value {
        Value::object(pairs)
    }
    fn list(items: Vec<Value>) -> Value {
        Value::List(items)
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
            (
                "port_mapping",
                list(vec![obj(vec![("container_port", Value::int(80)), ("host_port", Value::Null), ("protocol", "tcp".into())])]),
            ),
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
        assert_eq!(
            without_revision("arn:aws:ecs:ap-northeast-1:123456789012:task-definition/wp:12"),
            "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/wp"
        );
    }
}
