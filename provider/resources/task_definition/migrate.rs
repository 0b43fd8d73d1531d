//! `moved` from hashicorp/aws's `aws_ecs_task_definition`: its `container_definitions` JSON (in
//! the ECS API's camelCase form) becomes typed `container` blocks, its EFS volumes, runtime
//! platform, ephemeral storage and placement constraints our blocks; every container field, volume
//! kind or task setting this resource does not manage (Linux devices and swap, Docker and FSx
//! volumes, App Mesh proxies, ...) is refused by name.
//!
//! The values are what `flatten` reads back with no prior: the defaults AWS fills in (an EFS root
//! of `/`, a start period of 0) are unset, those our schema has a default for (a health check's
//! interval) carry it, so the refresh right after the move keeps them so.

use serde_json::{Map, Value as Json};

use crate::framework::MoveSource;
use crate::resources::migrate::{self, Source};
use crate::tf::{Diagnostics, Value};

type Object = Map<String, Json>;

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
    "stopTimeout",
    "startTimeout",
    "user",
    "readonlyRootFilesystem",
    "privileged",
    "healthCheck",
    "dependsOn",
    "linuxParameters",
    "ulimits",
    "repositoryCredentials",
    "environmentFiles",
];

/// `linuxParameters` fields with an equivalent (`devices`, `maxSwap` and `swappiness` have none).
const LINUX_PARAMETERS_FIELDS: &[&str] = &["initProcessEnabled", "sharedMemorySize", "capabilities", "tmpfs"];

/// The attributes of hashicorp/aws's `efs_volume_configuration` block.
const EFS_FIELDS: &[&str] = &["file_system_id", "root_directory", "transit_encryption", "transit_encryption_port", "authorization_config"];

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
    let volume_list = src.get("volume").as_array().map(Vec::as_slice).unwrap_or_default();
    let volumes: Vec<Value> = volume_list.iter().enumerate().map(|(i, v)| volume(&mut src, i, v)).collect();
    let runtime_platform = runtime_platform(&mut src);
    let ephemeral_storage = ephemeral_storage(&mut src);
    let placement_constraints = placement_constraints(&mut src);
    for key in ["proxy_configuration", "track_latest", "enable_fault_injection"] {
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
        ("pid_mode", migrate::string(src.get("pid_mode"))),
        ("ipc_mode", migrate::string(src.get("ipc_mode"))),
        ("skip_destroy", migrate::boolean(src.get("skip_destroy"), false)),
        ("tags", migrate::string_map(src.get("tags"))),
        ("tags_all", migrate::string_map(src.get("tags_all"))),
        ("container", Value::List(containers)),
        ("volume", Value::Set(volumes)),
        ("runtime_platform", runtime_platform),
        ("ephemeral_storage", ephemeral_storage),
        ("placement_constraint", Value::List(placement_constraints)),
    ]);
    src.finish(state)
}

// ---------------------------------------------------------------------------------------------
// Reading the source
// ---------------------------------------------------------------------------------------------

fn field<'a>(c: &'a Object, key: &str) -> &'a Json {
    c.get(key).unwrap_or(&Json::Null)
}

/// Notes every key of `o` outside `known` that holds a value (as `at.key`).
fn refuse_others(src: &mut Source<'_>, o: &Object, known: &[&str], at: &str) {
    for (k, v) in o.iter().filter(|(k, _)| !known.contains(&k.as_str())) {
        src.no_equivalent_at(format!("{at}.{k}"), v);
    }
}

/// The object of field `key` (None when it is absent or unset), its keys outside `known` refused.
fn nested<'a>(src: &mut Source<'_>, c: &'a Object, key: &str, known: &[&str], at: &str) -> Option<&'a Object> {
    let j = field(c, key);
    if migrate::is_unset(j) {
        return None;
    }
    let path = format!("{at}.{key}");
    match j.as_object() {
        Some(o) => {
            refuse_others(src, o, known, &path);
            Some(o)
        }
        None => {
            src.no_equivalent_at(path, j);
            None
        }
    }
}

/// Objects of a list field, each checked for keys this provider does not manage.
fn items<'a>(src: &mut Source<'_>, c: &'a Object, key: &str, known: &[&str], at: &str) -> Vec<&'a Object> {
    let list = field(c, key).as_array().map(|a| a.iter().filter_map(Json::as_object).collect::<Vec<_>>()).unwrap_or_default();
    for (j, item) in list.iter().enumerate() {
        refuse_others(src, item, known, &format!("{at}.{key}[{j}]"));
    }
    list
}

/// The one object of a hashicorp/aws block (a list of at most one; `[]` is unset), its attributes
/// outside `known` refused (as `at[0].key`).
fn block<'a>(src: &mut Source<'_>, j: &'a Json, known: &[&str], at: &str) -> Option<&'a Object> {
    let o = migrate::only(j).and_then(Json::as_object).filter(|o| !o.values().all(migrate::is_unset))?;
    refuse_others(src, o, known, &format!("{at}[0]"));
    Some(o)
}

// ---------------------------------------------------------------------------------------------
// Values in our form
// ---------------------------------------------------------------------------------------------

/// A number with a schema default (or one AWS always returns): absent is `default`.
fn int_or(j: &Json, default: i64) -> Value {
    match migrate::int(j) {
        Value::Null => Value::int(default),
        v => v,
    }
}

/// A number whose 0 means "not set" (hashicorp/aws's stored zero, AWS's "none").
fn nonzero_int(j: &Json) -> Value {
    match migrate::int(j) {
        v if v.as_i64() == Some(0) => Value::Null,
        v => v,
    }
}

/// An optional bool without a default, as registered (flatten's `bool_value`): ECS returns these
/// only when they were set, so a false in the source is a configured false.
fn flag(j: &Json) -> Value {
    j.as_bool().map_or(Value::Null, Value::Bool)
}

/// A required list of strings: always a list, possibly empty.
fn strings(j: &Json) -> Value {
    Value::List(j.as_array().map(|a| a.iter().map(|s| Value::string(s.as_str().unwrap_or_default())).collect()).unwrap_or_default())
}

/// A string left empty in the source, or at the value AWS fills in for "left out", is unset.
fn string_unless(j: &Json, aws_default: &str) -> Value {
    match j.as_str() {
        Some(s) if s == aws_default => Value::Null,
        _ => migrate::string(j),
    }
}

// ---------------------------------------------------------------------------------------------
// Containers
// ---------------------------------------------------------------------------------------------

fn container(src: &mut Source<'_>, i: usize, c: &Json) -> Value {
    let empty = Map::new();
    let c = c.as_object().unwrap_or(&empty);
    let at = format!("container_definitions[{i}]");
    refuse_others(src, c, CONTAINER_FIELDS, &at);
    Value::object([
        ("name", migrate::string(field(c, "name"))),
        ("image", migrate::string(field(c, "image"))),
        ("memory", migrate::int(field(c, "memory"))),
        ("memory_reservation", migrate::int(field(c, "memoryReservation"))),
        ("cpu", int_or(field(c, "cpu"), 0)),
        ("essential", migrate::boolean(field(c, "essential"), true)),
        ("entry_point", migrate::string_list(field(c, "entryPoint"))),
        ("command", migrate::string_list(field(c, "command"))),
        ("environment", environment(src, c, &at)),
        ("links", migrate::string_list(field(c, "links"))),
        ("working_directory", migrate::string(field(c, "workingDirectory"))),
        ("hostname", migrate::string(field(c, "hostname"))),
        ("docker_labels", migrate::string_map(field(c, "dockerLabels"))),
        ("port_mapping", port_mappings(src, c, &at)),
        ("mount_point", mount_points(src, c, &at)),
        ("secret", secrets(src, c, "secrets", &at)),
        ("volumes_from", volumes_from(src, c, &at)),
        ("log_configuration", log_configuration(src, c, &at)),
        ("stop_timeout", migrate::int(field(c, "stopTimeout"))),
        ("start_timeout", migrate::int(field(c, "startTimeout"))),
        ("user", migrate::string(field(c, "user"))),
        ("readonly_root_filesystem", flag(field(c, "readonlyRootFilesystem"))),
        ("privileged", flag(field(c, "privileged"))),
        ("health_check", health_check(src, c, &at)),
        ("depends_on", depends_on(src, c, &at)),
        ("linux_parameters", linux_parameters(src, c, &at)),
        ("ulimit", ulimits(src, c, &at)),
        ("repository_credentials", repository_credentials(src, c, &at)),
        ("environment_file", environment_files(src, c, &at)),
    ])
}

fn environment(src: &mut Source<'_>, c: &Object, at: &str) -> Value {
    let pairs = items(src, c, "environment", &["name", "value"], at);
    if pairs.is_empty() {
        return Value::Null;
    }
    Value::Map(
        pairs
            .iter()
            .map(|p| {
                (field(p, "name").as_str().unwrap_or_default().to_string(), Value::string(field(p, "value").as_str().unwrap_or_default()))
            })
            .collect(),
    )
}

fn port_mappings(src: &mut Source<'_>, c: &Object, at: &str) -> Value {
    let list = items(src, c, "portMappings", &["containerPort", "hostPort", "protocol"], at);
    Value::List(
        list.iter()
            .map(|p| {
                Value::object([
                    ("container_port", migrate::int(field(p, "containerPort"))),
                    ("host_port", nonzero_int(field(p, "hostPort"))),
                    ("protocol", Value::string(field(p, "protocol").as_str().unwrap_or("tcp"))),
                ])
            })
            .collect(),
    )
}

fn mount_points(src: &mut Source<'_>, c: &Object, at: &str) -> Value {
    let list = items(src, c, "mountPoints", &["sourceVolume", "containerPath", "readOnly"], at);
    Value::List(
        list.iter()
            .map(|m| {
                Value::object([
                    ("source_volume", migrate::string(field(m, "sourceVolume"))),
                    ("container_path", migrate::string(field(m, "containerPath"))),
                    ("read_only", migrate::boolean(field(m, "readOnly"), false)),
                ])
            })
            .collect(),
    )
}

/// `secrets` of a container or `secretOptions` of its log configuration.
fn secrets(src: &mut Source<'_>, c: &Object, key: &str, at: &str) -> Value {
    let list = items(src, c, key, &["name", "valueFrom"], at);
    Value::List(
        list.iter()
            .map(|s| Value::object([("name", migrate::string(field(s, "name"))), ("value_from", migrate::string(field(s, "valueFrom")))]))
            .collect(),
    )
}

fn volumes_from(src: &mut Source<'_>, c: &Object, at: &str) -> Value {
    let list = items(src, c, "volumesFrom", &["sourceContainer", "readOnly"], at);
    Value::List(
        list.iter()
            .map(|v| {
                Value::object([
                    ("source_container", migrate::string(field(v, "sourceContainer"))),
                    ("read_only", migrate::boolean(field(v, "readOnly"), false)),
                ])
            })
            .collect(),
    )
}

fn log_configuration(src: &mut Source<'_>, c: &Object, at: &str) -> Value {
    let Some(l) = nested(src, c, "logConfiguration", &["logDriver", "options", "secretOptions"], at) else { return Value::Null };
    Value::object([
        ("log_driver", migrate::string(field(l, "logDriver"))),
        ("options", migrate::string_map(field(l, "options"))),
        ("secret_option", secrets(src, l, "secretOptions", &format!("{at}.logConfiguration"))),
    ])
}

fn health_check(src: &mut Source<'_>, c: &Object, at: &str) -> Value {
    let known = ["command", "interval", "timeout", "retries", "startPeriod"];
    let Some(h) = nested(src, c, "healthCheck", &known, at) else { return Value::Null };
    Value::object([
        ("command", strings(field(h, "command"))),
        ("interval", int_or(field(h, "interval"), 30)),
        ("timeout", int_or(field(h, "timeout"), 5)),
        ("retries", int_or(field(h, "retries"), 3)),
        ("start_period", nonzero_int(field(h, "startPeriod"))),
    ])
}

fn depends_on(src: &mut Source<'_>, c: &Object, at: &str) -> Value {
    let list = items(src, c, "dependsOn", &["containerName", "condition"], at);
    Value::List(
        list.iter()
            .map(|d| {
                Value::object([
                    ("container_name", migrate::string(field(d, "containerName"))),
                    ("condition", migrate::string(field(d, "condition"))),
                ])
            })
            .collect(),
    )
}

fn linux_parameters(src: &mut Source<'_>, c: &Object, at: &str) -> Value {
    let Some(lp) = nested(src, c, "linuxParameters", LINUX_PARAMETERS_FIELDS, at) else { return Value::Null };
    let at = format!("{at}.linuxParameters");
    let capabilities = match nested(src, lp, "capabilities", &["add", "drop"], &at) {
        Some(caps) => {
            Value::object([("add", migrate::string_list(field(caps, "add"))), ("drop", migrate::string_list(field(caps, "drop")))])
        }
        None => Value::Null,
    };
    let tmpfs: Vec<Value> = items(src, lp, "tmpfs", &["containerPath", "size", "mountOptions"], &at)
        .iter()
        .map(|t| {
            Value::object([
                ("container_path", migrate::string(field(t, "containerPath"))),
                ("size", int_or(field(t, "size"), 0)),
                ("mount_options", migrate::string_list(field(t, "mountOptions"))),
            ])
        })
        .collect();
    let init = flag(field(lp, "initProcessEnabled"));
    let shm = migrate::int(field(lp, "sharedMemorySize"));
    if capabilities.is_null() && tmpfs.is_empty() && init.is_null() && shm.is_null() {
        // Only fields without an equivalent (refused above), or nothing set.
        return Value::Null;
    }
    Value::object([
        ("init_process_enabled", init),
        ("shared_memory_size", shm),
        ("capabilities", capabilities),
        ("tmpfs", Value::List(tmpfs)),
    ])
}

fn ulimits(src: &mut Source<'_>, c: &Object, at: &str) -> Value {
    let list = items(src, c, "ulimits", &["name", "softLimit", "hardLimit"], at);
    Value::List(
        list.iter()
            .map(|u| {
                Value::object([
                    ("name", migrate::string(field(u, "name"))),
                    ("soft_limit", int_or(field(u, "softLimit"), 0)),
                    ("hard_limit", int_or(field(u, "hardLimit"), 0)),
                ])
            })
            .collect(),
    )
}

fn repository_credentials(src: &mut Source<'_>, c: &Object, at: &str) -> Value {
    match nested(src, c, "repositoryCredentials", &["credentialsParameter"], at) {
        Some(r) => Value::object([("credentials_parameter", migrate::string(field(r, "credentialsParameter")))]),
        None => Value::Null,
    }
}

fn environment_files(src: &mut Source<'_>, c: &Object, at: &str) -> Value {
    let list = items(src, c, "environmentFiles", &["value", "type"], at);
    Value::List(
        list.iter()
            .map(|f| {
                let kind = field(f, "type").as_str().filter(|t| !t.is_empty()).unwrap_or("s3");
                Value::object([("value", migrate::string(field(f, "value"))), ("type", Value::string(kind))])
            })
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// Volumes and task-level blocks
// ---------------------------------------------------------------------------------------------

fn volume(src: &mut Source<'_>, i: usize, v: &Json) -> Value {
    let empty = Map::new();
    let v = v.as_object().unwrap_or(&empty);
    let at = format!("volume[{i}]");
    // configure_at_launch = false, and the other kinds' `[]`, are unset.
    refuse_others(src, v, &["name", "host_path", "efs_volume_configuration"], &at);
    let efs_at = format!("{at}.efs_volume_configuration");
    let efs = match block(src, field(v, "efs_volume_configuration"), EFS_FIELDS, &efs_at) {
        Some(e) => efs_volume(src, e, &format!("{efs_at}[0]")),
        None => Value::Null,
    };
    Value::object([
        ("name", migrate::string(field(v, "name"))),
        ("host_path", migrate::string(field(v, "host_path"))),
        ("efs_volume_configuration", efs),
    ])
}

/// hashicorp/aws stores what AWS returned; a root of "/" is AWS's "left out" (flatten reads it
/// back as unset), and hashicorp/aws's 0 port is "not set". ENABLED/DISABLED stay as given.
fn efs_volume(src: &mut Source<'_>, e: &Object, at: &str) -> Value {
    let auth = block(src, field(e, "authorization_config"), &["access_point_id", "iam"], &format!("{at}.authorization_config"));
    let auth = match auth {
        Some(a) => {
            Value::object([("access_point_id", migrate::string(field(a, "access_point_id"))), ("iam", migrate::string(field(a, "iam")))])
        }
        None => Value::Null,
    };
    Value::object([
        ("file_system_id", migrate::string(field(e, "file_system_id"))),
        ("root_directory", string_unless(field(e, "root_directory"), "/")),
        ("transit_encryption", migrate::string(field(e, "transit_encryption"))),
        ("transit_encryption_port", nonzero_int(field(e, "transit_encryption_port"))),
        ("authorization_config", auth),
    ])
}

fn runtime_platform(src: &mut Source<'_>) -> Value {
    let j = src.get("runtime_platform");
    match block(src, j, &["cpu_architecture", "operating_system_family"], "runtime_platform") {
        Some(rp) => Value::object([
            ("cpu_architecture", migrate::string(field(rp, "cpu_architecture"))),
            ("operating_system_family", migrate::string(field(rp, "operating_system_family"))),
        ]),
        None => Value::Null,
    }
}

fn ephemeral_storage(src: &mut Source<'_>) -> Value {
    let j = src.get("ephemeral_storage");
    match block(src, j, &["size_in_gib"], "ephemeral_storage") {
        Some(e) => Value::object([("size_in_gib", migrate::int(field(e, "size_in_gib")))]),
        None => Value::Null,
    }
}

fn placement_constraints(src: &mut Source<'_>) -> Vec<Value> {
    let list = src.get("placement_constraints").as_array().map(Vec::as_slice).unwrap_or_default();
    list.iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let p = p.as_object()?;
            refuse_others(src, p, &["type", "expression"], &format!("placement_constraints[{i}]"));
            Some(Value::object([("type", migrate::string(field(p, "type"))), ("expression", migrate::string(field(p, "expression")))]))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tf::{Block, Nesting};
    use serde_json::json;
    use std::collections::BTreeSet;

    /// The state hashicorp/aws 6.x stores after applying the walkthrough's task definition.
    fn state() -> Json {
        json!({
            "arn": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/wordpress:1",
            "arn_without_revision": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/wordpress",
            "container_definitions": "[{\"environment\":[{\"name\":\"WORDPRESS_DB_HOST\",\"value\":\"db:3306\"}],\"essential\":true,\"image\":\"wordpress:6.5\",\"memory\":512,\"mountPoints\":[{\"containerPath\":\"/var/www/html\",\"readOnly\":false,\"sourceVolume\":\"html\"}],\"name\":\"wordpress\",\"portMappings\":[{\"containerPort\":80,\"hostPort\":80,\"protocol\":\"tcp\"}],\"secrets\":[{\"name\":\"WORDPRESS_DB_PASSWORD\",\"valueFrom\":\"arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-AbCdEf\"}],\"systemControls\":[],\"volumesFrom\":[]}]",
            "cpu": "", "memory": "", "enable_fault_injection": false, "ephemeral_storage": [],
            "execution_role_arn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
            "family": "wordpress", "id": "wordpress", "ipc_mode": "", "network_mode": "bridge", "pid_mode": "", "placement_constraints": [],
            "proxy_configuration": [], "region": "ap-northeast-1", "requires_compatibilities": [], "revision": 1, "runtime_platform": [],
            "skip_destroy": false, "tags": null, "tags_all": {}, "task_role_arn": "", "track_latest": false,
            "volume": [{
                "name": "html", "host_path": "/ecs/html", "configure_at_launch": false, "docker_volume_configuration": [],
                "efs_volume_configuration": [], "fsx_windows_file_server_volume_configuration": [], "s3files_volume_configuration": []
            }]
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

    /// `v` has every attribute and block of `block` and nothing else; nested list and set blocks
    /// are lists, single ones an object or null, all of them in full shape as well.
    fn assert_shape(v: &Value, block: &Block, at: &str) {
        let keys: BTreeSet<&str> = v.as_map().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
        let want: BTreeSet<&str> = block.attributes.iter().map(|a| a.name).chain(block.blocks.iter().map(|b| b.name)).collect();
        assert_eq!(keys, want, "the keys of {at}");
        for b in &block.blocks {
            let inner = v.get(b.name);
            let path = format!("{at}.{}", b.name);
            match b.nesting {
                Nesting::Single if inner.is_null() => {}
                Nesting::Single => assert_shape(inner, &b.block, &path),
                _ => {
                    let list = inner.as_list().unwrap_or_else(|| panic!("{path} is a list, not {inner:?}"));
                    for (i, item) in list.iter().enumerate() {
                        assert_shape(item, &b.block, &format!("{path}[{i}]"));
                    }
                }
            }
        }
    }

    fn assert_full_shape(v: &Value) {
        assert_shape(v, &super::super::schema::schema().block, "awsecs_task_definition");
    }

    #[test]
    fn container_definitions_become_typed_blocks() {
        let v = moved(&state()).expect("moves");
        assert_full_shape(&v);
        assert_eq!(v.get("id").as_str(), Some("arn:aws:ecs:ap-northeast-1:123456789012:task-definition/wordpress:1"), "our id is the ARN");
        assert_eq!(v.get("revision").as_i64(), Some(1));
        assert!(v.get("cpu").is_null() && v.get("task_role_arn").is_null(), "\"\" is unset");
        assert!(v.get("pid_mode").is_null() && v.get("ipc_mode").is_null(), "\"\" is unset");
        assert!(v.get("runtime_platform").is_null() && v.get("ephemeral_storage").is_null(), "[] is unset");
        assert_eq!(v.get("placement_constraint"), &Value::List(vec![]));
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
        for unset in
            ["health_check", "linux_parameters", "repository_credentials", "stop_timeout", "user", "privileged", "readonly_root_filesystem"]
        {
            assert!(c.get(unset).is_null(), "{unset} is unset: {c:?}");
        }
        for empty in ["depends_on", "ulimit", "environment_file"] {
            assert_eq!(c.get(empty), &Value::List(vec![]), "{empty} is an empty list");
        }
        let vol = &v.get("volume").as_list().unwrap()[0];
        assert_eq!(vol.get("host_path").as_str(), Some("/ecs/html"));
        assert!(vol.get("efs_volume_configuration").is_null(), "[] is unset");
    }

    #[test]
    fn unmanaged_container_fields_and_volume_kinds_are_refused_by_name() {
        let mut s = state();
        let defs = json!([{
            "name": "web", "image": "nginx", "readonlyRootFilesystem": true, "privileged": false,
            "healthCheck": {"command": ["CMD", "true"]},
            "portMappings": [{"containerPort": 80, "name": "http"}],
            "linuxParameters": {"initProcessEnabled": true, "devices": [{"hostPath": "/dev/fuse"}], "maxSwap": 1024, "tmpfs": []},
            "logConfiguration": {"logDriver": "awslogs", "secretOptions": [{"name": "k", "valueFrom": "v"}]}
        }]);
        s["container_definitions"] = json!(defs.to_string());
        s["volume"] = json!([
            {
                "name": "efs", "configure_at_launch": false, "docker_volume_configuration": [],
                "efs_volume_configuration": [{
                    "file_system_id": "fs-0123456789abcdef0", "root_directory": "", "transit_encryption": "", "transit_encryption_port": 0,
                    "authorization_config": []
                }]
            },
            {
                "name": "scratch", "configure_at_launch": true, "efs_volume_configuration": [],
                "docker_volume_configuration": [{"autoprovision": true, "driver": "local", "scope": "shared"}]
            }
        ]);
        s["runtime_platform"] = json!([{"operating_system_family": "LINUX", "cpu_architecture": ""}]);
        s["proxy_configuration"] = json!([{"container_name": "envoy", "type": "APPMESH", "properties": {"AppPorts": "80"}}]);
        s["track_latest"] = json!(true);
        let err = moved(&s).unwrap_err();
        let d = &err.0[0].detail;
        for named in [
            "container_definitions[0].portMappings[0].name",
            "container_definitions[0].linuxParameters.devices",
            "container_definitions[0].linuxParameters.maxSwap",
            "volume[1].configure_at_launch",
            "volume[1].docker_volume_configuration",
            "`proxy_configuration`",
            "`track_latest`",
        ] {
            assert!(d.contains(named), "{named} is named: {d}");
        }
        for mapped in
            ["readonlyRootFilesystem", "healthCheck", "secretOptions", "initProcessEnabled", "efs_volume_configuration", "runtime_platform"]
        {
            assert!(!d.contains(mapped), "{mapped} has an equivalent: {d}");
        }
        assert!(!d.contains("privileged") && !d.contains("tmpfs"), "a false flag moves, and [] is unset: {d}");
        assert!(err.0[0].summary.contains("7 setting(s)"), "{:?}", err.0[0]);
    }

    /// A production-like definition in hashicorp/aws's state: an app container with a health check,
    /// a dependency, limits, Splunk logs with a secret token and an EFS volume through an access
    /// point, on Graviton.
    fn production_state() -> Json {
        let defs = json!([
            {
                "name": "wordpress", "image": "wordpress:6.5-apache", "cpu": 512, "memory": 1024, "essential": true,
                "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp"}],
                "mountPoints": [{"sourceVolume": "html", "containerPath": "/var/www/html", "readOnly": false}],
                "healthCheck": {
                    "command": ["CMD-SHELL", "curl -fsS http://localhost/ || exit 1"],
                    "interval": 15, "timeout": 5, "retries": 3, "startPeriod": 60
                },
                "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}],
                "ulimits": [{"name": "nofile", "softLimit": 65536, "hardLimit": 65536}],
                "logConfiguration": {
                    "logDriver": "splunk",
                    "options": {"splunk-url": "https://splunk.example.com:8088"},
                    "secretOptions": [
                        {"name": "splunk-token", "valueFrom": "arn:aws:ssm:ap-northeast-1:123456789012:parameter/splunk/token"}
                    ]
                },
                "linuxParameters": {
                    "initProcessEnabled": true, "capabilities": {"add": [], "drop": ["NET_RAW"]}, "devices": [],
                    "tmpfs": [{"containerPath": "/tmp", "size": 64, "mountOptions": []}]
                },
                "repositoryCredentials": {
                    "credentialsParameter": "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:dockerhub-AbCdEf"
                },
                "environmentFiles": [{"value": "arn:aws:s3:::config-bucket/wordpress.env", "type": "s3"}],
                "stopTimeout": 30, "user": "33:33", "readonlyRootFilesystem": false, "privileged": false,
                "environment": [], "secrets": [], "volumesFrom": [], "systemControls": []
            },
            {
                "name": "init", "image": "busybox:1.36", "memory": 64, "essential": false,
                "command": ["sh", "-c", "chown -R 33:33 /var/www/html"],
                "healthCheck": {"command": ["CMD-SHELL", "exit 0"], "startPeriod": 0},
                "readonlyRootFilesystem": true, "linuxParameters": {"capabilities": {"add": [], "drop": []}, "devices": [], "tmpfs": []}
            }
        ]);
        let mut s = state();
        s["container_definitions"] = json!(defs.to_string());
        s["network_mode"] = json!("bridge");
        s["ipc_mode"] = json!("task");
        s["runtime_platform"] = json!([{"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}]);
        s["placement_constraints"] = json!([{"type": "memberOf", "expression": "attribute:ecs.cpu-architecture == arm64"}]);
        s["volume"] = json!([{
            "name": "html", "host_path": "", "configure_at_launch": false,
            "docker_volume_configuration": [], "fsx_windows_file_server_volume_configuration": [], "s3files_volume_configuration": [],
            "efs_volume_configuration": [{
                "file_system_id": "fs-0123456789abcdef0", "root_directory": "/", "transit_encryption": "ENABLED",
                "transit_encryption_port": 0,
                "authorization_config": [{"access_point_id": "fsap-0123456789abcdef0", "iam": "DISABLED"}]
            }]
        }]);
        s
    }

    #[test]
    fn a_production_definition_moves_with_its_settings() {
        let v = moved(&production_state()).expect("moves");
        assert_full_shape(&v);
        let containers = v.get("container").as_list().unwrap();
        let (app, init) = (&containers[0], &containers[1]);
        assert_eq!(
            app.get("health_check"),
            &Value::object([
                ("command", Value::List(vec![Value::string("CMD-SHELL"), Value::string("curl -fsS http://localhost/ || exit 1")])),
                ("interval", Value::int(15)),
                ("timeout", Value::int(5)),
                ("retries", Value::int(3)),
                ("start_period", Value::int(60)),
            ])
        );
        assert_eq!(
            app.get("depends_on"),
            &Value::List(vec![Value::object([("container_name", Value::string("init")), ("condition", Value::string("SUCCESS"))])])
        );
        assert_eq!(
            app.get("ulimit"),
            &Value::List(vec![Value::object([
                ("name", Value::string("nofile")),
                ("soft_limit", Value::int(65536)),
                ("hard_limit", Value::int(65536)),
            ])])
        );
        let log = app.get("log_configuration");
        assert_eq!(log.get("log_driver").as_str(), Some("splunk"));
        assert_eq!(
            log.get("secret_option"),
            &Value::List(vec![Value::object([
                ("name", Value::string("splunk-token")),
                ("value_from", Value::string("arn:aws:ssm:ap-northeast-1:123456789012:parameter/splunk/token")),
            ])])
        );
        assert_eq!(
            app.get("linux_parameters"),
            &Value::object([
                ("init_process_enabled", Value::Bool(true)),
                ("shared_memory_size", Value::Null),
                ("capabilities", Value::object([("add", Value::Null), ("drop", Value::List(vec![Value::string("NET_RAW")]))])),
                (
                    "tmpfs",
                    Value::List(vec![Value::object([
                        ("container_path", Value::string("/tmp")),
                        ("size", Value::int(64)),
                        ("mount_options", Value::Null),
                    ])])
                ),
            ])
        );
        assert_eq!(
            app.get("repository_credentials").get("credentials_parameter").as_str(),
            Some("arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:dockerhub-AbCdEf")
        );
        assert_eq!(
            app.get("environment_file"),
            &Value::List(vec![Value::object([
                ("value", Value::string("arn:aws:s3:::config-bucket/wordpress.env")),
                ("type", Value::string("s3")),
            ])])
        );
        assert_eq!((app.get("stop_timeout").as_i64(), app.get("user").as_str()), (Some(30), Some("33:33")));
        let flags = (app.get("readonly_root_filesystem"), app.get("privileged"));
        assert_eq!(flags, (&Value::Bool(false), &Value::Bool(false)), "ECS returns a flag only when it was set: a false stays false");
        assert!(app.get("port_mapping").as_list().unwrap()[0].get("host_port").is_null(), "hostPort 0 is an ephemeral port");
        assert!(app.get("environment").is_null() && app.get("start_timeout").is_null());

        let hc = init.get("health_check");
        assert_eq!(
            (hc.get("interval"), hc.get("timeout"), hc.get("retries")),
            (&Value::int(30), &Value::int(5), &Value::int(3)),
            "defaults"
        );
        assert!(hc.get("start_period").is_null(), "a start period of 0 is none");
        assert_eq!(init.get("readonly_root_filesystem"), &Value::Bool(true));
        assert!(init.get("privileged").is_null(), "left out");
        assert!(init.get("linux_parameters").is_null(), "only empty lists: unset");
        assert_eq!(init.get("depends_on"), &Value::List(vec![]));

        let vol = &v.get("volume").as_list().unwrap()[0];
        assert!(vol.get("host_path").is_null());
        assert_eq!(
            vol.get("efs_volume_configuration"),
            &Value::object([
                ("file_system_id", Value::string("fs-0123456789abcdef0")),
                ("root_directory", Value::Null),
                ("transit_encryption", Value::string("ENABLED")),
                ("transit_encryption_port", Value::Null),
                (
                    "authorization_config",
                    Value::object([("access_point_id", Value::string("fsap-0123456789abcdef0")), ("iam", Value::string("DISABLED"))])
                ),
            ])
        );
        assert_eq!(
            v.get("runtime_platform"),
            &Value::object([("cpu_architecture", Value::string("ARM64")), ("operating_system_family", Value::string("LINUX"))])
        );
        assert_eq!(
            v.get("placement_constraint"),
            &Value::List(vec![Value::object([
                ("type", Value::string("memberOf")),
                ("expression", Value::string("attribute:ecs.cpu-architecture == arm64")),
            ])])
        );
        assert_eq!(v.get("ipc_mode").as_str(), Some("task"));
        assert!(v.get("pid_mode").is_null() && v.get("ephemeral_storage").is_null());
    }

    #[test]
    fn an_efs_volume_without_options_and_ephemeral_storage_move() {
        let mut s = state();
        s["volume"] = json!([{
            "name": "data", "host_path": "",
            "efs_volume_configuration": [{
                "file_system_id": "fs-0123456789abcdef0", "root_directory": "/wp", "transit_encryption": "DISABLED",
                "transit_encryption_port": 0, "authorization_config": [{"access_point_id": "", "iam": ""}]
            }]
        }]);
        s["ephemeral_storage"] = json!([{"size_in_gib": 50}]);
        let v = moved(&s).expect("moves");
        let efs = v.get("volume").as_list().unwrap()[0].get("efs_volume_configuration");
        assert_eq!(efs.get("root_directory").as_str(), Some("/wp"));
        assert_eq!(efs.get("transit_encryption").as_str(), Some("DISABLED"), "an explicit value stays");
        assert!(efs.get("authorization_config").is_null(), "an all-empty block is unset");
        assert_eq!(v.get("ephemeral_storage").get("size_in_gib").as_i64(), Some(50));
    }

    #[test]
    fn broken_container_definitions_are_an_error_not_a_panic() {
        let mut s = state();
        s["container_definitions"] = json!("{not json");
        assert!(moved(&s).unwrap_err().0[0].summary.contains("not a JSON list"));
        s["container_definitions"] = json!("[1, \"x\", null]");
        assert!(moved(&s).is_err());
        s["container_definitions"] =
            json!("[{\"name\":\"web\",\"healthCheck\":\"CMD true\",\"linuxParameters\":{\"capabilities\":[\"x\"]}}]");
        let err = moved(&s).unwrap_err();
        assert!(err.0[0].detail.contains("container_definitions[0].healthCheck"), "{:?}", err.0[0]);
        assert!(err.0[0].detail.contains("container_definitions[0].linuxParameters.capabilities"), "{:?}", err.0[0]);
    }
}
