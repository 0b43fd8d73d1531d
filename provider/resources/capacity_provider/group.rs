//! Create and update: the launch template, the Auto Scaling group, the ECS capacity provider, and
//! its place among the cluster's capacity providers (merged with the others, never overwriting).

use std::time::Duration;

use aws_sdk_autoscaling::types::{
    InstancesDistribution, LaunchTemplate, LaunchTemplateOverrides, LaunchTemplateSpecification, MixedInstancesPolicy,
};
use aws_sdk_ec2::types::Image;
use aws_sdk_ecs::types::{
    AutoScalingGroupProvider, AutoScalingGroupProviderUpdate, CapacityProviderStrategyItem, ManagedDraining, ManagedScaling,
    ManagedScalingStatus, ManagedTerminationProtection,
};

use super::{at, flatten, launch_template, members, read_failed, Config};
use crate::aws::errors::{describe, AwsError};
use crate::aws::tags as aws_tags;
use crate::framework::Failed;
use crate::resources::container_instance::launch::{active_cluster, architecture};
use crate::resources::ecs_optimized_ami::{self, DEFAULT_FAMILY};
use crate::resources::tags::{self, Tagged};
use crate::resources::Ctx;
use crate::tf::{Diagnostics, Value};

/// All subnets in one VPC, the security groups in it (empty when fine).
pub(super) async fn check_network(ctx: &Ctx, subnets: &[String], groups: &[String]) -> Diagnostics {
    let mut vpcs: Vec<(String, String)> = Vec::new();
    for s in subnets {
        match ctx.aws.find_subnet(s).await {
            Ok(Some(found)) => vpcs.push((s.clone(), found.vpc_id().unwrap_or_default().to_string())),
            Ok(None) => {
                return at(
                    "subnet_ids",
                    format!("Subnet {s} does not exist"),
                    format!("DescribeSubnets in region {} does not list it.", ctx.aws.region),
                )
            }
            Err(e) => return at("subnet_ids", format!("Cannot read subnet {s}"), e.to_string()),
        }
    }
    let Some((_, vpc)) = vpcs.first().cloned() else { return Diagnostics::new() };
    let others: Vec<String> = vpcs.iter().filter(|(_, v)| *v != vpc).map(|(s, v)| format!("{s} is in {v}")).collect();
    if !others.is_empty() {
        return at(
            "subnet_ids",
            "The subnets are not all in one VPC",
            format!("{} is in {vpc}, but {}. An Auto Scaling group launches into one VPC: pick subnets of the VPC the instances belong in (the database's, for the walkthrough).", vpcs[0].0, others.join(", ")),
        );
    }
    let mut wrong = Vec::new();
    for g in groups {
        match ctx.aws.find_security_group(g).await {
            Ok(Some(found)) if found.vpc_id() != Some(vpc.as_str()) => {
                wrong.push(format!("{g} is in {}", found.vpc_id().unwrap_or("no VPC")))
            }
            Ok(Some(_)) => {}
            Ok(None) => {
                return at(
                    "security_group_ids",
                    format!("Security group {g} does not exist"),
                    format!("DescribeSecurityGroups in region {} does not list it.", ctx.aws.region),
                )
            }
            Err(e) => return at("security_group_ids", format!("Cannot read security group {g}"), e.to_string()),
        }
    }
    if wrong.is_empty() {
        return Diagnostics::new();
    }
    at(
        "security_group_ids",
        format!("The security groups are not in the subnets' VPC {vpc}"),
        format!("The subnets are in {vpc}, but {}. Instances can only use security groups of their own VPC.", wrong.join(", ")),
    )
}

/// The image the instances launch: `ami_id`, else AWS's recommended ECS-optimized image now.
async fn image(ctx: &Ctx, cfg: &Config) -> Result<Image, Diagnostics> {
    match &cfg.ami_id {
        None => ecs_optimized_ami::lookup(ctx, DEFAULT_FAMILY, architecture(&cfg.instance_type)).await,
        Some(id) => match ctx.aws.find_image(id).await {
            Ok(Some(i)) => Ok(i),
            Ok(None) => Err(at(
                "ami_id",
                format!("Image {id} does not exist"),
                format!("DescribeImages in region {} does not list it.", ctx.aws.region),
            )),
            Err(e) => Err(read_failed(format!("image {id}"))(e)),
        },
    }
}

fn template_spec(id: &str, version: i64) -> LaunchTemplateSpecification {
    LaunchTemplateSpecification::builder().launch_template_id(id).version(version.to_string()).build()
}

/// What the group launches from: the launch template alone, or (with `mixed_instance_types`) a
/// mixed instances policy over it, `instance_type` first, all on demand.
fn launch_source(cfg: &Config, id: &str, version: i64) -> (Option<LaunchTemplateSpecification>, Option<MixedInstancesPolicy>) {
    if cfg.mixed_instance_types.is_empty() {
        return (Some(template_spec(id, version)), None);
    }
    let overrides = std::iter::once(&cfg.instance_type)
        .chain(&cfg.mixed_instance_types)
        .map(|t| LaunchTemplateOverrides::builder().instance_type(t).build())
        .collect();
    let template =
        LaunchTemplate::builder().launch_template_specification(template_spec(id, version)).set_overrides(Some(overrides)).build();
    let distribution = InstancesDistribution::builder().on_demand_base_capacity(0).on_demand_percentage_above_base_capacity(100).build();
    (None, Some(MixedInstancesPolicy::builder().launch_template(template).instances_distribution(distribution).build()))
}

fn managed_scaling(cfg: &Config) -> ManagedScaling {
    match cfg.managed_scaling {
        Some((target, min_step, max_step)) => ManagedScaling::builder()
            .status(ManagedScalingStatus::Enabled)
            .target_capacity(target)
            .minimum_scaling_step_size(min_step)
            .maximum_scaling_step_size(max_step)
            .build(),
        None => ManagedScaling::builder().status(ManagedScalingStatus::Disabled).build(),
    }
}

fn protection(cfg: &Config) -> ManagedTerminationProtection {
    if cfg.managed_termination_protection {
        ManagedTerminationProtection::Enabled
    } else {
        ManagedTerminationProtection::Disabled
    }
}

fn draining(cfg: &Config) -> ManagedDraining {
    if cfg.managed_draining {
        ManagedDraining::Enabled
    } else {
        ManagedDraining::Disabled
    }
}

/// What a failed create leaves in the state: the planned values with whatever exists so far.
fn partial(planned: &Value, found: &[(&'static str, Value)]) -> Value {
    let mut v = planned.clone();
    for (k, x) in found {
        v.set(k, x.clone());
    }
    for k in [
        "id",
        "arn",
        "vpc_id",
        "launch_template_id",
        "launch_template_version",
        "auto_scaling_group_name",
        "auto_scaling_group_arn",
        "ami_id",
    ] {
        if v.get(k).is_unknown() {
            v.set(k, Value::Null);
        }
    }
    for k in ["instance_ids", "container_instance_arns"] {
        if v.get(k).is_unknown() {
            v.set(k, Value::List(vec![]));
        }
    }
    if v.get("registered_count").is_unknown() {
        v.set("registered_count", Value::int(0));
    }
    v
}

pub(super) async fn create(ctx: &Ctx, cfg: &Config, planned: &Value, timeout: Duration) -> Result<Value, Failed> {
    let cluster = active_cluster(ctx, &cfg.cluster).await?;
    let network = check_network(ctx, &cfg.subnet_ids, &cfg.security_group_ids).await;
    if network.has_errors() {
        return Err(network.into());
    }
    let image = image(ctx, cfg).await?;
    let name = cfg.group_name(&cluster);
    let mut found: Vec<(&'static str, Value)> = vec![("ami_id", Value::opt_string(image.image_id()))];

    // The launch template (a lost reply or an earlier failed create may have made it already).
    let data = launch_template::data(cfg, &cluster, &image);
    let (lt_id, lt_version) =
        match ctx.aws.find_launch_template_id(&name).await.map_err(read_failed(format!("launch template {name:?}")))? {
            Some(id) => {
                let v = launch_template::new_version(ctx, &id, data).await?;
                (id, v)
            }
            None => launch_template::create(ctx, &name, data).await?,
        };
    found.push(("launch_template_id", lt_id.clone().into()));
    found.push(("launch_template_version", Value::int(lt_version)));
    let fail = |d: Diagnostics, found: &[(&'static str, Value)]| Failed::with_partial(d, partial(planned, found));

    // The group.
    if ctx
        .aws
        .find_auto_scaling_group(&name)
        .await
        .map_err(|e| fail(read_failed(format!("Auto Scaling group {name:?}"))(e), &found))?
        .is_none()
    {
        tracing::info!(group = %name, min = cfg.min_size, max = cfg.max_size, "creating Auto Scaling group");
        ctx.aws
            .autoscaling
            .create_auto_scaling_group()
            .auto_scaling_group_name(&name)
            .set_launch_template(launch_source(cfg, &lt_id, lt_version).0)
            .set_mixed_instances_policy(launch_source(cfg, &lt_id, lt_version).1)
            // Empty until the capacity provider exists and serves the cluster: an instance that
            // registers before that never becomes the provider's (ECS names it at registration).
            .min_size(0)
            .max_size(cfg.max_size)
            .desired_capacity(0)
            .vpc_zone_identifier(cfg.subnet_ids.join(","))
            .new_instances_protected_from_scale_in(cfg.managed_termination_protection)
            .set_tags(Some(aws_tags::to_autoscaling(&name, &cfg.tags_all)).filter(|t| !t.is_empty()))
            .send()
            .await
            .map_err(|e| fail(Diagnostics::of_error(format!("Cannot create Auto Scaling group {name:?}"), describe(&e)), &found))?;
    }
    let group =
        ctx.aws.find_auto_scaling_group(&name).await.map_err(|e| fail(read_failed(format!("Auto Scaling group {name:?}"))(e), &found))?;
    let group_arn = group.as_ref().and_then(|g| g.auto_scaling_group_arn()).unwrap_or_default().to_string();
    found.push(("auto_scaling_group_name", name.clone().into()));
    found.push(("auto_scaling_group_arn", group_arn.clone().into()));

    // The capacity provider.
    let arn = match ctx
        .aws
        .find_capacity_provider(&cfg.name)
        .await
        .map_err(|e| fail(read_failed(format!("capacity provider {:?}", cfg.name))(e), &found))?
    {
        Some(p) => p.capacity_provider_arn().unwrap_or_default().to_string(),
        None => {
            tracing::info!(capacity_provider = %cfg.name, group = %name, "creating ECS capacity provider");
            let asg = AutoScalingGroupProvider::builder()
                .auto_scaling_group_arn(&group_arn)
                .managed_scaling(managed_scaling(cfg))
                .managed_termination_protection(protection(cfg))
                .managed_draining(draining(cfg))
                .build()
                .map_err(|e| fail(Diagnostics::of_error("Cannot build the capacity provider request", e.to_string()), &found))?;
            let out = ctx
                .aws
                .ecs
                .create_capacity_provider()
                .name(&cfg.name)
                .auto_scaling_group_provider(asg)
                .set_tags(aws_tags::to_ecs(&cfg.tags_all))
                .send()
                .await
                .map_err(|e| {
                    fail(Diagnostics::of_error(format!("Cannot create ECS capacity provider {:?}", cfg.name), describe(&e)), &found)
                })?;
            out.capacity_provider().and_then(|p| p.capacity_provider_arn()).unwrap_or_default().to_string()
        }
    };
    found.push(("id", arn.clone().into()));
    found.push(("arn", arn.into()));

    associate(ctx, &cluster, &cfg.name, cfg.default_strategy).await.map_err(|d| fail(d, &found))?;
    tracing::info!(group = %name, min = cfg.min_size, desired = cfg.wanted(), "sizing the Auto Scaling group");
    ctx.aws
        .autoscaling
        .update_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .min_size(cfg.min_size)
        .max_size(cfg.max_size)
        .desired_capacity(cfg.wanted())
        .send()
        .await
        .map_err(|e| fail(Diagnostics::of_error(format!("Cannot size Auto Scaling group {name:?}"), describe(&e)), &found))?;
    members::wait_registered(ctx, &cluster, &name, cfg.wanted(), timeout).await.map_err(|d| fail(d, &found))?;
    let mut state = partial(planned, &found);
    if let Some(fresh) = flatten::read(ctx, &state).await.map_err(|d| fail(d, &found))? {
        state = fresh;
    }
    Ok(state)
}

/// Adds the capacity provider to the cluster's (keeping the others), and sets or removes its entry
/// in the cluster's default strategy.
pub(super) async fn associate(ctx: &Ctx, cluster: &str, name: &str, default_strategy: Option<(i32, i32)>) -> Result<(), Diagnostics> {
    let c = ctx.aws.find_cluster(cluster).await.map_err(read_failed(format!("ECS cluster {cluster:?}")))?;
    let c = c.ok_or_else(|| {
        at("cluster", format!("ECS cluster {cluster:?} does not exist"), "It was deleted while the capacity provider was being set up.")
    })?;
    let mut providers: Vec<String> = c.capacity_providers().to_vec();
    let mut strategy: Vec<CapacityProviderStrategyItem> =
        c.default_capacity_provider_strategy().iter().filter(|i| i.capacity_provider() != name).cloned().collect();
    let had = strategy.len() != c.default_capacity_provider_strategy().len();
    let listed = providers.iter().any(|p| p == name);
    if !listed {
        providers.push(name.to_string());
    }
    if let Some((weight, base)) = default_strategy {
        let item = CapacityProviderStrategyItem::builder()
            .capacity_provider(name)
            .weight(weight)
            .base(base)
            .build()
            .map_err(|e| Diagnostics::of_error("Cannot build the default strategy", e.to_string()))?;
        strategy.push(item);
    } else if listed && !had {
        return Ok(());
    }
    put_cluster_providers(ctx, cluster, providers, strategy).await
}

pub(super) async fn put_cluster_providers(
    ctx: &Ctx,
    cluster: &str,
    providers: Vec<String>,
    strategy: Vec<CapacityProviderStrategyItem>,
) -> Result<(), Diagnostics> {
    tracing::info!(cluster, providers = ?providers, "setting the cluster's capacity providers");
    ctx.aws
        .ecs
        .put_cluster_capacity_providers()
        .cluster(cluster)
        .set_capacity_providers(Some(providers))
        .set_default_capacity_provider_strategy(Some(strategy))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| Diagnostics::of_error(format!("Cannot change the capacity providers of ECS cluster {cluster:?}"), describe(&e)))
}

pub(super) async fn update(ctx: &Ctx, prior: &Value, planned: &Value, timeout: Duration) -> Result<Value, Failed> {
    let cfg = Config::from(planned);
    let cluster = active_cluster(ctx, &cfg.cluster).await?;
    let name = prior.get("auto_scaling_group_name").as_str().map(str::to_string).unwrap_or_else(|| cfg.group_name(&cluster));
    let lt_id = prior.get("launch_template_id").as_str().unwrap_or_default().to_string();
    let changed = |k: &str| prior.get(k) != planned.get(k);

    // A new launch template version when what the instances launch from changed.
    let mut version = prior.get("launch_template_version").as_i64().unwrap_or(1);
    let mut ami = prior.get("ami_id").clone();
    if launch_template::TEMPLATE_ARGUMENTS.iter().any(|k| changed(k)) {
        let mut with_image = cfg.clone();
        // Left out: keep the image the group launches now (a newer recommended image is not a change).
        if with_image.ami_id.is_none() {
            with_image.ami_id = prior.get("ami_id").as_str().map(str::to_string);
        }
        let image = image(ctx, &with_image).await?;
        ami = Value::opt_string(image.image_id());
        version = launch_template::new_version(ctx, &lt_id, launch_template::data(&with_image, &cluster, &image)).await?;
    }
    let group_changed = version != prior.get("launch_template_version").as_i64().unwrap_or(1)
        || ["min_size", "max_size", "desired_capacity", "subnet_ids", "managed_termination_protection", "mixed_instance_types"]
            .iter()
            .any(|k| changed(k));
    if group_changed {
        tracing::info!(group = %name, version, "updating Auto Scaling group");
        ctx.aws
            .autoscaling
            .update_auto_scaling_group()
            .auto_scaling_group_name(&name)
            .set_launch_template(launch_source(&cfg, &lt_id, version).0)
            .set_mixed_instances_policy(launch_source(&cfg, &lt_id, version).1)
            .min_size(cfg.min_size)
            .max_size(cfg.max_size)
            .set_desired_capacity(cfg.desired_capacity)
            .vpc_zone_identifier(cfg.subnet_ids.join(","))
            .new_instances_protected_from_scale_in(cfg.managed_termination_protection)
            .send()
            .await
            .map_err(|e| Diagnostics::of_error(format!("Cannot update Auto Scaling group {name:?}"), describe(&e)))?;
    }
    if ["managed_scaling", "managed_termination_protection", "managed_draining"].iter().any(|k| changed(k)) {
        tracing::info!(capacity_provider = %cfg.name, "updating ECS capacity provider");
        let asg = AutoScalingGroupProviderUpdate::builder()
            .managed_scaling(managed_scaling(&cfg))
            .managed_termination_protection(protection(&cfg))
            .managed_draining(draining(&cfg))
            .build();
        ctx.aws
            .ecs
            .update_capacity_provider()
            .name(&cfg.name)
            .auto_scaling_group_provider(asg)
            .send()
            .await
            .map_err(|e| Diagnostics::of_error(format!("Cannot update ECS capacity provider {:?}", cfg.name), describe(&e)))?;
    }
    if changed("default_strategy") {
        associate(ctx, &cluster, &cfg.name, cfg.default_strategy).await?;
    }
    if changed("tags_all") {
        let arn = prior.get("arn").as_str().unwrap_or_default();
        tags::update(
            ctx,
            Tagged::Ecs(arn),
            prior.get("tags_all"),
            planned.get("tags_all"),
            &format!("ECS capacity provider {:?}", cfg.name),
        )
        .await?;
        tags::update(
            ctx,
            Tagged::AutoScalingGroup(&name),
            prior.get("tags_all"),
            planned.get("tags_all"),
            &format!("Auto Scaling group {name:?}"),
        )
        .await?;
    }
    let new_version = version != prior.get("launch_template_version").as_i64().unwrap_or(1);
    if new_version && cfg.instance_refresh {
        members::refresh(ctx, &name, timeout).await?;
    }
    if ["min_size", "desired_capacity"].iter().any(|k| changed(k)) || (new_version && cfg.instance_refresh) {
        members::wait_registered(ctx, &cluster, &name, cfg.wanted(), timeout).await?;
    }
    let mut state = planned.clone();
    state.set("ami_id", ami);
    state.set("launch_template_version", Value::int(version));
    match flatten::read(ctx, &state).await? {
        Some(fresh) => Ok(fresh),
        None => Err(Diagnostics::of_error(
            format!("ECS capacity provider {:?} disappeared during the update", cfg.name),
            "Run `terraform apply` again to create it.",
        )
        .into()),
    }
}

/// Whether an error says the object is already gone.
pub(super) fn gone(e: &AwsError) -> bool {
    e.has_code("ClusterNotFoundException") || e.message.contains("not found") || e.message.contains("does not exist")
}
