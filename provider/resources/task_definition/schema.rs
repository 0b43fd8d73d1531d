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
            .attr(Attribute::optional("skip_destroy", Type::Bool).default(false).describe("Keep the revision registered when it is destroyed or replaced (default false)."))
            .attr(tags::tags_attribute())
            .attr(tags::tags_all_attribute())
            .block(NestedBlock::list("container", container_block()).min_items(1).force_new())
            .block(NestedBlock::set("volume", volume_block()).force_new()),
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
    let secret = Block::new("An environment variable whose value ECS fetches from Secrets Manager or SSM Parameter Store when the container starts (needs `execution_role_arn` with read access).")
        .attr(Attribute::required("name", Type::String).validate(non_empty).describe("Name of the environment variable."))
        .attr(Attribute::required("value_from", Type::String).validate(|v| check_value_from(v.as_str().unwrap_or(""))).describe(
            "ARN of a Secrets Manager secret (`arn:aws:secretsmanager:...:secret:NAME`) or of an SSM parameter (`arn:aws:ssm:...:parameter/NAME`), or the name of an SSM parameter in the same region.",
        ));
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
        );

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
