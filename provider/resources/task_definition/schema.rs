//! The schema of `awsecs_task_definition`: its blocks, attributes and descriptions, and the
//! attribute validators (each checks one known value).

use crate::framework::validate::{int_between, one_of};
use crate::resources::names::ecs_name;
use crate::resources::tags;
use crate::tf::{Attribute, Block, NestedBlock, Schema, Type, Value};

const NETWORK_MODES: &[&str] = &["bridge", "host", "awsvpc", "none"];
const PROTOCOLS: &[&str] = &["tcp", "udp"];
const LOG_DRIVERS: &[&str] = &["awslogs", "awsfirelens", "fluentd", "gelf", "journald", "json-file", "logentries", "splunk", "syslog"];
const COMPATIBILITIES: &[&str] = &["EC2", "FARGATE", "EXTERNAL"];
const CONDITIONS: &[&str] = &["START", "COMPLETE", "SUCCESS", "HEALTHY"];
const ULIMITS: &[&str] = &[
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];
const ENABLED_DISABLED: &[&str] = &["ENABLED", "DISABLED"];
const CPU_ARCHITECTURES: &[&str] = &["X86_64", "ARM64"];
const OS_FAMILIES: &[&str] = &[
    "LINUX",
    "WINDOWS_SERVER_2019_FULL",
    "WINDOWS_SERVER_2019_CORE",
    "WINDOWS_SERVER_2022_FULL",
    "WINDOWS_SERVER_2022_CORE",
    "WINDOWS_SERVER_2025_FULL",
    "WINDOWS_SERVER_2025_CORE",
    "WINDOWS_SERVER_2016_FULL",
    "WINDOWS_SERVER_2004_CORE",
    "WINDOWS_SERVER_20H2_CORE",
];

pub(super) fn schema() -> Schema {
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
            .attr(Attribute::optional("pid_mode", Type::String).force_new().validate(one_of(&["host", "task"])).describe("Process namespace of the containers: `host` (the instance's) or `task` (shared by the task's containers). Left out: each container has its own. Not on Fargate with `host`."))
            .attr(Attribute::optional("ipc_mode", Type::String).force_new().validate(one_of(&["host", "task", "none"])).describe("IPC namespace of the containers: `host`, `task` (shared within the task) or `none`. Left out: Docker's default (private per container). Not on Fargate."))
            .attr(Attribute::optional("skip_destroy", Type::Bool).default(false).describe("Keep the revision registered when it is destroyed or replaced (default false)."))
            .attr(tags::tags_attribute())
            .attr(tags::tags_all_attribute())
            .block(NestedBlock::list("container", container_block()).min_items(1).force_new())
            .block(NestedBlock::set("volume", volume_block()).force_new())
            .block(NestedBlock::single("runtime_platform", runtime_platform_block()).force_new())
            .block(NestedBlock::single("ephemeral_storage", ephemeral_storage_block()).force_new())
            .block(NestedBlock::list("placement_constraint", placement_constraint_block()).max_items(10).force_new()),
    )
}

// ---------------------------------------------------------------------------------------------
// Nested blocks
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
        .attr(
            Attribute::required("container_path", Type::String)
                .validate(absolute_path)
                .describe("Where the volume appears inside the container (an absolute path)."),
        )
        .attr(Attribute::optional("read_only", Type::Bool).default(false).describe("Mount read-only (default false)."));
    let secret = secret_block("An environment variable whose value ECS fetches from Secrets Manager or SSM Parameter Store when the container starts (needs `execution_role_arn` with read access).");
    let volumes_from = Block::new("Mount all volumes of another container of this task.")
        .attr(Attribute::required("source_container", Type::String).describe("Name of another `container` of this task."))
        .attr(Attribute::optional("read_only", Type::Bool).default(false).describe("Mount read-only (default false)."));
    let log_configuration = Block::new("Where the container's output goes.")
        .attr(
            Attribute::required("log_driver", Type::String)
                .validate(one_of(LOG_DRIVERS))
                .describe(format!("One of: {}.", LOG_DRIVERS.join(", "))),
        )
        .attr(
            Attribute::optional("options", Type::map(Type::String))
                .describe("Driver options, e.g. `awslogs-group`, `awslogs-region`, `awslogs-stream-prefix` for awslogs."),
        )
        .block(NestedBlock::list(
            "secret_option",
            secret_block("A log driver option whose value ECS fetches from Secrets Manager or SSM Parameter Store (e.g. a Splunk token)."),
        ));

    Block::new("A container of the task.")
        .attr(
            Attribute::required("name", Type::String)
                .validate(ecs_name(255))
                .describe("Container name: 1-255 letters, digits, `-`, `_`; unique in the task."),
        )
        .attr(Attribute::required("image", Type::String).validate(|v| check_image(v.as_str().unwrap_or(""))).describe(
            "Image reference `repository-url/image:tag`; without a registry the image comes from Docker Hub (e.g. `wordpress:latest`).",
        ))
        .attr(
            Attribute::optional("memory", Type::Number)
                .validate(at_least_6_mib)
                .describe("Hard memory limit in MiB: the container is killed when it goes above it (at least 6)."),
        )
        .attr(
            Attribute::optional("memory_reservation", Type::Number)
                .validate(at_least_6_mib)
                .describe("Soft memory limit in MiB: what placement reserves for the container (at least 6, at most `memory`)."),
        )
        .attr(
            Attribute::optional("cpu", Type::Number)
                .default(0)
                .validate(int_between(0, 10240))
                .describe("CPU units (1024 = one core), 0-10240. Default 0: a share of what is left."),
        )
        .attr(
            Attribute::optional("essential", Type::Bool).default(true).describe(
                "If an essential container stops, the whole task stops (default true). At least one container must be essential.",
            ),
        )
        .attr(Attribute::optional("entry_point", Type::list(Type::String)).describe("Replaces the image's ENTRYPOINT."))
        .attr(Attribute::optional("command", Type::list(Type::String)).describe("Replaces the image's CMD."))
        .attr(
            Attribute::optional("environment", Type::map(Type::String))
                .describe("Environment variables (plain text; use `secret` blocks for passwords)."),
        )
        .attr(
            Attribute::optional("links", Type::list(Type::String))
                .describe("Other containers of the task this one reaches by name: `name` or `name:alias` (bridge mode only)."),
        )
        .attr(Attribute::optional("working_directory", Type::String).describe("Working directory of the command."))
        .attr(Attribute::optional("hostname", Type::String).describe("Hostname inside the container (not in awsvpc mode)."))
        .attr(Attribute::optional("docker_labels", Type::map(Type::String)).describe("Docker labels of the container."))
        .block(NestedBlock::list("port_mapping", port_mapping))
        .block(NestedBlock::list("mount_point", mount_point))
        .block(NestedBlock::list("secret", secret))
        .block(NestedBlock::list("volumes_from", volumes_from))
        .attr(Attribute::optional("stop_timeout", Type::Number).validate(int_between(2, 120)).describe("Seconds Docker waits after SIGTERM before it kills the container, 2-120. Left out: the agent's `ECS_CONTAINER_STOP_TIMEOUT` (30 s)."))
        .attr(Attribute::optional("start_timeout", Type::Number).validate(int_between(2, 600)).describe("Seconds ECS waits for the `depends_on` conditions of this container before giving up on it, 2-600."))
        .attr(Attribute::optional("user", Type::String).validate(non_empty).describe("User (and group) the command runs as: `user`, `user:group`, `uid`, `uid:gid`, `user:gid` or `uid:group`."))
        .attr(Attribute::optional("readonly_root_filesystem", Type::Bool).describe("Mount the container's root filesystem read-only (it writes only to volumes and `tmpfs`)."))
        .attr(Attribute::optional("privileged", Type::Bool).describe("Give the container root privileges on the host (not on Fargate)."))
        .block(NestedBlock::single("health_check", health_check_block()))
        .block(NestedBlock::list("depends_on", depends_on_block()))
        .block(NestedBlock::single("linux_parameters", linux_parameters_block()))
        .block(NestedBlock::list("ulimit", ulimit_block()))
        .block(NestedBlock::single("repository_credentials", repository_credentials_block()))
        .block(NestedBlock::list("environment_file", environment_file_block()).max_items(10))
        .block(NestedBlock::single("log_configuration", log_configuration))
}

fn secret_block(what: &'static str) -> Block {
    Block::new(what)
        .attr(Attribute::required("name", Type::String).validate(non_empty).describe("Name of the environment variable (or log option)."))
        .attr(Attribute::required("value_from", Type::String).validate(|v| check_value_from(v.as_str().unwrap_or(""))).describe(
            "ARN of a Secrets Manager secret (`arn:aws:secretsmanager:...:secret:NAME`) or of an SSM parameter (`arn:aws:ssm:...:parameter/NAME`), or the name of an SSM parameter in the same region.",
        ))
}

fn health_check_block() -> Block {
    Block::new("A command Docker runs inside the container to tell whether it is healthy. A service counts a task with a health check as healthy only once it is HEALTHY, and replaces it when it turns UNHEALTHY.")
        .attr(Attribute::required("command", Type::list(Type::String)).validate(health_check_command).describe(
            "`[\"CMD\", \"executable\", \"arg\"...]` (run directly) or `[\"CMD-SHELL\", \"command line\"]` (run by the container's shell), e.g. `[\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"]`. Exit code 0 is healthy.",
        ))
        .attr(Attribute::optional("interval", Type::Number).default(30).validate(int_between(5, 300)).describe("Seconds between checks, 5-300 (default 30)."))
        .attr(Attribute::optional("timeout", Type::Number).default(5).validate(int_between(2, 60)).describe("Seconds a check may take before it counts as failed, 2-60 (default 5)."))
        .attr(Attribute::optional("retries", Type::Number).default(3).validate(int_between(1, 10)).describe("Failed checks in a row that make the container UNHEALTHY, 1-10 (default 3)."))
        .attr(Attribute::optional("start_period", Type::Number).validate(int_between(0, 300)).describe("Seconds after start in which failed checks do not count, 0-300 (a passing check ends it early). Left out: none."))
}

fn depends_on_block() -> Block {
    Block::new("Another container of the task that must reach a condition before this one starts.")
        .attr(Attribute::required("container_name", Type::String).describe("Name of another `container` of this task."))
        .attr(Attribute::required("condition", Type::String).validate(one_of(CONDITIONS)).describe(
            "`START` (it has started), `COMPLETE` (it has exited), `SUCCESS` (it has exited with code 0) or `HEALTHY` (its `health_check` passed). `COMPLETE` and `SUCCESS` need a container that is not essential.",
        ))
}

fn linux_parameters_block() -> Block {
    let capabilities = Block::new("Linux capabilities added to or dropped from Docker's default set.")
        .attr(
            Attribute::optional("add", Type::list(Type::String))
                .validate(capability_names)
                .describe("Capabilities to add, e.g. `[\"SYS_PTRACE\"]` (not on Fargate, except `SYS_PTRACE`)."),
        )
        .attr(
            Attribute::optional("drop", Type::list(Type::String))
                .validate(capability_names)
                .describe("Capabilities to drop, e.g. `[\"NET_RAW\"]`, or `[\"ALL\"]`."),
        );
    let tmpfs = Block::new("A tmpfs mount (memory-backed; not on Fargate).")
        .attr(
            Attribute::required("container_path", Type::String)
                .validate(absolute_path)
                .describe("Where it is mounted in the container (absolute)."),
        )
        .attr(Attribute::required("size", Type::Number).validate(int_between(1, i32::MAX as i64)).describe("Size in MiB."))
        .attr(Attribute::optional("mount_options", Type::list(Type::String)).describe("Mount options, e.g. `[\"noexec\", \"nosuid\"]`."));
    Block::new("Linux-specific settings of the container.")
        .attr(Attribute::optional("init_process_enabled", Type::Bool).describe(
            "Run an init process as PID 1 that forwards signals and reaps zombie processes (needed for ECS Exec sessions to end cleanly).",
        ))
        .attr(
            Attribute::optional("shared_memory_size", Type::Number)
                .validate(int_between(1, i32::MAX as i64))
                .describe("Size of `/dev/shm` in MiB (not on Fargate)."),
        )
        .block(NestedBlock::single("capabilities", capabilities))
        .block(NestedBlock::list("tmpfs", tmpfs))
}

fn ulimit_block() -> Block {
    Block::new("A resource limit of the container's processes (Docker `--ulimit`).")
        .attr(Attribute::required("name", Type::String).validate(one_of(ULIMITS)).describe(format!("One of: {}.", ULIMITS.join(", "))))
        .attr(
            Attribute::required("soft_limit", Type::Number)
                .validate(int_between(0, i32::MAX as i64))
                .describe("Soft limit (at most `hard_limit`)."),
        )
        .attr(Attribute::required("hard_limit", Type::Number).validate(int_between(0, i32::MAX as i64)).describe("Hard limit."))
}

fn repository_credentials_block() -> Block {
    Block::new("Credentials for a private registry (or Docker Hub, whose anonymous pulls are rate-limited). ECS reads them with the task execution role.")
        .attr(Attribute::required("credentials_parameter", Type::String).validate(secrets_manager_arn).describe(
            "ARN of a Secrets Manager secret holding `{\"username\": ..., \"password\": ...}`. The `execution_role_arn` needs `secretsmanager:GetSecretValue` on it.",
        ))
}

fn environment_file_block() -> Block {
    Block::new(
        "A `.env` file in S3 whose `NAME=value` lines become environment variables (at most 10 files; the execution role reads them).",
    )
    .attr(
        Attribute::required("value", Type::String)
            .validate(s3_env_file)
            .describe("ARN of the S3 object, `arn:aws:s3:::BUCKET/PATH/FILE.env`."),
    )
    .attr(Attribute::optional("type", Type::String).default("s3").validate(one_of(&["s3"])).describe("`s3` (the only type; default)."))
}

fn runtime_platform_block() -> Block {
    Block::new("The processor architecture and operating system the task needs: placement then uses only container instances that match (e.g. ARM64 for Graviton).")
        .attr(Attribute::optional("cpu_architecture", Type::String).validate(one_of(CPU_ARCHITECTURES)).describe("`X86_64` or `ARM64`."))
        .attr(Attribute::optional("operating_system_family", Type::String).validate(one_of(OS_FAMILIES)).describe("`LINUX`, or a `WINDOWS_SERVER_...` family."))
}

fn ephemeral_storage_block() -> Block {
    Block::new("Task storage on Fargate beyond the default 20 GiB (Fargate only).")
        .attr(Attribute::required("size_in_gib", Type::Number).validate(int_between(21, 200)).describe("Total storage in GiB, 21-200."))
}

fn placement_constraint_block() -> Block {
    Block::new("A rule container instances must meet to run tasks of this definition (at most 10; not on Fargate).")
        .attr(
            Attribute::required("type", Type::String)
                .validate(one_of(&["memberOf"]))
                .describe("`memberOf` (the only type in a task definition)."),
        )
        .attr(
            Attribute::required("expression", Type::String)
                .validate(non_empty)
                .describe("Cluster query language expression, e.g. `attribute:ecs.instance-type =~ t4g.*`."),
        )
}

fn efs_volume_block() -> Block {
    let authorization = Block::new("How the task is authorized on the file system.")
        .attr(Attribute::optional("access_point_id", Type::String).validate(access_point_id).describe("EFS access point (`fsap-...`): fixes the user and the directory the task sees. Needs `transit_encryption = \"ENABLED\"`."))
        .attr(Attribute::optional("iam", Type::String).validate(one_of(ENABLED_DISABLED)).describe("`ENABLED`: mount with the task role, so the file system policy applies. Needs `transit_encryption = \"ENABLED\"`. Left out: `DISABLED`."));
    Block::new("An Amazon EFS file system mounted as this volume: data shared by every task that mounts it, on any instance, surviving them all.")
        .attr(Attribute::required("file_system_id", Type::String).validate(file_system_id).describe("The file system (`fs-...`)."))
        .attr(Attribute::optional("root_directory", Type::String).validate(absolute_path).describe("Directory of the file system mounted as the volume's root. Left out: `/`. With an access point: left out or `/` (the access point's directory is used)."))
        .attr(Attribute::optional("transit_encryption", Type::String).validate(one_of(ENABLED_DISABLED)).describe("`ENABLED`: encrypt NFS traffic with TLS (required with an access point or IAM). Left out: `DISABLED`."))
        .attr(Attribute::optional("transit_encryption_port", Type::Number).validate(int_between(1, 65535)).describe("Port of the TLS tunnel on the instance. Left out: the EFS mount helper picks one. Only with `transit_encryption = \"ENABLED\"`."))
        .block(NestedBlock::single("authorization_config", authorization))
}

fn volume_block() -> Block {
    Block::new("A volume that containers mount with `mount_point`.")
        .attr(Attribute::required("name", Type::String).validate(ecs_name(255)).describe("Volume name, referenced by `mount_point.source_volume`."))
        .attr(Attribute::optional("host_path", Type::String).validate(absolute_path).describe(
            "Directory on the container instance. Data there survives the container and the task, but stays on that instance. Left out (and no `efs_volume_configuration`): Docker picks a path, and the data is lost when no container uses the volume any more.",
        ))
        .block(NestedBlock::single("efs_volume_configuration", efs_volume_block()))
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

fn health_check_command(v: &Value) -> Result<(), String> {
    let items = v.to_string_list();
    match items.first().map(String::as_str) {
        Some("CMD" | "CMD-SHELL") if items.len() > 1 && items[1..].iter().all(|s| !s.trim().is_empty()) => Ok(()),
        Some("NONE") if items.len() == 1 => Ok(()),
        Some("CMD" | "CMD-SHELL") => Err("The command after \"CMD\" or \"CMD-SHELL\" is missing or empty: give the command, e.g. [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"].".into()),
        _ if v.as_list().is_none() => Ok(()),
        _ => Err("A health check command starts with \"CMD\" (run the executable directly) or \"CMD-SHELL\" (run the line with the container's shell), e.g. [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"].".into()),
    }
}

fn capability_names(v: &Value) -> Result<(), String> {
    for c in v.to_string_list() {
        let ok = !c.is_empty() && c.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_' || ch.is_ascii_digit());
        if !ok || c.starts_with("CAP_") {
            return Err(format!("{c:?} is not a capability name as ECS takes them: uppercase without the CAP_ prefix, e.g. \"SYS_PTRACE\", \"NET_ADMIN\" or \"ALL\"."));
        }
    }
    Ok(())
}

fn secrets_manager_arn(v: &Value) -> Result<(), String> {
    let s = v.as_str().unwrap_or("");
    let parts: Vec<&str> = s.splitn(7, ':').collect();
    if parts.len() >= 7 && parts[0] == "arn" && parts[2] == "secretsmanager" && parts[5] == "secret" && !parts[6].is_empty() {
        Ok(())
    } else {
        Err("Registry credentials come from a Secrets Manager secret: give its ARN, arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME (e.g. `aws_secretsmanager_secret.dockerhub.arn`).".into())
    }
}

fn s3_env_file(v: &Value) -> Result<(), String> {
    let s = v.as_str().unwrap_or("");
    match s.strip_prefix("arn:aws:s3:::").or_else(|| s.strip_prefix("arn:aws-cn:s3:::")).or_else(|| s.strip_prefix("arn:aws-us-gov:s3:::"))
    {
        Some(rest) if rest.contains('/') && s.ends_with(".env") => Ok(()),
        Some(_) => Err(format!(
            "{s:?} does not name a .env object: ECS takes files whose name ends in \".env\", as arn:aws:s3:::BUCKET/PATH/FILE.env."
        )),
        None => Err(format!("{s:?} is not an S3 object ARN: write it as arn:aws:s3:::BUCKET/PATH/FILE.env.")),
    }
}

fn file_system_id(v: &Value) -> Result<(), String> {
    let s = v.as_str().unwrap_or("");
    let hex = s.strip_prefix("fs-").unwrap_or("");
    if (8..=40).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an EFS file system id (fs- and hexadecimal digits, e.g. \"fs-0123456789abcdef0\"; `aws_efs_file_system.x.id`)."
        ))
    }
}

fn access_point_id(v: &Value) -> Result<(), String> {
    let s = v.as_str().unwrap_or("");
    let hex = s.strip_prefix("fsap-").unwrap_or("");
    if (8..=40).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(format!("{s:?} is not an EFS access point id (fsap- and hexadecimal digits, e.g. \"fsap-0123456789abcdef0\"; `aws_efs_access_point.x.id`)."))
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
        Some(n) if n < 6 => {
            Err(format!("{n} MiB is too little: Docker needs at least 6 MiB for a container. Use 6 or more (WordPress wants about 512)."))
        }
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
        // The value is not repeated: a mistake here may be a pasted credential.
        return Err("This ARN is neither a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME) nor an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME).".to_string());
    }
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c)) {
        return Ok(());
    }
    Err("This value is not a secret reference (it is not repeated here, in case it is the secret itself). Give the ARN of a Secrets Manager secret or SSM parameter (e.g. `aws_secretsmanager_secret.db.arn`), or the name of an SSM parameter in the same region.".to_string())
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
        let valid =
            d.split_once(':').is_some_and(|(algo, hex)| !algo.is_empty() && !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()));
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
            return Err(format!(
                "The tag {t:?} of {s:?} is not valid: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'."
            ));
        }
    }
    for comp in repo.split('/') {
        if comp.is_empty() {
            return Err(format!("{s:?} has an empty path component (\"//\" or a leading or trailing \"/\"). {example}"));
        }
        if comp.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(format!(
                "The repository name {repo:?} in {s:?} has uppercase letters; repository names are lowercase: {:?}.",
                repo.to_lowercase()
            ));
        }
        if let Some(c) = comp.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(*c))) {
            return Err(format!(
                "The repository name {repo:?} in {s:?} contains {c:?}; only lowercase letters, digits, '.', '_' and '-' are allowed."
            ));
        }
        let first = comp.chars().next().unwrap_or('a');
        let last = comp.chars().last().unwrap_or('a');
        if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
            return Err(format!("The repository path component {comp:?} of {s:?} must start and end with a letter or digit."));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_rules() {
        for ok in [
            "wordpress",
            "wordpress:latest",
            "library/wordpress:6.4-php8.2",
            "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/wp:1.0",
            "localhost:5000/wp",
            "MyRegistry.example.com/wp:v1",
            "wp@sha256:abcdef0123",
        ] {
            assert!(check_image(ok).is_ok(), "{ok}: {:?}", check_image(ok));
        }
        for bad in [
            "",
            "word press",
            "WordPress:latest",
            "wordpress:",
            "wp@",
            "wp@sha256:",
            "a//b",
            "/wp",
            "wp:bad tag",
            "wp:-x",
            "reg.io/Team/wp",
        ] {
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
        let pasted = check_value_from("my password").unwrap_err();
        assert!(!pasted.contains("my password"), "a rejected value_from is never echoed: {pasted}");
        assert!(check_value_from("").is_err());
    }
}
