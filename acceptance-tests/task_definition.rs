//! `awsecs_task_definition`: the WordPress container round trip, every field, a table of
//! set/unset combinations that must plan clean, new revisions, skip_destroy, out-of-band
//! deregistration, import, and a table of invalid configurations rejected by `terraform validate`.

use serde_json::{json, Value};

use crate::harness::aws::err_text;
use crate::harness::{assert_no_changes, provider_block, state_addresses, Aws, Moto, TfWorkspace, ACCOUNT_ID, REGION};

fn td_arn(family: &str, rev: i64) -> String {
    format!("arn:aws:ecs:{REGION}:{ACCOUNT_ID}:task-definition/{family}:{rev}")
}

fn config(endpoint: &str, resources: &str) -> String {
    format!("{}\n{resources}", provider_block(endpoint))
}

/// DescribeTaskDefinition (with tags) of an ARN or family:revision.
fn describe(aws: &Aws, id: &str) -> (aws_sdk_ecs::types::TaskDefinition, Vec<aws_sdk_ecs::types::Tag>) {
    let out = aws
        .block_on(aws.ecs.describe_task_definition().task_definition(id).include(aws_sdk_ecs::types::TaskDefinitionField::Tags).send())
        .unwrap_or_else(|e| panic!("DescribeTaskDefinition({id}): {}", err_text(&e)));
    (out.task_definition().cloned().expect("a task definition"), out.tags().to_vec())
}

fn status(aws: &Aws, id: &str) -> String {
    describe(aws, id).0.status().map(|s| s.as_str().to_string()).unwrap_or_default()
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("attribute {key} is not a string in {v:#}"))
}

const WORDPRESS: &str = r#"
resource "awsecs_task_definition" "wp" {
  family = "wordpress"
  container {
    name   = "wordpress"
    image  = "IMAGE"
    memory = 512
    cpu    = 512
    port_mapping {
      host_port      = 80
      container_port = 80
    }
    mount_point {
      source_volume  = "wp-html"
      container_path = "/var/www/html"
    }
    environment = {
      WORDPRESS_DB_HOST = "wp-db.abcdefghij.ap-northeast-1.rds.amazonaws.com:3306"
      WORDPRESS_DB_USER = "wordpress"
    }
  }
  volume {
    name      = "wp-html"
    host_path = "/ecs/wordpress/html"
  }
}
"#;

/// The WordPress container of the walkthrough: field by field in state and in AWS, a clean plan,
/// a new image making revision 2 (revision 1 deregistered), and destroy deregistering revision 2.
#[test]
fn wordpress_round_trip_and_new_revision() {
    let ws = TfWorkspace::new("td_wordpress");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let addr = "awsecs_task_definition.wp";

    ws.write_config(&config(&ep, &WORDPRESS.replace("IMAGE", "wordpress:latest")));
    ws.apply();
    let v = ws.resource(addr);
    assert_eq!(str_of(&v, "arn"), td_arn("wordpress", 1));
    assert_eq!(str_of(&v, "id"), td_arn("wordpress", 1));
    assert_eq!(str_of(&v, "arn_without_revision"), format!("arn:aws:ecs:{REGION}:{ACCOUNT_ID}:task-definition/wordpress"));
    assert_eq!(v["revision"], json!(1));
    assert_eq!(v["network_mode"], json!("bridge"));
    assert_eq!(v["skip_destroy"], json!(false));
    let c = &v["container"][0];
    assert_eq!(c["name"], json!("wordpress"));
    assert_eq!(c["image"], json!("wordpress:latest"));
    assert_eq!(c["memory"], json!(512));
    assert_eq!(c["cpu"], json!(512));
    assert_eq!(c["essential"], json!(true));
    assert_eq!(c["memory_reservation"], Value::Null);
    assert_eq!(c["port_mapping"], json!([{"container_port": 80, "host_port": 80, "protocol": "tcp"}]));
    assert_eq!(c["mount_point"], json!([{"source_volume": "wp-html", "container_path": "/var/www/html", "read_only": false}]));
    assert_eq!(c["environment"]["WORDPRESS_DB_USER"], json!("wordpress"));
    assert_eq!(c["command"], Value::Null);
    assert_eq!(v["volume"], json!([{"name": "wp-html", "host_path": "/ecs/wordpress/html", "efs_volume_configuration": null}]));

    // AWS's view, field by field.
    let (td, _) = describe(&aws, &td_arn("wordpress", 1));
    assert_eq!(td.status().map(|s| s.as_str()), Some("ACTIVE"));
    assert_eq!(td.network_mode().map(|m| m.as_str()), Some("bridge"));
    let cd = &td.container_definitions()[0];
    assert_eq!(cd.name(), Some("wordpress"));
    assert_eq!(cd.image(), Some("wordpress:latest"));
    assert_eq!(cd.memory(), Some(512));
    assert_eq!(cd.cpu(), 512);
    assert_eq!(cd.essential(), Some(true));
    let pm = &cd.port_mappings()[0];
    assert_eq!((pm.container_port(), pm.host_port(), pm.protocol().map(|p| p.as_str())), (Some(80), Some(80), Some("tcp")));
    let mp = &cd.mount_points()[0];
    assert_eq!((mp.source_volume(), mp.container_path()), (Some("wp-html"), Some("/var/www/html")));
    let env: Vec<(String, String)> =
        cd.environment().iter().map(|kv| (kv.name().unwrap_or_default().to_string(), kv.value().unwrap_or_default().to_string())).collect();
    assert!(env.contains(&("WORDPRESS_DB_HOST".into(), "wp-db.abcdefghij.ap-northeast-1.rds.amazonaws.com:3306".into())), "{env:?}");
    let vol = &td.volumes()[0];
    assert_eq!(vol.name(), Some("wp-html"));
    assert_eq!(vol.host().and_then(|h| h.source_path()), Some("/ecs/wordpress/html"));
    assert_no_changes(&ws);

    // A new image: revision 2 replaces revision 1, which is deregistered.
    ws.write_config(&config(&ep, &WORDPRESS.replace("IMAGE", "wordpress:6.4-apache")));
    let plan = ws.saved_plan_json();
    let change = plan["resource_changes"].as_array().unwrap().iter().find(|c| c["address"] == json!(addr)).cloned().unwrap();
    assert_eq!(change["change"]["actions"], json!(["delete", "create"]), "{change:#}");
    // Field-level: the plan shows the new image in the container block, not an opaque string.
    assert_eq!(change["change"]["after"]["container"][0]["image"], json!("wordpress:6.4-apache"));
    ws.apply();
    let v = ws.resource(addr);
    assert_eq!(str_of(&v, "arn"), td_arn("wordpress", 2));
    assert_eq!(v["revision"], json!(2));
    assert_eq!(status(&aws, &td_arn("wordpress", 1)), "INACTIVE", "revision 1 must be deregistered");
    assert_eq!(status(&aws, &td_arn("wordpress", 2)), "ACTIVE");
    assert_eq!(describe(&aws, &td_arn("wordpress", 2)).0.container_definitions()[0].image(), Some("wordpress:6.4-apache"));
    assert_no_changes(&ws);

    ws.destroy();
    assert_eq!(status(&aws, &td_arn("wordpress", 2)), "INACTIVE", "destroy must deregister revision 2");
    assert!(state_addresses(&ws.show_state()).is_empty());
}

/// Every argument set at once, two containers that refer to each other.
const ALL_FIELDS: &str = r#"
resource "awsecs_task_definition" "all" {
  family                   = "all-fields"
  network_mode             = "bridge"
  task_role_arn            = "arn:aws:iam::123456789012:role/wp-task"
  execution_role_arn       = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
  cpu                      = 1024
  memory                   = 2048
  requires_compatibilities = ["EC2"]
  tags = {
    app = "wordpress"
  }
  container {
    name               = "wordpress"
    image              = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/wordpress:6.4"
    memory             = 1024
    memory_reservation = 512
    cpu                = 768
    essential          = true
    entry_point        = ["docker-entrypoint.sh"]
    command            = ["apache2-foreground"]
    environment = {
      WORDPRESS_DB_HOST = "db:3306"
      B_SECOND          = "2"
      A_FIRST           = "1"
    }
    links             = ["mysql:db"]
    working_directory = "/var/www/html"
    hostname          = "wp"
    docker_labels = {
      "com.example.app" = "wordpress"
    }
    port_mapping {
      container_port = 80
      host_port      = 80
    }
    port_mapping {
      container_port = 8125
      protocol       = "udp"
    }
    mount_point {
      source_volume  = "html"
      container_path = "/var/www/html"
      read_only      = false
    }
    mount_point {
      source_volume  = "scratch"
      container_path = "/tmp/scratch"
      read_only      = true
    }
    secret {
      name       = "WORDPRESS_DB_PASSWORD"
      value_from = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:wp-db-AbCdEf"
    }
    secret {
      name       = "WORDPRESS_AUTH_KEY"
      value_from = "arn:aws:ssm:ap-northeast-1:123456789012:parameter/wp/auth_key"
    }
    volumes_from {
      source_container = "mysql"
      read_only        = true
    }
    log_configuration {
      log_driver = "awslogs"
      options = {
        awslogs-group         = "/ecs/wordpress"
        awslogs-region        = "ap-northeast-1"
        awslogs-stream-prefix = "wp"
      }
    }
  }
  container {
    name      = "mysql"
    image     = "mysql:5.7"
    memory    = 512
    essential = false
  }
  volume {
    name      = "html"
    host_path = "/ecs/wordpress/html"
  }
  volume {
    name = "scratch"
  }
}
"#;

#[test]
fn every_field_round_trips() {
    let ws = TfWorkspace::new("td_all_fields");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let addr = "awsecs_task_definition.all";

    ws.write_config(&config(&ep, ALL_FIELDS));
    ws.apply();
    let v = ws.resource(addr);
    assert_eq!(v["task_role_arn"], json!("arn:aws:iam::123456789012:role/wp-task"));
    assert_eq!(v["execution_role_arn"], json!("arn:aws:iam::123456789012:role/ecsTaskExecutionRole"));
    assert_eq!((v["cpu"].clone(), v["memory"].clone()), (json!(1024), json!(2048)));
    assert_eq!(v["requires_compatibilities"], json!(["EC2"]));
    assert_eq!(v["tags"], json!({"app": "wordpress"}));
    assert_eq!(v["tags_all"], json!({"app": "wordpress"}));
    let c = &v["container"][0];
    assert_eq!(c["memory_reservation"], json!(512));
    assert_eq!(c["entry_point"], json!(["docker-entrypoint.sh"]));
    assert_eq!(c["command"], json!(["apache2-foreground"]));
    assert_eq!(c["environment"], json!({"WORDPRESS_DB_HOST": "db:3306", "B_SECOND": "2", "A_FIRST": "1"}));
    assert_eq!(c["links"], json!(["mysql:db"]));
    assert_eq!(c["working_directory"], json!("/var/www/html"));
    assert_eq!(c["hostname"], json!("wp"));
    assert_eq!(c["docker_labels"], json!({"com.example.app": "wordpress"}));
    assert_eq!(c["port_mapping"][1], json!({"container_port": 8125, "host_port": null, "protocol": "udp"}));
    assert_eq!(c["mount_point"][1]["read_only"], json!(true));
    assert_eq!(c["secret"][0]["name"], json!("WORDPRESS_DB_PASSWORD"));
    assert_eq!(c["volumes_from"], json!([{"source_container": "mysql", "read_only": true}]));
    assert_eq!(c["log_configuration"]["log_driver"], json!("awslogs"));
    assert_eq!(c["log_configuration"]["options"]["awslogs-group"], json!("/ecs/wordpress"));
    assert_eq!(v["container"][1]["essential"], json!(false));
    assert_eq!(v["container"][1]["cpu"], json!(0));

    // AWS's view.
    let (td, tags) = describe(&aws, str_of(&v, "arn"));
    assert_eq!(td.task_role_arn(), Some("arn:aws:iam::123456789012:role/wp-task"));
    assert_eq!(td.execution_role_arn(), Some("arn:aws:iam::123456789012:role/ecsTaskExecutionRole"));
    assert_eq!((td.cpu(), td.memory()), (Some("1024"), Some("2048")));
    assert_eq!(td.requires_compatibilities().iter().map(|c| c.as_str()).collect::<Vec<_>>(), vec!["EC2"]);
    assert_eq!(
        tags.iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default())).collect::<Vec<_>>(),
        vec![("app", "wordpress")]
    );
    let wp = &td.container_definitions()[0];
    assert_eq!(wp.memory_reservation(), Some(512));
    assert_eq!(wp.cpu(), 768);
    assert_eq!(wp.entry_point(), ["docker-entrypoint.sh"]);
    assert_eq!(wp.command(), ["apache2-foreground"]);
    assert_eq!(wp.links(), ["mysql:db"]);
    assert_eq!(wp.working_directory(), Some("/var/www/html"));
    assert_eq!(wp.hostname(), Some("wp"));
    assert_eq!(wp.docker_labels().and_then(|m| m.get("com.example.app")).map(String::as_str), Some("wordpress"));
    assert_eq!(wp.port_mappings()[1].protocol().map(|p| p.as_str()), Some("udp"));
    assert_eq!(wp.port_mappings()[1].host_port().unwrap_or(0), 0);
    assert_eq!(wp.mount_points()[1].read_only(), Some(true));
    assert_eq!(
        wp.secrets().iter().map(|s| s.value_from()).collect::<Vec<_>>(),
        vec![
            "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:wp-db-AbCdEf",
            "arn:aws:ssm:ap-northeast-1:123456789012:parameter/wp/auth_key"
        ]
    );
    assert_eq!(wp.volumes_from()[0].source_container(), Some("mysql"));
    assert_eq!(wp.volumes_from()[0].read_only(), Some(true));
    let lc = wp.log_configuration().expect("log configuration");
    assert_eq!(lc.log_driver().as_str(), "awslogs");
    assert_eq!(lc.options().and_then(|o| o.get("awslogs-stream-prefix")).map(String::as_str), Some("wp"));
    assert_eq!(td.container_definitions()[1].essential(), Some(false));
    let scratch = td.volumes().iter().find(|v| v.name() == Some("scratch")).expect("scratch volume");
    assert_eq!(scratch.host().and_then(|h| h.source_path()), None);

    // Tags change in place: same revision.
    ws.write_config(&config(
        &ep,
        &ALL_FIELDS.replace("app = \"wordpress\"\n  }\n  container", "app = \"wp\"\n    env = \"test\"\n  }\n  container"),
    ));
    assert_eq!(ws.plan_actions(), vec![(addr.to_string(), vec!["update".to_string()])]);
    ws.apply();
    let v2 = ws.resource(addr);
    assert_eq!(v2["arn"], v["arn"], "a tag change must keep the revision");
    let (_, tags) = describe(&aws, str_of(&v2, "arn"));
    let mut tags: Vec<(String, String)> =
        tags.iter().map(|t| (t.key().unwrap_or_default().into(), t.value().unwrap_or_default().into())).collect();
    tags.sort();
    assert_eq!(tags, vec![("app".to_string(), "wp".to_string()), ("env".to_string(), "test".to_string())]);
    assert_no_changes(&ws);
}

/// A table of configurations, each setting a different mix of fields and leaving the rest out:
/// after one apply, the plan must be empty for every one of them.
#[test]
fn set_and_unset_combinations_plan_clean() {
    let cases: &[(&str, &str)] = &[
        (
            "minimal",
            r#"container {
    name   = "app"
    image  = "nginx"
    memory = 128
  }"#,
        ),
        (
            "reservation_only",
            r#"container {
    name               = "app"
    image              = "nginx:1.25"
    memory_reservation = 64
  }"#,
        ),
        (
            "task_memory_only",
            r#"memory = 256
  container {
    name  = "app"
    image = "nginx"
  }"#,
        ),
        (
            "ephemeral_host_port",
            r#"container {
    name   = "app"
    image  = "nginx"
    memory = 128
    port_mapping {
      container_port = 80
    }
  }"#,
        ),
        (
            "awsvpc_host_port_left_out",
            r#"network_mode = "awsvpc"
  container {
    name   = "app"
    image  = "nginx"
    memory = 128
    port_mapping {
      container_port = 8080
    }
  }"#,
        ),
        (
            "awsvpc_host_port_equal",
            r#"network_mode = "awsvpc"
  container {
    name   = "app"
    image  = "nginx"
    memory = 128
    port_mapping {
      container_port = 8080
      host_port      = 8080
    }
  }"#,
        ),
        (
            "host_mode",
            r#"network_mode = "host"
  container {
    name   = "app"
    image  = "nginx"
    memory = 128
    port_mapping {
      container_port = 80
    }
  }"#,
        ),
        (
            "none_mode",
            r#"network_mode = "none"
  container {
    name   = "batch"
    image  = "busybox"
    memory = 64
    command = ["sleep", "60"]
  }"#,
        ),
        (
            "explicit_defaults",
            r#"network_mode = "bridge"
  container {
    name      = "app"
    image     = "nginx"
    memory    = 128
    cpu       = 0
    essential = true
    port_mapping {
      container_port = 80
      host_port      = 8080
      protocol       = "tcp"
    }
  }"#,
        ),
        (
            "empty_collections",
            r#"container {
    name          = "app"
    image         = "nginx"
    memory        = 128
    environment   = {}
    command       = []
    entry_point   = []
    links         = []
    docker_labels = {}
  }"#,
        ),
        (
            "environment_order",
            r#"container {
    name   = "app"
    image  = "nginx"
    memory = 128
    environment = {
      ZED   = "last"
      ALPHA = "first"
      MID   = ""
    }
  }"#,
        ),
        (
            "log_without_options",
            r#"container {
    name   = "app"
    image  = "nginx"
    memory = 128
    log_configuration {
      log_driver = "json-file"
    }
  }"#,
        ),
        (
            "docker_volume",
            r#"container {
    name   = "app"
    image  = "nginx"
    memory = 128
    mount_point {
      source_volume  = "data"
      container_path = "/data"
    }
  }
  volume {
    name = "data"
  }"#,
        ),
        (
            "fargate",
            r#"requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  container {
    name  = "app"
    image = "public.ecr.aws/nginx/nginx:latest"
  }"#,
        ),
        (
            "sidecars",
            r#"container {
    name   = "web"
    image  = "nginx"
    memory = 128
    links  = ["php"]
    volumes_from {
      source_container = "php"
    }
  }
  container {
    name      = "php"
    image     = "php:8-fpm"
    memory    = 256
    essential = false
  }"#,
        ),
        (
            "skip_destroy_and_tags",
            r#"skip_destroy = true
  tags = {}
  container {
    name   = "app"
    image  = "nginx"
    memory = 128
  }"#,
        ),
    ];
    let ws = TfWorkspace::new("td_combinations");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let mut resources = String::new();
    for (name, body) in cases {
        resources.push_str(&format!(
            "resource \"awsecs_task_definition\" \"{name}\" {{\n  family = \"{}\"\n  {body}\n}}\n\n",
            name.replace('_', "-")
        ));
    }
    ws.write_config(&config(&ep, &resources));
    ws.apply();

    let state = ws.show_state();
    assert_eq!(state_addresses(&state).len(), cases.len());
    for (name, _) in cases {
        let v = crate::harness::resource_values(&state, &format!("awsecs_task_definition.{name}"))
            .unwrap_or_else(|| panic!("{name} not in state"));
        let (td, _) = describe(&aws, str_of(v, "arn"));
        assert_eq!(td.status().map(|s| s.as_str()), Some("ACTIVE"), "{name}");
        assert_eq!(td.family(), Some(name.replace('_', "-").as_str()));
    }
    let get = |name: &str| crate::harness::resource_values(&state, &format!("awsecs_task_definition.{name}")).cloned().unwrap();
    // Left out stays null; written-out empties stay empty.
    assert_eq!(get("minimal")["container"][0]["environment"], Value::Null);
    assert_eq!(get("empty_collections")["container"][0]["environment"], json!({}));
    assert_eq!(get("empty_collections")["container"][0]["command"], json!([]));
    assert_eq!(get("awsvpc_host_port_left_out")["container"][0]["port_mapping"][0]["host_port"], Value::Null);
    assert_eq!(get("awsvpc_host_port_equal")["container"][0]["port_mapping"][0]["host_port"], json!(8080));
    assert_eq!(get("task_memory_only")["memory"], json!(256));

    // skip_destroy keeps its revision; the others are deregistered.
    let kept = str_of(&get("skip_destroy_and_tags"), "arn").to_string();
    let gone = str_of(&get("minimal"), "arn").to_string();
    ws.destroy();
    assert_eq!(status(&aws, &kept), "ACTIVE", "skip_destroy must keep the revision registered");
    assert_eq!(status(&aws, &gone), "INACTIVE");
}

/// A revision deregistered behind Terraform's back is gone: the next plan registers a new one.
/// skip_destroy toggles in place.
#[test]
fn deregistered_outside_is_recreated() {
    let ws = TfWorkspace::new("td_out_of_band");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let addr = "awsecs_task_definition.wp";
    ws.write_config(&config(&ep, &WORDPRESS.replace("IMAGE", "wordpress:latest")));
    ws.apply();
    aws.block_on(aws.ecs.deregister_task_definition().task_definition(td_arn("wordpress", 1)).send())
        .unwrap_or_else(|e| panic!("DeregisterTaskDefinition: {}", err_text(&e)));
    assert_eq!(ws.plan_actions(), vec![(addr.to_string(), vec!["create".to_string()])]);
    ws.apply();
    assert_eq!(str_of(&ws.resource(addr), "arn"), td_arn("wordpress", 2));
    assert_eq!(status(&aws, &td_arn("wordpress", 2)), "ACTIVE");
    assert_no_changes(&ws);

    // skip_destroy is not part of the revision: in place.
    ws.write_config(&config(
        &ep,
        &WORDPRESS.replace("IMAGE", "wordpress:latest").replace("family = \"wordpress\"", "family = \"wordpress\"\n  skip_destroy = true"),
    ));
    assert_eq!(ws.plan_actions(), vec![(addr.to_string(), vec!["update".to_string()])]);
    ws.apply();
    assert_eq!(str_of(&ws.resource(addr), "arn"), td_arn("wordpress", 2));
    assert_no_changes(&ws);
    ws.destroy();
    assert_eq!(status(&aws, &td_arn("wordpress", 2)), "ACTIVE", "skip_destroy keeps it");
}

/// Import by family (latest ACTIVE revision, even when a higher one is INACTIVE), by ARN and by
/// family:revision; each then plans clean.
#[test]
fn import_by_family_and_arn() {
    let ws = TfWorkspace::new("td_import");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let addr = "awsecs_task_definition.wp";
    use aws_sdk_ecs::types::{ContainerDefinition, HostVolumeProperties, KeyValuePair, MountPoint, PortMapping, Volume};
    let register = || {
        aws.block_on(
            aws.ecs
                .register_task_definition()
                .family("wordpress")
                .container_definitions(
                    ContainerDefinition::builder()
                        .name("wordpress")
                        .image("wordpress:latest")
                        .memory(512)
                        .cpu(512)
                        .port_mappings(PortMapping::builder().container_port(80).host_port(80).build())
                        .mount_points(MountPoint::builder().source_volume("wp-html").container_path("/var/www/html").build())
                        .environment(
                            KeyValuePair::builder()
                                .name("WORDPRESS_DB_HOST")
                                .value("wp-db.abcdefghij.ap-northeast-1.rds.amazonaws.com:3306")
                                .build(),
                        )
                        .environment(KeyValuePair::builder().name("WORDPRESS_DB_USER").value("wordpress").build())
                        .build(),
                )
                .volumes(
                    Volume::builder()
                        .name("wp-html")
                        .host(HostVolumeProperties::builder().source_path("/ecs/wordpress/html").build())
                        .build(),
                )
                .send(),
        )
        .unwrap_or_else(|e| panic!("RegisterTaskDefinition: {}", err_text(&e)))
    };
    for _ in 0..3 {
        register();
    }
    aws.block_on(aws.ecs.deregister_task_definition().task_definition(td_arn("wordpress", 3)).send())
        .unwrap_or_else(|e| panic!("DeregisterTaskDefinition: {}", err_text(&e)));
    ws.write_config(&config(&ep, &WORDPRESS.replace("IMAGE", "wordpress:latest")));

    ws.import(addr, "wordpress");
    let v = ws.resource(addr);
    assert_eq!(str_of(&v, "arn"), td_arn("wordpress", 2), "family import takes the latest ACTIVE revision");
    assert_eq!(v["container"][0]["environment"]["WORDPRESS_DB_USER"], json!("wordpress"));
    assert_no_changes(&ws);

    ws.state_rm(addr);
    ws.import(addr, &td_arn("wordpress", 1));
    assert_eq!(str_of(&ws.resource(addr), "arn"), td_arn("wordpress", 1));
    assert_no_changes(&ws);

    ws.state_rm(addr);
    ws.import(addr, "wordpress:2");
    assert_eq!(str_of(&ws.resource(addr), "arn"), td_arn("wordpress", 2));
    assert_no_changes(&ws);

    ws.state_rm(addr);
    for bad in ["wordpress:3", "no-such-family", &td_arn("wordpress", 9)] {
        let out = ws.run(&["import", addr, bad]);
        assert!(!out.success(), "importing {bad} must fail: {}", out.describe());
        assert!(out.combined().contains("Cannot import task definition"), "{}", out.describe());
    }
    assert!(state_addresses(&ws.show_state()).is_empty());
}

/// Whitespace-insensitive text (Terraform wraps diagnostics).
fn flat(text: &str) -> String {
    text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Invalid configurations: (name, resource body, words the error must contain). The line marked
/// `# <-` is where the error must point (its attribute path).
const INVALID: &[(&str, &str, &str)] = &[
    (
        "family",
        r#"family = "word press" # <-
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
  }"#,
        "Only letters",
    ),
    (
        "duplicate_names",
        r#"family = "x"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
  }
  container {
    name   = "a" # <-
    image  = "nginx"
    memory = 128
  }"#,
        "Two containers are named \"a\"",
    ),
    (
        "no_essential",
        r#"family = "x"
  container {
    name      = "a"
    image     = "nginx"
    memory    = 128
    essential = false # <-
  }"#,
        "No container is essential",
    ),
    (
        "undeclared_volume",
        r#"family = "x"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
    mount_point {
      source_volume  = "html" # <-
      container_path = "/var/www/html"
    }
  }"#,
        "No volume is named \"html\"",
    ),
    (
        "unknown_link",
        r#"family = "x"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
    links  = ["db:mysql"] # <-
  }"#,
        "No container is named \"db\"",
    ),
    (
        "self_link",
        r#"family = "x"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
    links  = ["a"] # <-
  }"#,
        "cannot use itself",
    ),
    (
        "unknown_volumes_from",
        r#"family = "x"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
    volumes_from {
      source_container = "data" # <-
    }
  }"#,
        "No container is named \"data\"",
    ),
    (
        "no_memory",
        r#"family = "x"
  container { # <-
    name  = "a"
    image = "nginx"
  }"#,
        "has no memory limit",
    ),
    (
        "reservation_above_memory",
        r#"family = "x"
  container {
    name               = "a"
    image              = "nginx"
    memory             = 128
    memory_reservation = 256 # <-
  }"#,
        "is above memory",
    ),
    (
        "memory_too_small",
        r#"family = "x"
  container {
    name   = "a"
    image  = "nginx"
    memory = 4 # <-
  }"#,
        "at least 6 MiB",
    ),
    (
        "cpu_too_big",
        r#"family = "x"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
    cpu    = 20000 # <-
  }"#,
        "between 0 and 10240",
    ),
    (
        "container_port_zero",
        r#"family = "x"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
    port_mapping {
      container_port = 0 # <-
    }
  }"#,
        "between 1 and 65535",
    ),
    (
        "host_port_too_big",
        r#"family = "x"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
    port_mapping {
      container_port = 80
      host_port      = 70000 # <-
    }
  }"#,
        "between 1 and 65535",
    ),
    (
        "same_host_port",
        r#"family = "x"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
    port_mapping {
      container_port = 80
      host_port      = 80
    }
  }
  container {
    name   = "b"
    image  = "nginx"
    memory = 128
    port_mapping {
      container_port = 8080
      host_port      = 80 # <-
    }
  }"#,
        "Host port 80/tcp is bound twice",
    ),
    (
        "awsvpc_host_port",
        r#"family       = "x"
  network_mode = "awsvpc"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
    port_mapping {
      container_port = 80
      host_port      = 8080 # <-
    }
  }"#,
        "differs from container_port 80 in awsvpc mode",
    ),
    (
        "host_mode_host_port",
        r#"family       = "x"
  network_mode = "host"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
    port_mapping {
      container_port = 80
      host_port      = 81 # <-
    }
  }"#,
        "in host mode",
    ),
    (
        "image_space",
        r#"family = "x"
  container {
    name   = "a"
    image  = "word press:latest" # <-
    memory = 128
  }"#,
        "no spaces",
    ),
    (
        "image_uppercase",
        r#"family = "x"
  container {
    name   = "a"
    image  = "WordPress:latest" # <-
    memory = 128
  }"#,
        "lowercase",
    ),
    (
        "image_empty_tag",
        r#"family = "x"
  container {
    name   = "a"
    image  = "wordpress:" # <-
    memory = 128
  }"#,
        "Give a tag",
    ),
    (
        "memory_sum",
        r#"family = "x"
  memory = 256 # <-
  container {
    name   = "a"
    image  = "nginx"
    memory = 200
  }
  container {
    name   = "b"
    image  = "nginx"
    memory = 100
  }"#,
        "The containers need 300 MiB",
    ),
    (
        "network_mode",
        r#"family       = "x"
  network_mode = "nat" # <-
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
  }"#,
        "bridge, host, awsvpc, none",
    ),
    (
        "protocol",
        r#"family = "x"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
    port_mapping {
      container_port = 80
      protocol       = "sctp" # <-
    }
  }"#,
        "tcp, udp",
    ),
    (
        "secret_arn",
        r#"family             = "x"
  execution_role_arn = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
    secret {
      name       = "DB_PASSWORD"
      value_from = "arn:aws:s3:::bucket/password" # <-
    }
  }"#,
        "Secrets Manager",
    ),
    (
        "links_in_awsvpc",
        r#"family       = "x"
  network_mode = "awsvpc"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
    links  = ["b"] # <-
  }
  container {
    name   = "b"
    image  = "nginx"
    memory = 128
  }"#,
        "links do not work in awsvpc",
    ),
    (
        "container_name",
        r#"family = "x"
  container {
    name   = "web.1" # <-
    image  = "nginx"
    memory = 128
  }"#,
        "Only letters",
    ),
    (
        "log_driver",
        r#"family = "x"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
    log_configuration {
      log_driver = "cloudwatch" # <-
    }
  }"#,
        "awslogs",
    ),
    (
        "task_role",
        r#"family        = "x"
  task_role_arn = "wp-task-role" # <-
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
  }"#,
        "not an IAM role ARN",
    ),
    (
        "fargate_bridge",
        r#"family                   = "x"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "bridge" # <-
  cpu                      = 256
  memory                   = 512
  container {
    name  = "a"
    image = "nginx"
  }"#,
        "Fargate needs awsvpc",
    ),
    (
        "relative_mount_path",
        r#"family = "x"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
    mount_point {
      source_volume  = "v"
      container_path = "var/www" # <-
    }
  }
  volume {
    name = "v"
  }"#,
        "not an absolute path",
    ),
];

pub(crate) fn run_invalid_cases(name: &str, cases: &[(&str, &str, &str)]) {
    let ws = TfWorkspace::new(name);
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let mut failures = Vec::new();
    for (case, body, words) in cases {
        let main = config(&ep, &format!("resource \"awsecs_task_definition\" \"bad\" {{\n  {body}\n}}\n"));
        // Unmarked: the error is about a `volume` (a set, whose elements Terraform cannot point
        // at), so it points at the resource.
        let line = main
            .lines()
            .position(|l| l.contains("# <-"))
            .or_else(|| main.lines().position(|l| l.starts_with("resource ")))
            .expect("a line")
            + 1;
        ws.write_config(&main);
        let out = ws.run(&["validate"]);
        let text = flat(&out.combined());
        let errors = text.matches("Error:").count();
        if out.success() {
            failures.push(format!("{case}: validate succeeded"));
        } else if !text.contains(words) {
            failures.push(format!("{case}: the error does not say {words:?}:\n{}", out.combined()));
        } else if !text.contains(&format!("on main.tf line {line},")) {
            failures.push(format!("{case}: the error does not point at line {line}:\n{}", out.combined()));
        } else if errors != 1 {
            failures.push(format!("{case}: expected exactly one error, got {errors}:\n{}", out.combined()));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases wrong:\n{}", failures.len(), cases.len(), failures.join("\n\n"));
    // Nothing reached "AWS": the only requests moto saw are the harness's readiness probes.
    let log = std::fs::read_to_string(moto.log_path()).unwrap_or_default();
    assert!(log.contains("/moto-api/data.json"), "moto's request log is not where this test looks for it:\n{log}");
    let requests: Vec<&str> =
        log.lines().filter(|l| l.contains("\"POST ") || (l.contains("\"GET ") && !l.contains("/moto-api/"))).collect();
    assert!(requests.is_empty(), "validation must not call AWS; moto saw: {requests:?}");
}

/// What AWS refuses only when the task definition is registered, refused by `terraform validate`
/// instead (issue 11): (name, resource body, words the error must contain), the error at the line
/// marked `# <-`.
const AWS_REFUSALS: &[(&str, &str, &str)] = &[
    (
        "secret_without_execution_role",
        r#"family = "x"
  container {
    name   = "a"
    image  = "nginx"
    memory = 128
    secret { # <-
      name       = "DB_PASSWORD"
      value_from = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-AbCdEf"
    }
  }"#,
        "Container secrets need execution_role_arn",
    ),
    (
        "fargate_without_awsvpc",
        r#"family                   = "x"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "host" # <-
  cpu                      = 256
  memory                   = 512
  container {
    name  = "a"
    image = "nginx"
  }"#,
        "Fargate needs awsvpc network mode",
    ),
    (
        "fargate_cpu_256_memory_4096",
        r#"family                   = "x"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 4096 # <-
  container {
    name  = "a"
    image = "nginx"
  }"#,
        "Fargate has no task size of 256 CPU units with 4096 MiB",
    ),
    (
        "container_memory_over_task_memory",
        r#"family = "x"
  memory = 512 # <-
  container {
    name   = "a"
    image  = "nginx"
    memory = 300
  }
  container {
    name               = "b"
    image              = "nginx"
    memory_reservation = 300
  }"#,
        "The containers need 600 MiB, more than the task's 512 MiB",
    ),
];

#[test]
fn invalid_configurations_fail_validate_first_half() {
    assert!(INVALID.len() >= 20);
    run_invalid_cases("td_invalid_1", &INVALID[..INVALID.len() / 2]);
}

#[test]
fn invalid_configurations_fail_validate_second_half() {
    run_invalid_cases("td_invalid_2", &INVALID[INVALID.len() / 2..]);
}

/// A secret without an execution role, Fargate without awsvpc, a task size Fargate does not offer,
/// and containers needing more memory than the task has: each fails `terraform validate` at its
/// line, with no AWS call.
#[test]
fn aws_refusals_fail_validate() {
    run_invalid_cases("td_aws_refusals", AWS_REFUSALS);
}

/// Values unknown to `terraform validate` are checked once known: at plan (a variable) and at
/// apply (another resource's attribute), before anything is registered.
#[test]
fn values_are_checked_once_known() {
    let ws = TfWorkspace::new("td_checked_once_known");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let main = config(
        &ep,
        r#"variable "image" {
  type = string
}
resource "awsecs_cluster" "c" {
  name = "later"
}
resource "awsecs_task_definition" "from_var" {
  family = "from-var"
  container {
    name   = "a"
    image  = var.image # <-
    memory = 128
  }
}
"#,
    );
    let line = main.lines().position(|l| l.contains("# <-")).expect("marked line") + 1;
    ws.write_config(&main);
    let out = ws.run(&["validate"]);
    assert!(out.success(), "an unknown image cannot be judged by validate: {}", out.describe());
    let out = ws.run(&["plan", "-var", "image=WordPress:latest"]);
    assert!(!out.success(), "the plan must reject the known bad image: {}", out.describe());
    let text = flat(&out.combined());
    assert!(text.contains("lowercase") && text.contains(&format!("on main.tf line {line},")), "{}", out.describe());

    // Known only during apply: the cluster's status ("ACTIVE") is uppercase.
    ws.write_config(&main.replace("var.image # <-", "\"${lower(awsecs_cluster.c.name)}/${awsecs_cluster.c.status}\""));
    let out = ws.run(&["apply", "-auto-approve", "-var", "image=wordpress"]);
    assert!(!out.success(), "apply must reject the image once it is known: {}", out.describe());
    assert!(flat(&out.combined()).contains("later/ACTIVE"), "{}", out.describe());
    let listed = aws.block_on(aws.ecs.list_task_definitions().send()).unwrap_or_else(|e| panic!("ListTaskDefinitions: {}", err_text(&e)));
    assert!(listed.task_definition_arns().is_empty(), "nothing may be registered: {:?}", listed.task_definition_arns());
}

/// examples/task_definition applies against moto (endpoint from AWS_ENDPOINT_URL, as `make demo`
/// does), plans clean, and destroys.
#[test]
fn example_applies() {
    let mut ws = TfWorkspace::new("td_example");
    let moto = Moto::start(ws.path());
    let aws = Aws::new(&moto.endpoint());
    let example = crate::harness::repo_root().join("examples").join("task_definition").join("main.tf");
    ws.write_config(&std::fs::read_to_string(&example).unwrap_or_else(|e| panic!("cannot read {}: {e}", example.display())));
    ws.set_env("AWS_ENDPOINT_URL", &moto.endpoint());
    ws.set_env("AWS_MAX_ATTEMPTS", "2");
    ws.apply();
    let v = ws.resource("awsecs_task_definition.wordpress");
    assert_eq!(str_of(&v, "arn"), td_arn("wordpress", 1));
    assert_eq!(v["tags_all"], json!({"app": "wordpress", "managed-by": "terraform"}));
    let (td, _) = describe(&aws, &td_arn("wordpress", 1));
    assert_eq!(td.container_definitions()[0].secrets()[0].name(), "WORDPRESS_DB_PASSWORD");
    ws.destroy();
    assert_eq!(status(&aws, &td_arn("wordpress", 1)), "INACTIVE");
}
