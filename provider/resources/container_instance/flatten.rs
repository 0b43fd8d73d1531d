//! EC2 and ECS answers -> state value. AWS does not report some arguments back the way they were
//! written (user data extra, profile, public IP choice, volume size): those come from the prior value.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Instance, InstanceStateName, Volume};
use aws_sdk_ecs::types::ContainerInstance;

use super::metadata;
use super::schema::same_kms_key;
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

/// The root volume's size: the prior value when it is known (a size is kept as written), else the
/// volume's.
fn root_volume_size(prior: &Value, volume: Option<&Volume>) -> Value {
    match prior {
        Value::Number(_) => prior.clone(),
        _ => Value::opt_int(volume.and_then(|v| v.size()).map(i64::from)),
    }
}

/// The root volume's KMS key as EC2 reports it (its ARN), or the prior spelling of the same key (a
/// key id); null for an unencrypted volume. Without the volume, the prior value stays.
fn root_volume_kms_key(prior: &Value, volume: Option<&Volume>) -> Value {
    let Some(v) = volume else { return prior.clone() };
    match (v.kms_key_id(), prior.as_str()) {
        (Some(arn), Some(p)) if same_kms_key(p, arn) => prior.clone(),
        (arn, _) => Value::opt_string(arn),
    }
}

/// The resource value from what EC2 and ECS say. `prior` supplies the arguments AWS does not report
/// back the way they were written (user data extra, profile, public IP choice, volume size), the
/// split between configured and default tags, and whether `metadata_options` is managed. `volume`
/// is the root volume (its encryption is always EC2's word: it cannot change in place).
pub(super) fn to_state(
    prior: &Value,
    i: &Instance,
    ci: Option<&ContainerInstance>,
    volume: Option<&Volume>,
    default_tags: &BTreeMap<String, String>,
) -> Value {
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
        ("root_volume_size", root_volume_size(prior.get("root_volume_size"), volume)),
        ("root_volume_encrypted", volume.and_then(|v| v.encrypted()).map(Value::Bool).unwrap_or_else(|| keep("root_volume_encrypted"))),
        ("root_volume_kms_key_id", root_volume_kms_key(prior.get("root_volume_kms_key_id"), volume)),
        (metadata::BLOCK, metadata::flatten(prior.get(metadata::BLOCK), i)),
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

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:kms:ap-northeast-1:123456789012:key/k-1";

    fn volume(size: i32, encrypted: bool, key: Option<&str>) -> Volume {
        Volume::builder().volume_id("vol-1").size(size).encrypted(encrypted).set_kms_key_id(key.map(str::to_string)).build()
    }

    fn state(prior: &Value, volume: Option<&Volume>) -> Value {
        to_state(prior, &Instance::builder().instance_id("i-1").build(), None, volume, &BTreeMap::new())
    }

    #[test]
    fn an_instance_from_an_earlier_version_takes_its_volume_and_leaves_its_metadata_options_alone() {
        // The state an earlier version wrote: none of the new attributes.
        let old = Value::object([("cluster", "wp".into()), ("root_volume_size", Value::int(30))]);
        let v = state(&old, Some(&volume(30, false, None)));
        assert_eq!(v.get("root_volume_encrypted"), &Value::Bool(false), "EC2's word, so the plan (config null: prior) is empty");
        assert_eq!(v.get("root_volume_kms_key_id"), &Value::Null);
        assert_eq!(v.get("root_volume_size"), &Value::int(30));
        assert_eq!(v.get(metadata::BLOCK), &Value::Null, "a block left out stays out");
    }

    #[test]
    fn the_volume_is_read_back_and_a_key_keeps_its_spelling() {
        let planned = Value::object([
            ("root_volume_size", Value::Unknown),
            ("root_volume_encrypted", Value::Bool(true)),
            ("root_volume_kms_key_id", "k-1".into()),
        ]);
        let v = state(&planned, Some(&volume(15, true, Some(ARN))));
        assert_eq!(v.get("root_volume_size"), &Value::int(15));
        assert_eq!(v.get("root_volume_encrypted"), &Value::Bool(true));
        assert_eq!(v.get("root_volume_kms_key_id"), &Value::string("k-1"), "the key id written for the ARN EC2 reports");

        let mut unknown_key = planned.clone();
        unknown_key.set("root_volume_kms_key_id", Value::Unknown);
        assert_eq!(state(&unknown_key, Some(&volume(15, true, Some(ARN)))).get("root_volume_kms_key_id"), &Value::string(ARN));
        let mut other_key = planned.clone();
        other_key.set("root_volume_kms_key_id", "k-2".into());
        assert_eq!(state(&other_key, Some(&volume(15, true, Some(ARN)))).get("root_volume_kms_key_id"), &Value::string(ARN), "drift shows");

        // No volume to read: the prior values stay.
        let v = state(&planned, None);
        assert_eq!((v.get("root_volume_encrypted"), v.get("root_volume_kms_key_id")), (&Value::Bool(true), &Value::string("k-1")));
    }
}
