//! `moved` from hashicorp/aws's `aws_ecs_task_definition`: its `container_definitions` JSON (in
//! the ECS API's camelCase form) becomes typed `container` blocks; every container field, volume
//! kind or task setting this resource does not manage is refused by name.

use serde_json::{Map, Value as Json};

use crate::framework::MoveSource;
use crate::resources::migrate::{self, Source};
use crate::tf::{Diagnostics, Value};

/// Container definition fields that map to a `container` attribute or block.
const CONTAINER_FIELDS: &[&str] = &[
    "name",
    "image",
    "memory",
    "memoryReservation",
    "cpu",
    "essential",
    "entryPoint",
    "command",
    "environment",
    "links",
    "workingDirectory",
    "hostname",
    "dockerLabels",
    "portMappings",
    "mountPoints",
    "secrets",
    "volumesFrom",
    "logConfiguration",
];

pub(super) fn move_state(from: &MoveSource<'_>) -> Result<Value, Diagnostics> {
    let mut src = migrate::source(from, "aws_ecs_task_definition", 1, "awsecs_task_definition")?;
    let defs: Vec<Json> = match src.get("container_definitions") {
        Json::String(text) => serde_json::from_str::<Json>(text)
            .ok()
            .and_then(|j| j.as_array().cloned())
            .filter(|defs| defs.iter().all(Json::is_object))
            .ok_or_else(|| {
                Diagnostics::of_error(
                    "Cannot move this aws_ecs_task_definition: `container_definitions` is not a JSON list of objects",
                    "The state's container_definitions should hold the JSON list of container definitions hashicorp/aws stored.",
                )
            })?,
        _ => Vec::new(),
    };
    let containers: Vec<Value> = defs.iter().enumerate().map(|(i, c)| container(&mut src, i, c)).collect();
    let volumes: Vec<Value> =
        src.get("volume").as_array().cloned().unwrap_or_default().iter().enumerate().map(|(i, v)| volume(&mut src, i, v)).collect();

    for key in [
        "ephemeral_storage",
        "placement_constraints",
        "proxy_configuration",
        "runtime_platform",
        "ipc_mode",
        "pid_mode",
        "track_latest",
        "enable_fault_injection",
    ] {
        src.no_equivalent(key, |_| false);
    }
    let arn = migrate::string(src.get("arn"));
    let state = Value::object([
        ("id", arn.clone()),
        ("arn", arn),
        ("arn_without_revision", migrate::string(src.get("arn_without_revision"))),
        ("revision", migrate::int(src.get("revision"))),
        ("family", migrate::string(src.get("family"))),
        ("network_mode", migrate::string(src.get("network_mode"))),
        ("task_role_arn", migrate::string(src.get("task_role_arn"))),
        ("execution_role_arn", migrate::string(src.get("execution_role_arn"))),
        ("cpu", migrate::int(src.get("cpu"))),
        ("memory", migrate::int(src.get("memory"))),
        ("requires_compatibilities", migrate::string_set(src.get("requires_compatibilities"))),
        ("skip_destroy", migrate::boolean(src.get("skip_destroy"), false)),
        ("tags", migrate::string_map(src.get("tags"))),
        ("tags_all", migrate::string_map(src.get("tags_all"))),
        ("container", Value::List(containers)),
        ("volume", Value::Set(volumes)),
    ]);
    src.finish(state)
}

fn field<'a>(c: &'a Map<String, Json>, key: &str) -> &'a Json {
    c.get(key).unwrap_or(&Json::Null)
}

/// Objects of a list field, each checked for keys this provider does not manage.
fn items<'a>(src: &mut Source<'_>, c: &'a Map<String, Json>, key: &str, known: &[&str], at: &str) -> Vec<&'a Map<String, Json>> {
    let list = field(c, key).as_array().map(|a| a.iter().filter_map(Json::as_object).collect::<Vec<_>>()).unwrap_or_default();
    for (j, item) in list.iter().enumerate() {
        for (k, v) in item.iter().filter(|(k, _)| !known.contains(&k.as_str())) {
            src.no_equivalent_at(format!("{at}.{key}[{j}].{k}"), v);
        }
    }
    list
}

fn container(src: &mut Source<'_>, i: usize, c: &Json) -> Value {
    let empty = Map::new();
    let c = c.as_object().unwrap_or(&empty);
    let at = format!("container_definitions[{i}]");
    for (k, v) in c.iter().filter(|(k, _)| !CONTAINER_FIELDS.contains(&k.as_str())) {
        src.no_equivalent_at(format!("{at}.{k}"), v);
    }
    let environment = {
        let pairs = items(src, c, "environment", &["name", "value"], &at);
        if pairs.is_empty() {
            Value::Null
        } else {
            Value::Map(
                pairs
                    .iter()
                    .map(|p| {
                        (
                            p.get("name").and_then(Json::as_str).unwrap_or_default().to_string(),
                            Value::string(p.get("value").and_then(Json::as_str).unwrap_or_default()),
                        )
                    })
                    .collect(),
            )
        }
    };
    let port_mappings = items(src, c, "portMappings", &["containerPort", "hostPort", "protocol"], &at)
        .iter()
        .map(|p| {
            let host = migrate::int(field(p, "hostPort"));
            Value::object([
                ("container_port", migrate::int(field(p, "containerPort"))),
                ("host_port", if host.as_i64() == Some(0) { Value::Null } else { host }),
                ("protocol", Value::string(field(p, "protocol").as_str().unwrap_or("tcp"))),
            ])
        })
        .collect();
    let mount_points = items(src, c, "mountPoints", &["sourceVolume", "containerPath", "readOnly"], &at)
        .iter()
        .map(|m| {
            Value::object([
                ("source_volume", migrate::string(field(m, "sourceVolume"))),
                ("container_path", migrate::string(field(m, "containerPath"))),
                ("read_only", migrate::boolean(field(m, "readOnly"), false)),
            ])
        })
        .collect();
    let secrets = items(src, c, "secrets", &["name", "valueFrom"], &at)
        .iter()
        .map(|s| Value::object([("name", migrate::string(field(s, "name"))), ("value_from", migrate::string(field(s, "valueFrom")))]))
        .collect();
    let volumes_from = items(src, c, "volumesFrom", &["sourceContainer", "readOnly"], &at)
        .iter()
        .map(|v| {
            Value::object([
                ("source_container", migrate::string(field(v, "sourceContainer"))),
                ("read_only", migrate::boolean(field(v, "readOnly"), false)),
            ])
        })
        .collect();
    let log_configuration = match field(c, "logConfiguration").as_object() {
        Some(l) => {
            for (k, v) in l.iter().filter(|(k, _)| !["logDriver", "options"].contains(&k.as_str())) {
                src.no_equivalent_at(format!("{at}.logConfiguration.{k}"), v);
            }
            Value::object([("log_driver", migrate::string(field(l, "logDriver"))), ("options", migrate::string_map(field(l, "options")))])
        }
        None => Value::Null,
    };
    let cpu = migrate::int(field(c, "cpu"));
    Value::object([
        ("name", migrate::string(field(c, "name"))),
        ("image", migrate::string(field(c, "image"))),
        ("memory", migrate::int(field(c, "memory"))),
        ("memory_reservation", migrate::int(field(c, "memoryReservation"))),
        ("cpu", if cpu.is_null() { Value::int(0) } else { cpu }),
        ("essential", migrate::boolean(field(c, "essential"), true)),
        ("entry_point", migrate::string_list(field(c, "entryPoint"))),
        ("command", migrate::string_list(field(c, "command"))),
        ("environment", environment),
        ("links", migrate::string_list(field(c, "links"))),
        ("working_directory", migrate::string(field(c, "workingDirectory"))),
        ("hostname", migrate::string(field(c, "hostname"))),
        ("docker_labels", migrate::string_map(field(c, "dockerLabels"))),
        ("port_mapping", Value::List(port_mappings)),
        ("mount_point", Value::List(mount_points)),
        ("secret", Value::List(secrets)),
        ("volumes_from", Value::List(volumes_from)),
        ("log_configuration", log_configuration),
    ])
}

fn volume(src: &mut Source<'_>, i: usize, v: &Json) -> Value {
    let empty = Map::new();
    let v = v.as_object().unwrap_or(&empty);
    for (k, x) in v.iter().filter(|(k, _)| !["name", "host_path"].contains(&k.as_str())) {
        src.no_equivalent_at(format!("volume[{i}].{k}"), x);
    }
    Value::object([("name", migrate::string(field(v, "name"))), ("host_path", migrate::string(field(v, "host_path")))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The state hashicorp/aws 6.x stores after applying the walkthrough's task definition.
    fn state() -> Json {
        json!({
            "arn": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/wordpress:1",
            "arn_without_revision": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/wordpress",
            "container_definitions": "[{\"environment\":[{\"name\":\"WORDPRESS_DB_HOST\",\"value\":\"db:3306\"}],\"essential\":true,\"image\":\"wordpress:6.5\",\"memory\":512,\"mountPoints\":[{\"containerPath\":\"/var/www/html\",\"readOnly\":false,\"sourceVolume\":\"html\"}],\"name\":\"wordpress\",\"portMappings\":[{\"containerPort\":80,\"hostPort\":80,\"protocol\":\"tcp\"}],\"secrets\":[{\"name\":\"WORDPRESS_DB_PASSWORD\",\"valueFrom\":\"arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-AbCdEf\"}],\"systemControls\":[],\"volumesFrom\":[]}]",
            "cpu": "", "memory": "", "enable_fault_injection": false, "ephemeral_storage": [], "execution_role_arn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
            "family": "wordpress", "id": "wordpress", "ipc_mode": "", "network_mode": "bridge", "pid_mode": "", "placement_constraints": [],
            "proxy_configuration": [], "region": "ap-northeast-1", "requires_compatibilities": [], "revision": 1, "runtime_platform": [],
            "skip_destroy": false, "tags": null, "tags_all": {}, "task_role_arn": "", "track_latest": false,
            "volume": [{"name": "html", "host_path": "/ecs/html", "configure_at_launch": false, "docker_volume_configuration": [], "efs_volume_configuration": [], "fsx_windows_file_server_volume_configuration": []}]
        })
    }

    fn moved(s: &Json) -> Result<Value, Diagnostics> {
        move_state(&MoveSource {
            provider: "registry.terraform.io/hashicorp/aws",
            type_name: "aws_ecs_task_definition",
            schema_version: 1,
            state: s,
        })
    }

    #[test]
    fn container_definitions_become_typed_blocks() {
        let v = moved(&state()).expect("moves");
        assert_eq!(v.get("id").as_str(), Some("arn:aws:ecs:ap-northeast-1:123456789012:task-definition/wordpress:1"), "our id is the ARN");
        assert_eq!(v.get("revision").as_i64(), Some(1));
        assert!(v.get("cpu").is_null() && v.get("task_role_arn").is_null(), "\"\" is unset");
        let c = &v.get("container").as_list().unwrap()[0];
        assert_eq!(c.get("image").as_str(), Some("wordpress:6.5"));
        assert_eq!(c.get("memory").as_i64(), Some(512));
        assert_eq!(c.get("environment").to_string_map().get("WORDPRESS_DB_HOST").map(String::as_str), Some("db:3306"));
        let pm = &c.get("port_mapping").as_list().unwrap()[0];
        assert_eq!(
            (pm.get("container_port").as_i64(), pm.get("host_port").as_i64(), pm.get("protocol").as_str()),
            (Some(80), Some(80), Some("tcp"))
        );
        assert_eq!(c.get("secret").as_list().unwrap()[0].get("value_from").as_str().map(|s| s.ends_with("db-AbCdEf")), Some(true));
        assert_eq!(c.get("mount_point").as_list().unwrap()[0].get("source_volume").as_str(), Some("html"));
        assert_eq!(c.get("cpu").as_i64(), Some(0));
        assert!(c.get("log_configuration").is_null());
        let vol = &v.get("volume").as_list().unwrap()[0];
        assert_eq!(vol.get("host_path").as_str(), Some("/ecs/html"));
    }

    #[test]
    fn unmanaged_container_fields_and_volume_kinds_are_refused_by_name() {
        let mut s = state();
        let defs = "[{\"name\":\"web\",\"image\":\"nginx\",\"readonlyRootFilesystem\":true,\"privileged\":false,\"healthCheck\":{\"command\":[\"CMD\",\"true\"]},\"portMappings\":[{\"containerPort\":80,\"name\":\"http\"}],\"logConfiguration\":{\"logDriver\":\"awslogs\",\"secretOptions\":[{\"name\":\"k\",\"valueFrom\":\"v\"}]}}]";
        s["container_definitions"] = json!(defs);
        s["volume"] = json!([{"name": "efs", "efs_volume_configuration": [{"file_system_id": "fs-1"}]}]);
        s["runtime_platform"] = json!([{"operating_system_family": "LINUX"}]);
        let err = moved(&s).unwrap_err();
        let d = &err.0[0].detail;
        for named in [
            "container_definitions[0].readonlyRootFilesystem",
            "container_definitions[0].healthCheck",
            "container_definitions[0].portMappings[0].name",
            "container_definitions[0].logConfiguration.secretOptions",
            "volume[0].efs_volume_configuration",
            "`runtime_platform`",
        ] {
            assert!(d.contains(named), "{named} is named: {d}");
        }
        assert!(!d.contains("privileged"), "false is unset: {d}");
        assert!(err.0[0].summary.contains("6 setting(s)"), "{:?}", err.0[0]);
    }

    #[test]
    fn broken_container_definitions_are_an_error_not_a_panic() {
        let mut s = state();
        s["container_definitions"] = json!("{not json");
        assert!(moved(&s).unwrap_err().0[0].summary.contains("not a JSON list"));
        s["container_definitions"] = json!("[1, \"x\", null]");
        assert!(moved(&s).is_err());
    }
}
