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
    let secrets = c
        .secrets()
        .iter()
        .map(|sv| Value::object([("name", Value::string(sv.name())), ("value_from", Value::string(sv.value_from()))]))
        .collect();
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
