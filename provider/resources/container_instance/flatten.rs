//! EC2 and ECS answers -> state value. AWS does not report some arguments back the way they were
//! written (user data extra, profile, public IP choice, volume size): those come from the prior value.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Instance, InstanceStateName};
use aws_sdk_ecs::types::ContainerInstance;

use crate::aws::tags as aws_tags;
use crate::resources::tags;
use crate::tf::Value;

fn resource_value(ci: &ContainerInstance, list: fn(&ContainerInstance) -> &[aws_sdk_ecs::types::Resource], name: &str) -> Value {
    Value::opt_int(list(ci).iter().find(|r| r.name() == Some(name)).map(|r| r.integer_value() as i64))
}

fn security_groups(i: &Instance) -> Vec<String> {
    let mut ids: Vec<String> = i.security_groups().iter().filter_map(|g| g.group_id().map(str::to_string)).collect();
    if ids.is_empty() {
        // Groups given through a network interface show there only (in moto, at least).
        ids = i.network_interfaces().iter().flat_map(|n| n.groups()).filter_map(|g| g.group_id().map(str::to_string)).collect();
    }
    ids.sort();
    ids.dedup();
    ids
}

pub(super) fn instance_state(i: &Instance) -> Option<&InstanceStateName> {
    i.state().and_then(|s| s.name())
}

/// The resource value from what EC2 and ECS say. `prior` supplies the arguments AWS does not report
/// back the way they were written (user data extra, profile, public IP choice, volume size) and the
/// split between configured and default tags.
pub(super) fn to_state(prior: &Value, i: &Instance, ci: Option<&ContainerInstance>, default_tags: &BTreeMap<String, String>) -> Value {
    let (tags, tags_all) = tags::split(&aws_tags::from_ec2(i.tags()), default_tags, prior.get("tags"));
    let instance_id = i.instance_id().unwrap_or_default().to_string();
    let ci_arn = ci.and_then(|c| c.container_instance_arn()).map(str::to_string);
    let keep = |k: &str| prior.get(k).clone();
    let or_prior = |k: &str, v: Option<String>| v.map(Value::String).unwrap_or_else(|| keep(k));
    let associate = match keep("associate_public_ip_address") {
        Value::Bool(b) => Value::Bool(b),
        _ => Value::Bool(i.public_ip_address().is_some()),
    };
    Value::object([
        ("id", Value::String(ci_arn.clone().unwrap_or_else(|| instance_id.clone()))),
        ("cluster", keep("cluster")),
        ("instance_type", or_prior("instance_type", i.instance_type().map(|t| t.as_str().to_string()))),
        ("ami_id", or_prior("ami_id", i.image_id().map(str::to_string))),
        ("subnet_id", or_prior("subnet_id", i.subnet_id().map(str::to_string))),
        ("security_group_ids", Value::Set(security_groups(i).into_iter().map(Value::String).collect())),
        ("key_name", or_prior("key_name", i.key_name().map(str::to_string))),
        ("iam_instance_profile", keep("iam_instance_profile")),
        ("associate_public_ip_address", associate),
        ("root_volume_size", keep("root_volume_size")),
        ("user_data_extra", keep("user_data_extra")),
        ("draining", Value::Bool(ci.and_then(|c| c.status()) == Some("DRAINING"))),
        ("tags", tags),
        ("tags_all", tags_all),
        ("instance_id", Value::String(instance_id)),
        ("container_instance_arn", Value::opt_string(ci_arn)),
        ("vpc_id", Value::opt_string(i.vpc_id())),
        ("availability_zone", Value::opt_string(i.placement().and_then(|p| p.availability_zone()))),
        ("private_ip", Value::opt_string(i.private_ip_address())),
        ("public_ip", Value::opt_string(i.public_ip_address())),
        ("status", Value::opt_string(ci.and_then(|c| c.status()))),
        ("agent_connected", Value::Bool(ci.is_some_and(|c| c.agent_connected()))),
        ("instance_state", Value::opt_string(instance_state(i).map(|s| s.as_str()))),
        ("registered_cpu", ci.map(|c| resource_value(c, ContainerInstance::registered_resources, "CPU")).unwrap_or(Value::Null)),
        ("registered_memory", ci.map(|c| resource_value(c, ContainerInstance::registered_resources, "MEMORY")).unwrap_or(Value::Null)),
        ("remaining_cpu", ci.map(|c| resource_value(c, ContainerInstance::remaining_resources, "CPU")).unwrap_or(Value::Null)),
        ("remaining_memory", ci.map(|c| resource_value(c, ContainerInstance::remaining_resources, "MEMORY")).unwrap_or(Value::Null)),
        ("running_tasks_count", ci.map(|c| Value::int(c.running_tasks_count() as i64)).unwrap_or(Value::Null)),
    ])
}

/// What exists right after RunInstances: enough for Terraform to track (and later terminate) it.
pub(super) fn partial_state(planned: &Value, instance_id: &str) -> Value {
    let mut v = planned.clone();
    v.set("id", instance_id.into());
    v.set("instance_id", instance_id.into());
    v
}
