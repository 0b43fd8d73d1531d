//! The schema of `awsecs_capacity_provider` and its checks (attribute validators, and the checks
//! across arguments that need no AWS call).

use crate::framework::timeouts::timeouts_block;
use crate::framework::validate::int_between;
use crate::resources::cluster::same_cluster;
use crate::resources::container_instance::launch::architecture;
use crate::resources::container_instance::schema::{
    check_cluster, check_instance_type, check_kms_key, check_user_data_extra, metadata_options_block,
};
use crate::resources::container_instance::validate::check_volume_and_metadata;
use crate::resources::names::ecs_name;
use crate::resources::tags;
use crate::tf::{AttrPath, Attribute, Block, Diagnostics, NestedBlock, Schema, Type, Value};

pub(super) fn schema() -> Schema {
    let computed = |name: &'static str, ty: Type, what: &str| Attribute::computed(name, ty).describe(what.to_string());
    let template = "Changing it makes a new launch template version: instances launched from then on use it, running ones keep theirs until they are replaced.";
    Schema::new(
        0,
        Block::new("Capacity that heals and scales: an EC2 Auto Scaling group of container instances in the subnets you pick (so in the VPC you pick), behind an ECS capacity provider associated with the cluster. A terminated instance is replaced by the group; with `managed_scaling`, ECS sets the group's size from what the tasks need.\n\nBehind it: a launch template (the image, instance type, security groups, profile, user data that joins the cluster), the Auto Scaling group, the capacity provider, and its place among the cluster's capacity providers (merged with the others, never overwriting them). Create waits until `desired_capacity` (or `min_size`) instances are ACTIVE in the cluster with their agent connected. Destroy goes in the order that does not hang: the provider leaves the cluster, the instances are drained and the group scaled to zero, then the group, the capacity provider and the launch template are deleted.\n\nImport with the capacity provider name: `terraform import awsecs_capacity_provider.web wordpress-web`.")
            .attr(computed("id", Type::String, "The capacity provider ARN."))
            .attr(computed("arn", Type::String, "The capacity provider ARN."))
            .attr(
                Attribute::required("cluster", Type::String)
                    .force_new()
                    .equivalent_when(same_cluster)
                    .validate(|v| check_cluster(v.as_str().unwrap_or("")))
                    .describe("Name or ARN of the ECS cluster the instances join and the capacity provider serves. Changing it creates a new capacity provider."),
            )
            .attr(
                Attribute::required("name", Type::String)
                    .force_new()
                    .validate(|v| check_name(v.as_str().unwrap_or("")))
                    .describe("Capacity provider name: 1-255 letters, digits, hyphens and underscores, not starting with `aws`, `ecs` or `fargate`. The launch template and the Auto Scaling group are named `awsecs-CLUSTER-NAME`. Changing it creates a new capacity provider."),
            )
            .attr(Attribute::required("instance_type", Type::String).validate(|v| check_instance_type(v.as_str().unwrap_or(""))).describe(format!("EC2 instance type, such as `t3.small`. {template}")))
            .attr(
                Attribute::optional("mixed_instance_types", Type::list(Type::String))
                    .validate(|v| {
                        for t in v.as_list().unwrap_or(&[]) {
                            if let Some(t) = t.as_str() {
                                check_instance_type(t)?;
                            }
                        }
                        Ok(())
                    })
                    .describe("More instance types the group may launch besides `instance_type` (a mixed instances policy: on-demand, `instance_type` first, then these in order), all of its architecture: one image serves them all. Changes in place."),
            )
            .attr(Attribute::optional_computed("ami_id", Type::String).describe(format!("Image to launch. Left out: the ECS-optimized Amazon Linux 2023 image AWS recommends, at create time, for the instance type's architecture (arm64 for Graviton types). {template}")))
            .attr(
                Attribute::required("subnet_ids", Type::set(Type::String))
                    .validate(non_empty_set)
                    .describe("Subnets the group launches instances in, all in one VPC (checked at plan): the VPC the instances, and so the tasks, are in. Changes in place."),
            )
            .attr(Attribute::optional("security_group_ids", Type::set(Type::String)).describe(format!("Security groups of the instances, in the subnets' VPC (checked at plan). Left out: the VPC's default group. {template}")))
            .attr(Attribute::optional("iam_instance_profile", Type::String).describe(format!("Name or ARN of the instance profile; its role needs the ECS agent's permissions (AmazonEC2ContainerServiceforEC2Role). {template}")))
            .attr(Attribute::optional("key_name", Type::String).describe(format!("EC2 key pair for SSH. {template}")))
            .attr(Attribute::optional("root_volume_size", Type::Number).validate(int_between(1, 16384)).describe(format!("Size of the root volume in GiB. Left out: the image's size. {template}")))
            .attr(Attribute::optional("root_volume_encrypted", Type::Bool).default(true).describe(format!("Whether the root volumes are encrypted (default true). {template}")))
            .attr(Attribute::optional("root_volume_kms_key_id", Type::String).validate(|v| check_kms_key(v.as_str().unwrap_or(""))).describe(format!("KMS key (ARN or key id) that encrypts the root volumes. Left out: the account's default EBS key. {template}")))
            .attr(Attribute::optional("user_data_extra", Type::String).validate(|v| check_user_data_extra(v.as_str().unwrap_or(""))).describe(format!("Shell lines appended to the user data after the lines that join the cluster. Must not set `ECS_CLUSTER`. {template}")))
            .attr(Attribute::required("min_size", Type::Number).validate(int_between(0, 10_000)).describe("Fewest instances the group keeps. Changes in place."))
            .attr(Attribute::required("max_size", Type::Number).validate(int_between(0, 10_000)).describe("Most instances the group may run (and managed scaling may ask for). Changes in place."))
            .attr(Attribute::optional("desired_capacity", Type::Number).validate(int_between(0, 10_000)).describe("Instances to run now, between `min_size` and `max_size`. Left out: `min_size` at create, and then whatever managed scaling (or a person) sets: it is not managed, so it never shows as a change. Changes in place."))
            .attr(Attribute::optional("managed_termination_protection", Type::Bool).default(false).describe("ECS keeps the group from terminating instances that run tasks (the group's instances are launched protected from scale-in). Needs `managed_scaling`. Default false."))
            .attr(Attribute::optional("instance_refresh", Type::Bool).default(false).describe("When an update makes a new launch template version, also replace the running instances with ones launched from it (an Auto Scaling instance refresh, which keeps 90% of the group healthy), and wait until it is done and the new instances are ACTIVE in the cluster. Default false: running instances keep their version until the group replaces them."))
            .attr(Attribute::optional("managed_draining", Type::Bool).default(true).describe("ECS drains an instance the group is about to terminate, so its tasks move first. Default true."))
            .attr(tags::tags_attribute().describe("Tags of the capacity provider and the Auto Scaling group, which passes them to the instances it launches. Provider `default_tags` are added (see `tags_all`)."))
            .attr(tags::tags_all_attribute())
            .attr(computed("vpc_id", Type::String, "The VPC of the subnets (for `awsecs_rds_link.vpc_id`: the database must be in it)."))
            .attr(computed("launch_template_id", Type::String, "The launch template's id."))
            .attr(computed("launch_template_version", Type::Number, "The launch template version the group launches."))
            .attr(computed("auto_scaling_group_name", Type::String, "The Auto Scaling group's name."))
            .attr(computed("auto_scaling_group_arn", Type::String, "The Auto Scaling group's ARN."))
            .attr(computed("instance_ids", Type::list(Type::String), "EC2 instances of the group, as of the last refresh.").volatile())
            .attr(computed("container_instance_arns", Type::list(Type::String), "Container instances of those in the cluster, as of the last refresh.").volatile())
            .attr(computed("registered_count", Type::Number, "How many of the group's instances are ACTIVE in the cluster, as of the last refresh.").volatile())
            .block(
                NestedBlock::single(
                    "managed_scaling",
                    Block::new("ECS scales the group from what the cluster's tasks need (a target tracking policy on the group). Left out: the group keeps its size.")
                        .attr(Attribute::optional("target_capacity", Type::Number).default(100).validate(int_between(1, 100)).describe("How full the instances should be, in percent, 1-100 (default 100: no spare capacity)."))
                        .attr(Attribute::optional("minimum_scaling_step_size", Type::Number).default(1).validate(int_between(1, 10_000)).describe("Fewest instances one scale-out adds (default 1)."))
                        .attr(Attribute::optional("maximum_scaling_step_size", Type::Number).default(10_000).validate(int_between(1, 10_000)).describe("Most instances one scale-out adds (default 10000).")),
                )
                .max_items(1),
            )
            .block(
                NestedBlock::single(
                    "default_strategy",
                    Block::new("Adds the capacity provider to the cluster's default capacity provider strategy: services and tasks that name neither a launch type nor a strategy run on it.")
                        .attr(Attribute::optional("weight", Type::Number).default(1).validate(int_between(0, 1000)).describe("Relative share of tasks, 0-1000 (default 1)."))
                        .attr(Attribute::optional("base", Type::Number).default(0).validate(int_between(0, 100_000)).describe("Tasks placed on this provider before the weights apply, 0-100000 (default 0).")),
                )
                .max_items(1),
            )
            .block(metadata_options_block())
            .block(timeouts_block(&["create", "update", "delete"])),
    )
}

fn non_empty_set(v: &Value) -> Result<(), String> {
    match v.as_list() {
        Some([]) => Err("Give at least one subnet.".into()),
        _ => Ok(()),
    }
}

/// A capacity provider name as AWS takes it (CreateCapacityProvider).
pub(super) fn check_name(s: &str) -> Result<(), String> {
    ecs_name(255)(&Value::string(s))?;
    let lower = s.to_ascii_lowercase();
    match ["aws", "ecs", "fargate"].iter().find(|p| lower.starts_with(*p)) {
        Some(p) => {
            Err(format!("{s:?} starts with {p:?}: ECS keeps names starting with `aws`, `ecs` and `fargate` for itself. Pick another name."))
        }
        None => Ok(()),
    }
}

/// The checks across arguments: sizes in order, protection only with managed scaling, a KMS key
/// only with encryption.
pub(super) fn validate(config: &Value, diags: &mut Diagnostics) {
    let (min, max, desired) = (config.get("min_size").as_i64(), config.get("max_size").as_i64(), config.get("desired_capacity").as_i64());
    if let (Some(min), Some(max)) = (min, max) {
        if min > max {
            diags.error_at(
                AttrPath::root("min_size"),
                "min_size is above max_size",
                format!("The group cannot keep {min} instances and run at most {max}. Lower `min_size` or raise `max_size`."),
            );
        }
    }
    if let Some(d) = desired {
        if min.is_some_and(|m| d < m) || max.is_some_and(|m| d > m) {
            diags.error_at(
                AttrPath::root("desired_capacity"),
                "desired_capacity is outside min_size..max_size",
                format!(
                    "Auto Scaling refuses a desired capacity of {d} outside {}..{}.",
                    min.map_or("?".into(), |m| m.to_string()),
                    max.map_or("?".into(), |m| m.to_string())
                ),
            );
        }
    }
    if config.get("managed_termination_protection").as_bool() == Some(true)
        && config.get("managed_scaling").is_null()
        && !config.get("managed_scaling").is_unknown()
    {
        diags.warning_at(
            AttrPath::root("managed_termination_protection"),
            "Managed termination protection needs managed scaling",
            "ECS protects instances from scale-in only for a capacity provider whose managed scaling is on: without it the instances are launched protected, and nothing takes the protection off again but this provider's destroy. Add a `managed_scaling` block, or set `managed_termination_protection = false`.",
        );
    }
    if let (Some(first), Some(more)) = (config.get("instance_type").as_str(), config.get("mixed_instance_types").as_list()) {
        let arch = architecture(first);
        for (i, t) in more.iter().enumerate() {
            let Some(t) = t.as_str() else { continue };
            let p = AttrPath::root("mixed_instance_types").index(i);
            if architecture(t) != arch {
                diags.error_at(p, format!("{t} is not an {arch} instance type like {first}"), format!("The group launches every type from one image, built for {first}'s architecture ({arch}); {t} is {}. Use types of one architecture (Graviton types with a Graviton `instance_type`).", architecture(t)));
            } else if t == first || more[..i].iter().any(|o| o.as_str() == Some(t)) {
                diags.error_at(p, format!("{t} is named twice"), "Name each instance type once (`instance_type` counts).");
            }
        }
    }
    check_volume_and_metadata(config, diags);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_ecs_keeps_for_itself_are_refused() {
        assert!(check_name("wordpress-web").is_ok());
        for bad in ["aws-web", "ECS_web", "fargate1", "", "a b"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    fn check(pairs: &[(&'static str, Value)]) -> Diagnostics {
        let mut d = Diagnostics::new();
        validate(&Value::object(pairs.iter().cloned()), &mut d);
        d
    }

    #[test]
    fn sizes_must_be_in_order_at_their_paths() {
        let d = check(&[("min_size", Value::int(3)), ("max_size", Value::int(2))]);
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "min_size");
        let d = check(&[("min_size", Value::int(1)), ("max_size", Value::int(2)), ("desired_capacity", Value::int(5))]);
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "desired_capacity");
        assert!(check(&[("min_size", Value::int(1)), ("max_size", Value::int(2)), ("desired_capacity", Value::int(2))]).is_empty());
        assert!(check(&[("min_size", Value::Unknown), ("max_size", Value::int(2)), ("desired_capacity", Value::int(2))]).is_empty());
    }

    #[test]
    fn mixed_types_share_the_architecture_and_appear_once() {
        let list = |items: &[&str]| Value::List(items.iter().map(|t| Value::string(*t)).collect());
        assert!(check(&[("instance_type", "t3.small".into()), ("mixed_instance_types", list(&["t3a.small", "m5.large"]))]).is_empty());
        let d = check(&[("instance_type", "t3.small".into()), ("mixed_instance_types", list(&["t4g.small"]))]);
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "mixed_instance_types[0]");
        assert!(d.0[0].summary.contains("x86_64"), "{:?}", d.0[0]);
        let d = check(&[("instance_type", "t3.small".into()), ("mixed_instance_types", list(&["t3a.small", "t3.small"]))]);
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "mixed_instance_types[1]");
    }

    #[test]
    fn protection_needs_managed_scaling() {
        let d = check(&[("managed_termination_protection", true.into())]);
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "managed_termination_protection");
        assert!(!d.has_errors(), "AWS accepts it (it does nothing): a warning");
        assert!(check(&[
            ("managed_termination_protection", true.into()),
            ("managed_scaling", Value::object([("target_capacity", Value::int(100))]))
        ])
        .is_empty());
        assert!(check(&[("managed_termination_protection", true.into()), ("managed_scaling", Value::Unknown)]).is_empty());
    }
}
