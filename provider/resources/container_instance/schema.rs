//! The schema of `awsecs_container_instance`: its attributes and descriptions, and the attribute
//! validators (each checks one known value).

use crate::framework::timeouts::timeouts_block;
use crate::framework::validate::int_between;
use crate::resources::cluster::{cluster_name, same_cluster};
use crate::resources::names::ecs_name;
use crate::resources::tags;
use crate::tf::{Attribute, Block, Schema, Type, Value};

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
                    .describe("Image to launch. Left out: the newest ECS-optimized Amazon Linux 2 x86_64 image, chosen by the date in its name, looked up when the instance is planned (and kept afterwards)."),
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
            .block(timeouts_block(&["create", "delete"])),
    )
}

/// `family.size`: letters and digits with a dot, such as `t3.micro`, `m5.xlarge` or `u-6tb1.metal`.
fn check_instance_type(s: &str) -> Result<(), String> {
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

fn check_cluster(s: &str) -> Result<(), String> {
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

fn check_user_data_extra(s: &str) -> Result<(), String> {
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
    fn cluster_names_and_arns() {
        assert_eq!(cluster_name("arn:aws:ecs:ap-northeast-1:123456789012:cluster/wp"), "wp");
        assert_eq!(cluster_name("wp"), "wp");
        assert!(check_cluster("arn:aws:ecs:ap-northeast-1:123456789012:cluster/wp").is_ok());
        assert!(check_cluster("arn:aws:ec2:ap-northeast-1:123456789012:instance/i-1").is_err());
        assert!(check_cluster("bad name").is_err());
    }
}
