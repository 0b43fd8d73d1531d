//! AWS answers -> state: the capacity provider (managed settings, tags), its group (sizes,
//! subnets, instances, the launch template version), that version (what the instances launch
//! from), the cluster's default strategy entry, and which instances the cluster lists.

use aws_sdk_ec2::types::{LaunchTemplateHttpTokensState, LaunchTemplateInstanceMetadataEndpointState};
use base64::Engine as _;

use super::{members, read_failed};
use crate::aws::tags as aws_tags;
use crate::resources::cluster::cluster_name;
use crate::resources::container_instance::metadata::BLOCK as METADATA_BLOCK;
use crate::resources::container_instance::user_data::parse_user_data;
use crate::resources::tags;
use crate::resources::Ctx;
use crate::tf::{Diagnostics, Value};

fn strings(items: impl IntoIterator<Item = String>) -> Value {
    Value::List(items.into_iter().map(Value::string).collect())
}

fn set(mut items: Vec<String>) -> Value {
    items.sort();
    Value::Set(items.into_iter().map(Value::string).collect())
}

/// The state of the capacity provider `state` names, or None when it (or its group) is gone.
pub(super) async fn read(ctx: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
    let name = state.get("name").as_str().unwrap_or_default().to_string();
    let Some(cp) = ctx.aws.find_capacity_provider(&name).await.map_err(read_failed(format!("capacity provider {name:?}")))? else {
        return Ok(None);
    };
    let asg_provider = cp.auto_scaling_group_provider();
    let group_arn = asg_provider.map(|a| a.auto_scaling_group_arn()).unwrap_or_default().to_string();
    let group_name = group_arn
        .rsplit_once("autoScalingGroupName/")
        .map(|(_, n)| n.to_string())
        .or_else(|| state.get("auto_scaling_group_name").as_str().map(str::to_string))
        .unwrap_or_default();
    let Some(group) =
        ctx.aws.find_auto_scaling_group(&group_name).await.map_err(read_failed(format!("Auto Scaling group {group_name:?}")))?
    else {
        // A capacity provider whose group is gone runs nothing: the next apply builds both again.
        tracing::warn!(capacity_provider = %name, group = %group_name, "the capacity provider's Auto Scaling group is gone");
        return Ok(None);
    };
    let mut v = state.clone();
    let arn = Value::opt_string(cp.capacity_provider_arn());
    v.set("id", arn.clone());
    v.set("arn", arn);
    v.set("auto_scaling_group_name", group_name.clone().into());
    v.set("auto_scaling_group_arn", Value::opt_string(group.auto_scaling_group_arn()));
    v.set("min_size", Value::int(group.min_size().unwrap_or(0) as i64));
    v.set("max_size", Value::int(group.max_size().unwrap_or(0) as i64));
    if !state.get("desired_capacity").is_null() {
        v.set("desired_capacity", Value::opt_int(group.desired_capacity().map(i64::from)));
    }
    let subnets: Vec<String> =
        group.vpc_zone_identifier().unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
    // The VPC, from the first subnet (plan-time checks keep them all in one).
    let vpc = match subnets.first() {
        Some(first)
            if state.get("vpc_id").is_null() || state.get("vpc_id").is_unknown() || state.get("subnet_ids") != &set(subnets.clone()) =>
        {
            ctx.aws.find_subnet(first).await.map_err(read_failed(format!("subnet {first}")))?.and_then(|s| s.vpc_id().map(str::to_string))
        }
        _ => state.get("vpc_id").as_str().map(str::to_string),
    };
    v.set("vpc_id", Value::opt_string(vpc));
    v.set("subnet_ids", set(subnets));

    let managed = asg_provider.and_then(|a| a.managed_scaling()).filter(|m| m.status().map(|s| s.as_str()) == Some("ENABLED"));
    v.set(
        "managed_scaling",
        match managed {
            Some(m) => Value::object([
                ("target_capacity", Value::opt_int(m.target_capacity().map(i64::from))),
                ("minimum_scaling_step_size", Value::opt_int(m.minimum_scaling_step_size().map(i64::from))),
                ("maximum_scaling_step_size", Value::opt_int(m.maximum_scaling_step_size().map(i64::from))),
            ]),
            None => Value::Null,
        },
    );
    v.set(
        "managed_termination_protection",
        Value::Bool(asg_provider.and_then(|a| a.managed_termination_protection()).map(|p| p.as_str()) == Some("ENABLED")),
    );
    if let Some(d) = asg_provider.and_then(|a| a.managed_draining()) {
        v.set("managed_draining", Value::Bool(d.as_str() == "ENABLED"));
    }
    let (tags, tags_all) = tags::split(&aws_tags::from_ecs(cp.tags()), &ctx.default_tags, state.get("tags"));
    v.set("tags", tags);
    v.set("tags_all", tags_all);

    // What the instances launch from: the template alone, or a mixed instances policy over it.
    let mixed = group.mixed_instances_policy().and_then(|m| m.launch_template());
    let types: Vec<String> =
        mixed.map(|t| t.overrides().iter().filter_map(|o| o.instance_type().map(str::to_string)).collect()).unwrap_or_default();
    let none = if state.get("mixed_instance_types").as_list().is_some_and(|l| l.is_empty()) { Value::List(vec![]) } else { Value::Null };
    v.set("mixed_instance_types", if types.len() > 1 { strings(types[1..].to_vec()) } else { none });
    if let Some(spec) = group.launch_template().or(mixed.and_then(|t| t.launch_template_specification())) {
        let id = spec.launch_template_id().unwrap_or_default().to_string();
        let version = spec.version().unwrap_or("$Latest").to_string();
        v.set("launch_template_id", id.clone().into());
        if let Some(lt) = ctx.aws.find_launch_template_version(&id, &version).await.map_err(read_failed(format!("launch template {id}")))? {
            v.set("launch_template_version", Value::opt_int(lt.version_number()));
            if let Some(d) = lt.launch_template_data() {
                v.set("instance_type", Value::opt_string(d.instance_type().map(|t| t.as_str())));
                if !state.get("ami_id").is_null() || d.image_id().is_some() {
                    v.set("ami_id", Value::opt_string(d.image_id()));
                }
                let groups: Vec<String> = d.security_group_ids().to_vec();
                v.set(
                    "security_group_ids",
                    if groups.is_empty() && state.get("security_group_ids").is_null() { Value::Null } else { set(groups) },
                );
                v.set("key_name", Value::opt_string(d.key_name()));
                let profile = d.iam_instance_profile().and_then(|p| p.name().or(p.arn()));
                v.set("iam_instance_profile", Value::opt_string(profile));
                let text = d
                    .user_data()
                    .and_then(|u| base64::engine::general_purpose::STANDARD.decode(u).ok())
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                let (_, extra) = parse_user_data(&text);
                v.set("user_data_extra", Value::opt_string(extra));
                if let Some(ebs) = d.block_device_mappings().first().and_then(|m| m.ebs()) {
                    if !state.get("root_volume_size").is_null() {
                        v.set("root_volume_size", Value::opt_int(ebs.volume_size().map(i64::from)));
                    }
                    v.set("root_volume_encrypted", Value::Bool(ebs.encrypted().unwrap_or(false)));
                    v.set("root_volume_kms_key_id", Value::opt_string(ebs.kms_key_id()));
                } else {
                    v.set("root_volume_encrypted", Value::Bool(false));
                }
                if !state.get(METADATA_BLOCK).is_null() {
                    if let Some(m) = d.metadata_options() {
                        v.set(
                            METADATA_BLOCK,
                            Value::object([
                                (
                                    "http_tokens",
                                    Value::string(if m.http_tokens() == Some(&LaunchTemplateHttpTokensState::Optional) {
                                        "optional"
                                    } else {
                                        "required"
                                    }),
                                ),
                                ("http_put_response_hop_limit", Value::opt_int(m.http_put_response_hop_limit().map(i64::from))),
                                (
                                    "http_endpoint",
                                    Value::string(if m.http_endpoint() == Some(&LaunchTemplateInstanceMetadataEndpointState::Disabled) {
                                        "disabled"
                                    } else {
                                        "enabled"
                                    }),
                                ),
                            ]),
                        );
                    }
                }
            }
        }
    }

    // The cluster's view: the default strategy entry, and the group's instances it lists.
    let cluster = state.get("cluster").as_str().unwrap_or_default().to_string();
    if let Some(c) = ctx.aws.find_cluster(&cluster).await.map_err(read_failed(format!("ECS cluster {cluster:?}")))? {
        let entry = c.default_capacity_provider_strategy().iter().find(|i| i.capacity_provider() == name);
        v.set(
            "default_strategy",
            match entry {
                Some(i) => Value::object([("weight", Value::int(i.weight() as i64)), ("base", Value::int(i.base() as i64))]),
                None => Value::Null,
            },
        );
    }
    let ids: Vec<String> = group.instances().iter().filter_map(|i| i.instance_id().map(str::to_string)).collect();
    let cis = members::container_instances(ctx, cluster_name(&cluster)).await?;
    let mine: Vec<_> = ids.iter().filter_map(|id| cis.get(id)).collect();
    v.set("registered_count", Value::int(mine.iter().filter(|ci| members::registered(ci)).count() as i64));
    v.set("container_instance_arns", strings(mine.iter().filter_map(|ci| ci.container_instance_arn().map(str::to_string))));
    v.set("instance_ids", strings(ids));
    Ok(Some(v))
}
