//! `awsecs_task_definition`'s production settings (issue 14): an EFS volume with an access point,
//! container health checks, `depends_on`, timeouts, `linux_parameters`, ulimits, user, read-only
//! root, registry credentials, environment files and log secret options, and the task-level
//! runtime platform, pid and ipc modes and placement constraints. Each is checked in AWS, plans
//! clean, imports clean, changes by a new revision, and is refused at validate when AWS would
//! refuse it.

use serde_json::{json, Value};

use crate::harness::aws::err_text;
use crate::harness::{assert_no_changes, provider_block, Aws, Moto, TfWorkspace, ACCOUNT_ID, REGION};
use crate::task_definition::run_invalid_cases;

const ADDR: &str = "awsecs_task_definition.wp";

fn production(retries: u32) -> String {
    format!(
        r#"
resource "awsecs_task_definition" "wp" {{
  family             = "wordpress-prod"
  execution_role_arn = "arn:aws:iam::{ACCOUNT_ID}:role/ecsTaskExecutionRole"
  pid_mode           = "task"
  ipc_mode           = "task"
  runtime_platform {{
    cpu_architecture        = "ARM64"
    operating_system_family = "LINUX"
  }}
  placement_constraint {{
    type       = "memberOf"
    expression = "attribute:ecs.cpu-architecture == arm64"
  }}
  volume {{
    name = "wp-html"
    efs_volume_configuration {{
      file_system_id     = "fs-0123456789abcdef0"
      transit_encryption = "ENABLED"
      authorization_config {{
        access_point_id = "fsap-0123456789abcdef0"
        iam             = "ENABLED"
      }}
    }}
  }}
  container {{
    name      = "init"
    image     = "busybox:1.36"
    memory    = 32
    essential = false
    command   = ["sh", "-c", "chown -R 33:33 /var/www/html"]
    mount_point {{
      source_volume  = "wp-html"
      container_path = "/var/www/html"
    }}
  }}
  container {{
    name                     = "wordpress"
    image                    = "wordpress:6"
    memory                   = 512
    user                     = "33:33"
    readonly_root_filesystem = false
    stop_timeout             = 30
    start_timeout            = 120
    port_mapping {{
      container_port = 80
    }}
    mount_point {{
      source_volume  = "wp-html"
      container_path = "/var/www/html"
    }}
    health_check {{
      command      = ["CMD-SHELL", "curl -f http://localhost/wp-login.php || exit 1"]
      retries      = {retries}
      start_period = 60
    }}
    depends_on {{
      container_name = "init"
      condition      = "SUCCESS"
    }}
    linux_parameters {{
      init_process_enabled = true
      capabilities {{
        drop = ["NET_RAW"]
      }}
      tmpfs {{
        container_path = "/tmp"
        size           = 64
      }}
    }}
    ulimit {{
      name       = "nofile"
      soft_limit = 4096
      hard_limit = 8192
    }}
    repository_credentials {{
      credentials_parameter = "arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:dockerhub-AbCdEf"
    }}
    environment_file {{
      value = "arn:aws:s3:::wp-config/prod/wordpress.env"
    }}
    log_configuration {{
      log_driver = "awslogs"
      options = {{
        awslogs-group         = "/ecs/wordpress"
        awslogs-region        = "{REGION}"
        awslogs-stream-prefix = "wp"
      }}
      secret_option {{
        name       = "awslogs-credentials"
        value_from = "arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter/wp/log-token"
      }}
    }}
  }}
}}
"#
    )
}

/// Everything applies and reads back as written (in state and in AWS), plans clean, imports clean;
/// a changed health check registers a new revision.
#[test]
fn production_settings_round_trip() {
    let ws = TfWorkspace::new("td_production");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let config = |retries| format!("{}\n{}", provider_block(&ep), production(retries));

    ws.write_config(&config(3));
    ws.apply();
    let v = ws.resource(ADDR);
    let arn = v["arn"].as_str().expect("arn").to_string();
    let out = aws
        .block_on(aws.ecs.describe_task_definition().task_definition(&arn).send())
        .unwrap_or_else(|e| panic!("DescribeTaskDefinition: {}", err_text(&e)));
    let td = out.task_definition().expect("a task definition");
    assert_eq!(td.pid_mode().map(|m| m.as_str()), Some("task"));
    assert_eq!(td.ipc_mode().map(|m| m.as_str()), Some("task"));
    assert_eq!(td.runtime_platform().and_then(|r| r.cpu_architecture()).map(|c| c.as_str()), Some("ARM64"));
    assert_eq!(td.placement_constraints()[0].expression(), Some("attribute:ecs.cpu-architecture == arm64"));
    let efs = td.volumes()[0].efs_volume_configuration().expect("an EFS volume");
    assert_eq!(efs.file_system_id(), "fs-0123456789abcdef0");
    assert_eq!(efs.transit_encryption().map(|t| t.as_str()), Some("ENABLED"));
    assert_eq!(efs.authorization_config().and_then(|a| a.access_point_id()), Some("fsap-0123456789abcdef0"));
    let wp = td.container_definitions().iter().find(|c| c.name() == Some("wordpress")).expect("the wordpress container");
    let hc = wp.health_check().expect("a health check");
    assert_eq!(hc.command(), ["CMD-SHELL", "curl -f http://localhost/wp-login.php || exit 1"]);
    assert_eq!(
        (hc.interval(), hc.timeout(), hc.retries(), hc.start_period()),
        (Some(30), Some(5), Some(3), Some(60)),
        "AWS's defaults sent"
    );
    assert_eq!(wp.depends_on()[0].container_name(), "init");
    assert_eq!(wp.depends_on()[0].condition().as_str(), "SUCCESS");
    assert_eq!((wp.stop_timeout(), wp.start_timeout(), wp.user()), (Some(30), Some(120), Some("33:33")));
    let lp = wp.linux_parameters().expect("linux parameters");
    assert_eq!(lp.init_process_enabled(), Some(true));
    assert_eq!(lp.capabilities().map(|c| c.drop().to_vec()), Some(vec!["NET_RAW".to_string()]));
    assert_eq!(lp.tmpfs()[0].size(), 64);
    assert_eq!((wp.ulimits()[0].soft_limit(), wp.ulimits()[0].hard_limit()), (4096, 8192));
    assert!(wp.repository_credentials().is_some_and(|r| r.credentials_parameter().contains("dockerhub")));
    assert_eq!(wp.environment_files()[0].value(), "arn:aws:s3:::wp-config/prod/wordpress.env");
    assert_eq!(wp.log_configuration().map(|l| l.secret_options().len()), Some(1));
    // State: as configured, with AWS's defaults where the configuration left them out.
    let c = &v["container"][1];
    assert_eq!(c["health_check"]["interval"], json!(30));
    assert_eq!(c["readonly_root_filesystem"], json!(false), "a configured false stays false");
    assert_eq!(c["privileged"], Value::Null, "left out stays unset");
    assert_eq!(v["container"][0]["health_check"], Value::Null);
    assert_no_changes(&ws);

    // Import by ARN: the same state, so the plan is empty.
    ws.state_rm(ADDR);
    ws.import(ADDR, &arn);
    assert_no_changes(&ws);

    // A changed health check is a new revision (a replacement), and the old one is deregistered.
    ws.write_config(&config(5));
    let actions = ws.plan_actions();
    assert_eq!(actions.len(), 1);
    assert!(actions[0].1.contains(&"create".to_string()) && actions[0].1.contains(&"delete".to_string()), "{actions:?}");
    ws.apply();
    let v2 = ws.resource(ADDR);
    assert_eq!(v2["revision"], json!(2));
    assert_eq!(v2["container"][1]["health_check"]["retries"], json!(5));
    assert_no_changes(&ws);
    ws.destroy();
}

fn container_with(lines: &str) -> String {
    format!(
        r#"family = "x"
  container {{
    name   = "a"
    image  = "nginx"
    memory = 128
{lines}
  }}"#
    )
}

/// What AWS would refuse (or what could never start), refused by `terraform validate`, at the
/// attribute it comes from.
#[test]
fn production_settings_are_checked_at_validate() {
    let health_0 = container_with("    health_check {\n      command = [\"curl -f http://localhost/\"] # <-\n    }");
    let health_range = container_with("    health_check {\n      command  = [\"CMD\", \"true\"]\n      interval = 2 # <-\n    }");
    let healthy_without_check = format!(
        "{}\n  container {{\n    name   = \"b\"\n    image  = \"nginx\"\n    memory = 128\n    depends_on {{\n      container_name = \"a\"\n      condition      = \"HEALTHY\" # <-\n    }}\n  }}",
        container_with("")
    );
    let success_on_essential = format!(
        "{}\n  container {{\n    name   = \"b\"\n    image  = \"nginx\"\n    memory = 128\n    depends_on {{\n      container_name = \"a\"\n      condition      = \"SUCCESS\" # <-\n    }}\n  }}",
        container_with("")
    );
    let unknown_dependency =
        container_with("    depends_on {\n      container_name = \"db\" # <-\n      condition      = \"START\"\n    }");
    let ulimit =
        container_with("    ulimit {\n      name       = \"nofile\"\n      soft_limit = 9000 # <-\n      hard_limit = 1024\n    }");
    let credentials_without_role =
        container_with("    repository_credentials { # <-\n      credentials_parameter = \"arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:hub\"\n    }");
    let credentials_in_ssm = format!(
        "execution_role_arn = \"arn:aws:iam::123456789012:role/x\"\n  {}",
        container_with("    repository_credentials {\n      credentials_parameter = \"arn:aws:ssm:ap-northeast-1:123456789012:parameter/hub\" # <-\n    }")
    );
    let env_file = format!(
        "execution_role_arn = \"arn:aws:iam::123456789012:role/x\"\n  {}",
        container_with("    environment_file {\n      value = \"arn:aws:s3:::bucket/wordpress.txt\" # <-\n    }")
    );
    let efs_access_point_without_tls = format!(
        "{}\n  volume {{\n    name = \"v\"\n    efs_volume_configuration {{\n      file_system_id = \"fs-0123456789abcdef0\"\n      authorization_config {{\n        access_point_id = \"fsap-0123456789abcdef0\"\n      }}\n    }}\n  }}",
        container_with("")
    );
    let efs_and_host_path = format!(
        "{}\n  volume {{\n    name      = \"v\"\n    host_path = \"/data\"\n    efs_volume_configuration {{\n      file_system_id = \"fs-0123456789abcdef0\"\n    }}\n  }}",
        container_with("")
    );
    let efs_bad_id = format!(
        "{}\n  volume {{\n    name = \"v\"\n    efs_volume_configuration {{\n      file_system_id = \"wordpress-files\" # <-\n    }}\n  }}",
        container_with("")
    );
    let ephemeral_on_ec2 = format!("{}\n  ephemeral_storage {{\n    size_in_gib = 30 # <-\n  }}", container_with(""));
    let ipc_on_fargate = r#"family                   = "x"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  ipc_mode                 = "task" # <-
  container {
    name  = "a"
    image = "nginx"
  }"#;
    let cases: Vec<(&str, &str, &str)> = vec![
        ("health_check_without_cmd", &health_0, "starts with \"CMD\""),
        ("health_check_interval", &health_range, "between 5 and 300"),
        ("healthy_without_health_check", &healthy_without_check, "has no health check to become HEALTHY"),
        ("success_on_essential", &success_on_essential, "condition SUCCESS needs a container that is not essential"),
        ("unknown_dependency", &unknown_dependency, "No container is named \"db\""),
        ("ulimit_soft_above_hard", &ulimit, "soft_limit 9000 is above hard_limit 1024"),
        ("credentials_without_role", &credentials_without_role, "repository_credentials needs execution_role_arn"),
        ("credentials_in_ssm", &credentials_in_ssm, "Registry credentials come from a Secrets Manager secret"),
        ("environment_file_not_env", &env_file, "does not name a .env object"),
        ("efs_access_point_without_tls", &efs_access_point_without_tls, "without transit encryption"),
        ("efs_and_host_path", &efs_and_host_path, "has both host_path and efs_volume_configuration"),
        ("efs_bad_id", &efs_bad_id, "is not an EFS file system id"),
        ("ephemeral_storage_on_ec2", &ephemeral_on_ec2, "ephemeral_storage is for Fargate"),
        ("ipc_mode_on_fargate", ipc_on_fargate, "Fargate does not support ipc_mode"),
    ];
    run_invalid_cases("td_production_invalid", &cases);
}
