//! The schema of `awsecs_container_instance`: its attributes and descriptions, and the attribute
//! validators (each checks one known value).

use super::metadata::{BLOCK as METADATA_BLOCK, DEFAULT_HOP_LIMIT, HTTP_ENDPOINT, HTTP_TOKENS};
use crate::framework::timeouts::timeouts_block;
use crate::framework::validate::{int_between, one_of};
use crate::resources::cluster::{cluster_name, same_cluster};
use crate::resources::names::ecs_name;
use crate::resources::tags;
use crate::tf::{Attribute, Block, NestedBlock, Schema, Type, Value};

pub(super) fn schema() -> Schema {
    let computed = |name: &'static str, ty: Type, what: &str| Attribute::computed(name, ty).describe(what.to_string());
    Schema::new(
        0,
        Block::new("An EC2 instance that joins an ECS cluster (through `ECS_CLUSTER` in its user data), in the subnet you pick. It is created when ECS lists it ACTIVE with its agent connected; destroying it drains it, deregisters it and terminates the instance.\n\nImport with the container instance ARN or the EC2 instance id: `terraform import awsecs_container_instance.node i-0abc...`.")
            .attr(computed("id", Type::String, "The container instance ARN (the EC2 instance id while the instance has not registered yet)."))
            .attr(
                Attribute::required("cluster", Type::String)
                    .force_new()
                    .equivalent_when(same_cluster)
                    .validate(|v| check_cluster(v.as_str().unwrap_or("")))
                    .describe("Name or ARN of the ECS cluster to join. Changing it creates a new instance."),
            )
            .attr(
                Attribute::required("instance_type", Type::String)
                    .force_new()
                    .validate(|v| check_instance_type(v.as_str().unwrap_or("")))
                    .describe("EC2 instance type, such as `t3.small`. Changing it creates a new instance."),
            )
            .attr(
                Attribute::optional_computed("ami_id", Type::String)
                    .force_new()
                    .describe("Image to launch. Left out: the ECS-optimized Amazon Linux 2023 image AWS recommends (its public SSM parameter) for the instance type's architecture, arm64 for Graviton types (`a1`, `t4g`, `m7g`, `c7gn`, ...) and x86_64 otherwise. It is looked up when the instance is created, so the plan shows it as known after apply, and a saved plan still applies when AWS publishes a newer image before the apply. An existing instance keeps its image: a newer one comes only with a new instance."),
            )
            .attr(Attribute::optional_computed("subnet_id", Type::String).force_new().describe("Subnet to launch in; it decides the VPC. Left out: a default subnet of the default VPC."))
            .attr(
                Attribute::optional_computed("security_group_ids", Type::set(Type::String))
                    .force_new()
                    .describe("Security groups, all in the subnet's VPC (checked before launch). Left out: the VPC's default group."),
            )
            .attr(Attribute::optional("key_name", Type::String).force_new().describe("EC2 key pair for SSH."))
            .attr(
                Attribute::optional("iam_instance_profile", Type::String)
                    .force_new()
                    .describe("Name or ARN of the instance profile; its role needs the ECS agent's permissions (AmazonEC2ContainerServiceforEC2Role)."),
            )
            .attr(
                Attribute::optional_computed("associate_public_ip_address", Type::Bool)
                    .force_new()
                    .describe("Whether the instance gets a public IP. Left out: the subnet's setting."),
            )
            .attr(
                Attribute::optional_computed("root_volume_size", Type::Number)
                    .force_new()
                    .validate(int_between(1, 16384))
                    .describe("Size of the root volume in GiB. Left out: the image's size."),
            )
            .attr(
                Attribute::optional_computed("root_volume_encrypted", Type::Bool)
                    .force_new()
                    .describe("Whether the root volume is encrypted. EC2 cannot encrypt or decrypt a volume in place: changing it creates a new instance. Left out: a new instance gets an encrypted root volume, and an existing one keeps what it has (read back from EC2), so an instance created by an earlier version of this provider plans no replacement. `false` is refused where the account has EBS encryption by default on (EC2 would encrypt the volume anyway)."),
            )
            .attr(
                Attribute::optional_computed("root_volume_kms_key_id", Type::String)
                    .force_new()
                    .equivalent_when(|a, b| a.as_str().zip(b.as_str()).is_some_and(|(a, b)| same_kms_key(a, b)))
                    .validate(|v| check_kms_key(v.as_str().unwrap_or("")))
                    .describe("KMS key that encrypts the root volume: its ARN or its key id (not an alias: EC2 reports the key, which an alias cannot be matched with). Left out: the account's default EBS key (`aws/ebs` unless changed), read back as its ARN. Changing it creates a new instance."),
            )
            .attr(
                Attribute::optional("user_data_extra", Type::String)
                    .force_new()
                    .validate(|v| check_user_data_extra(v.as_str().unwrap_or("")))
                    .describe("Shell lines appended to the user data after the lines that join the cluster. Must not set `ECS_CLUSTER`."),
            )
            .attr(
                Attribute::optional("draining", Type::Bool)
                    .default(false)
                    .describe("`true` sets the container instance to DRAINING (no new tasks are placed on it; service tasks move away); `false` sets it back to ACTIVE."),
            )
            .attr(tags::tags_attribute().describe("Tags of the EC2 instance. Provider `default_tags` are added to them (see `tags_all`)."))
            .attr(tags::tags_all_attribute())
            .attr(computed("instance_id", Type::String, "The EC2 instance id."))
            .attr(computed("container_instance_arn", Type::String, "The container instance ARN."))
            .attr(computed("vpc_id", Type::String, "The VPC the instance is in."))
            .attr(computed("availability_zone", Type::String, "The instance's availability zone."))
            .attr(computed("private_ip", Type::String, "Private IPv4 address."))
            .attr(computed("public_ip", Type::String, "Public IPv4 address, if any."))
            .attr(computed("status", Type::String, "Container instance status: `ACTIVE`, `DRAINING`, `INACTIVE`, ...").volatile())
            .attr(computed("agent_connected", Type::Bool, "Whether the ECS agent on the instance is connected (false while the instance is stopped)."))
            .attr(computed("instance_state", Type::String, "EC2 state: `running`, `stopped`, ..."))
            .attr(computed("registered_cpu", Type::Number, "CPU units the instance offers to tasks (1024 per vCPU)."))
            .attr(computed("registered_memory", Type::Number, "Memory (MiB) the instance offers to tasks."))
            .attr(computed("remaining_cpu", Type::Number, "CPU units not reserved by running tasks, as of the last refresh.").volatile())
            .attr(computed("remaining_memory", Type::Number, "Memory (MiB) not reserved by running tasks, as of the last refresh.").volatile())
            .attr(computed("running_tasks_count", Type::Number, "Tasks running on the instance, as of the last refresh.").volatile())
            .block(metadata_options_block())
            .block(timeouts_block(&["create", "delete"])),
    )
}

pub(crate) fn metadata_options_block() -> NestedBlock {
    NestedBlock::single(
        METADATA_BLOCK,
        Block::new("The instance metadata service (IMDS). Left out: a new instance gets `http_tokens = \"required\"` (IMDSv2 only), `http_put_response_hop_limit = 2` and `http_endpoint = \"enabled\"`, and an existing instance is left as it is (one created by an earlier version of this provider plans no change). Written: every setting is managed and changes in place, settings left out of the block take those defaults, and EC2's values are read back; removing the block leaves the instance's settings as they are. Import leaves the block out.")
            .attr(
                Attribute::optional("http_tokens", Type::String)
                    .default("required")
                    .validate(one_of(HTTP_TOKENS))
                    .describe("`required` (the default): IMDSv2 only, with session tokens; `optional`: IMDSv1 too."),
            )
            .attr(
                Attribute::optional("http_put_response_hop_limit", Type::Number)
                    .default(i64::from(DEFAULT_HOP_LIMIT))
                    .validate(int_between(1, 64))
                    .describe("How many network hops the IMDSv2 token may travel, 1-64. The default 2 lets containers in `bridge` network mode (one hop behind the instance) reach the service; 1 keeps it to the instance itself."),
            )
            .attr(
                Attribute::optional("http_endpoint", Type::String)
                    .default("enabled")
                    .validate(one_of(HTTP_ENDPOINT))
                    .describe("`enabled` (the default) or `disabled`. With the service disabled, the ECS agent cannot read the instance's identity and role credentials: a new instance does not join the cluster."),
            ),
    )
    .max_items(1)
}

/// Whether two spellings name the same KMS key: equal, or a key id and an ARN ending in that id.
/// (Two ARNs must be equal: a multi-Region key has one id in several Regions.)
pub(super) fn same_kms_key(a: &str, b: &str) -> bool {
    let key_id = |k: &str| k.rsplit_once(":key/").map_or(k, |(_, id)| id).to_string();
    let both_arns = a.starts_with("arn:") && b.starts_with("arn:");
    a == b || (!both_arns && key_id(a) == key_id(b))
}

/// A key ARN (`arn:aws:kms:REGION:ACCOUNT:key/ID`) or a key id; not an alias, which EC2 never reports.
pub(crate) fn check_kms_key(s: &str) -> Result<(), String> {
    if s.starts_with("alias/") || s.contains(":alias/") {
        return Err(format!(
            "{s:?} is an alias. EC2 reports the key itself, never the alias, so the plan could not match what EC2 says: give the key's ARN or id (`aws kms describe-key --key-id {s}` shows both)."
        ));
    }
    let well_formed = if s.starts_with("arn:") {
        s.split(':').nth(2) == Some("kms") && s.contains(":key/") && !s.ends_with(":key/")
    } else {
        !s.is_empty() && !s.contains(':')
    };
    if !well_formed || s.chars().any(char::is_whitespace) {
        return Err(format!("{s:?} is not a KMS key: give its ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) or its key id."));
    }
    Ok(())
}

/// `family.size`: letters and digits with a dot, such as `t3.micro`, `m5.xlarge` or `u-6tb1.metal`.
pub(crate) fn check_instance_type(s: &str) -> Result<(), String> {
    let ok = s.split_once('.').is_some_and(|(family, size)| {
        !family.is_empty()
            && !size.is_empty()
            && family.starts_with(|c: char| c.is_ascii_lowercase())
            && family.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && size.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    });
    if ok {
        Ok(())
    } else {
        Err(format!("{s:?} is not an EC2 instance type: write the family and the size joined by a dot, in lower case, such as \"t3.micro\" or \"m5.large\"."))
    }
}

pub(crate) fn check_cluster(s: &str) -> Result<(), String> {
    if s.starts_with("arn:") {
        let ok = s.split(':').nth(2) == Some("ecs") && s.contains(":cluster/") && !cluster_name(s).is_empty();
        if ok {
            return Ok(());
        }
        return Err(format!(
            "{s:?} is not an ECS cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME). Give the cluster name or its ARN."
        ));
    }
    ecs_name(255)(&Value::string(s))
}

pub(crate) fn check_user_data_extra(s: &str) -> Result<(), String> {
    match s.lines().find(|l| l.contains("ECS_CLUSTER")) {
        Some(line) => Err(format!(
            "The line {:?} sets ECS_CLUSTER, which this resource writes itself from `cluster`. Remove it and set `cluster` instead.",
            line.trim()
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_types() {
        for ok in ["t2.micro", "m5.xlarge", "c6gn.16xlarge", "u-6tb1.metal"] {
            assert!(check_instance_type(ok).is_ok(), "{ok}");
        }
        for bad in ["t2micro", "T2.micro", "t2.", ".micro", "t2.micro.x", "2t.micro", ""] {
            let e = check_instance_type(bad).err().unwrap_or_else(|| panic!("{bad:?} accepted"));
            assert!(e.contains("t3.micro"), "{e}");
        }
    }

    #[test]
    fn user_data_extra_must_not_set_the_cluster() {
        assert!(check_user_data_extra("yum install -y htop\necho ECS_ENABLE_TASK_IAM_ROLE=true >> /etc/ecs/ecs.config").is_ok());
        let e = check_user_data_extra("echo ECS_CLUSTER=other >> /etc/ecs/ecs.config").unwrap_err();
        assert!(e.contains("ECS_CLUSTER=other") && e.contains("`cluster`"), "{e}");
    }

    #[test]
    fn kms_keys_by_arn_or_id_never_by_alias() {
        let arn = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert!(check_kms_key(arn).is_ok());
        assert!(check_kms_key("1234abcd-12ab-34cd-56ef-1234567890ab").is_ok());
        assert!(check_kms_key("mrk-1234abcd12ab34cd56ef1234567890ab").is_ok());
        let e = check_kms_key("alias/aws/ebs").unwrap_err();
        assert!(e.contains("alias") && e.contains("describe-key"), "{e}");
        assert!(check_kms_key("arn:aws:kms:ap-northeast-1:123456789012:alias/web").is_err());
        for bad in ["", "arn:aws:s3:::bucket", "arn:aws:kms:ap-northeast-1:123456789012:key/", "a b", "kms:key"] {
            assert!(check_kms_key(bad).is_err(), "{bad:?} accepted");
        }

        assert!(same_kms_key(arn, "1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert!(same_kms_key("1234abcd-12ab-34cd-56ef-1234567890ab", arn));
        assert!(same_kms_key(arn, arn));
        assert!(!same_kms_key(arn, "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert!(!same_kms_key(arn, "other-key"));
    }

    #[test]
    fn a_key_arn_for_its_id_is_an_update_not_a_replacement() {
        let s = schema();
        let same = s.block.attribute("root_volume_kms_key_id").and_then(|a| a.equivalent).expect("an equivalence");
        let arn = Value::string("arn:aws:kms:ap-northeast-1:123456789012:key/k-1");
        assert!(same(&Value::string("k-1"), &arn));
        assert!(!same(&Value::Null, &arn), "a key where there was none is a new volume");
    }

    #[test]
    fn new_attributes_have_no_default_that_would_change_old_instances() {
        let s = schema();
        for name in ["root_volume_encrypted", "root_volume_kms_key_id"] {
            let a = s.block.attribute(name).unwrap();
            assert!(a.is_computed() && a.default.is_none() && a.force_new, "{name}");
        }
        let block = s.block.blocks.iter().find(|b| b.name == METADATA_BLOCK).expect("metadata_options");
        assert_eq!(block.block.attribute("http_put_response_hop_limit").and_then(|a| a.default.clone()), Some(Value::int(2)));
        assert_eq!(block.block.attribute("http_tokens").and_then(|a| a.default.clone()), Some(Value::string("required")));
    }

    #[test]
    fn cluster_names_and_arns() {
        assert_eq!(cluster_name("arn:aws:ecs:ap-northeast-1:123456789012:cluster/wp"), "wp");
        assert_eq!(cluster_name("wp"), "wp");
        assert!(check_cluster("arn:aws:ecs:ap-northeast-1:123456789012:cluster/wp").is_ok());
        assert!(check_cluster("arn:aws:ec2:ap-northeast-1:123456789012:instance/i-1").is_err());
        assert!(check_cluster("bad name").is_err());
    }
}
