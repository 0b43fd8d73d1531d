//! The destroy, in the order that does not hang: the capacity provider leaves the cluster (AWS
//! refuses while a service's strategy uses it: the error names those services), the scale-in
//! protection comes off, each instance is drained (service tasks move away) and deregistered, the
//! group is scaled to zero and deleted, then the capacity provider and the launch template. Each step
//! skips what is already gone, so a destroy that stopped half-way finishes on the next try.

use std::time::{Duration, Instant};

use aws_sdk_ecs::types::CapacityProviderStrategyItem;

use super::group::{gone, put_cluster_providers};
use super::{members, read_failed};
use crate::aws::errors::{describe, AwsError};
use crate::framework::wait::{Poll, Wait};
use crate::resources::cluster::cluster_name;
use crate::resources::container_instance::registration::drain_and_deregister;
use crate::resources::Ctx;
use crate::tf::{Diagnostics, Value};

pub(super) async fn delete(ctx: &Ctx, prior: &Value, timeout: Duration) -> Result<(), Diagnostics> {
    let started = Instant::now();
    let left = || timeout.saturating_sub(started.elapsed());
    let name = prior.get("name").as_str().unwrap_or_default().to_string();
    let cluster = cluster_name(prior.get("cluster").as_str().unwrap_or_default()).to_string();
    let group = prior.get("auto_scaling_group_name").as_str().unwrap_or_default().to_string();

    leave_cluster(ctx, &cluster, &name).await?;

    if !group.is_empty()
        && ctx.aws.find_auto_scaling_group(&group).await.map_err(read_failed(format!("Auto Scaling group {group:?}")))?.is_some()
    {
        let instances: Vec<String> = members::group_instances(ctx, &group).await?.into_iter().map(|(id, _)| id).collect();
        if !instances.is_empty() {
            // Protected instances would survive the scale-in and hold the group.
            tracing::info!(group = %group, "removing scale-in protection");
            ctx.aws
                .autoscaling
                .set_instance_protection()
                .auto_scaling_group_name(&group)
                .set_instance_ids(Some(instances.clone()))
                .protected_from_scale_in(false)
                .send()
                .await
                .map_err(|e| {
                    Diagnostics::of_error(format!("Cannot remove the scale-in protection of the instances of {group:?}"), describe(&e))
                })?;
            let cis = members::container_instances(ctx, &cluster).await?;
            for id in &instances {
                if let Some(arn) = cis.get(id).and_then(|ci| ci.container_instance_arn()) {
                    drain_and_deregister(ctx, &cluster, arn, left()).await?;
                }
            }
        }
        tracing::info!(group = %group, "scaling the Auto Scaling group to zero");
        ctx.aws
            .autoscaling
            .update_auto_scaling_group()
            .auto_scaling_group_name(&group)
            .min_size(0)
            .max_size(0)
            .desired_capacity(0)
            .new_instances_protected_from_scale_in(false)
            .send()
            .await
            .map_err(|e| Diagnostics::of_error(format!("Cannot scale Auto Scaling group {group:?} to zero"), describe(&e)))?;
        Wait::new(ctx, format!("Auto Scaling group {group:?} to terminate its instances"), left())
            .until(|| async {
                let now = members::group_instances(ctx, &group).await?;
                if now.is_empty() {
                    return Ok(Poll::Done(()));
                }
                Ok(Poll::Pending(now.iter().map(|(id, state)| format!("{id} {state}")).collect::<Vec<_>>().join(", ")))
            })
            .await?;
        tracing::info!(group = %group, "deleting Auto Scaling group");
        if let Err(e) = ctx.aws.autoscaling.delete_auto_scaling_group().auto_scaling_group_name(&group).send().await {
            let e = AwsError::from_sdk(&e);
            if !gone(&e) {
                return Err(crate::resources::aws_failure(format!("Cannot delete Auto Scaling group {group:?}"), &e));
            }
        }
        Wait::new(ctx, format!("Auto Scaling group {group:?} to be deleted"), left())
            .until(|| async {
                match ctx.aws.find_auto_scaling_group(&group).await.map_err(read_failed(format!("Auto Scaling group {group:?}")))? {
                    None => Ok(Poll::Done(())),
                    Some(g) => Ok(Poll::Pending(format!("status {}", g.status().unwrap_or("in service")))),
                }
            })
            .await?;
    }

    if ctx.aws.find_capacity_provider(&name).await.map_err(read_failed(format!("capacity provider {name:?}")))?.is_some() {
        tracing::info!(capacity_provider = %name, "deleting ECS capacity provider");
        if let Err(e) = ctx.aws.ecs.delete_capacity_provider().capacity_provider(&name).send().await {
            let e = AwsError::from_sdk(&e);
            if !gone(&e) {
                return Err(crate::resources::aws_failure(format!("Cannot delete ECS capacity provider {name:?}"), &e));
            }
        }
        // The delete runs on in ECS (DELETE_IN_PROGRESS); it ends INACTIVE, or DELETE_FAILED with why.
        Wait::new(ctx, format!("capacity provider {name:?} to be deleted"), left())
            .until(|| async {
                match ctx.aws.find_capacity_provider(&name).await.map_err(read_failed(format!("capacity provider {name:?}")))? {
                    None => Ok(Poll::Done(())),
                    Some(cp) if cp.update_status().map(|s| s.as_str()) == Some("DELETE_FAILED") => Err(Diagnostics::of_error(
                        format!("ECS could not delete capacity provider {name:?}"),
                        format!(
                            "{} Remove what holds it and run `terraform destroy` again.",
                            cp.update_status_reason().unwrap_or("ECS gave no reason.")
                        ),
                    )),
                    Some(cp) => Ok(Poll::Pending(format!("update status {}", cp.update_status().map(|s| s.as_str()).unwrap_or("?")))),
                }
            })
            .await?;
    }
    if let Some(id) = prior.get("launch_template_id").as_str().filter(|s| !s.is_empty()) {
        tracing::info!(launch_template = id, "deleting launch template");
        if let Err(e) = ctx.aws.ec2.delete_launch_template().launch_template_id(id).send().await {
            let e = AwsError::from_sdk(&e);
            if !e.has_code("InvalidLaunchTemplateId.NotFound") && !e.has_code("InvalidLaunchTemplateId.Malformed") {
                return Err(crate::resources::aws_failure(format!("Cannot delete launch template {id}"), &e));
            }
        }
    }
    Ok(())
}

/// Removes the capacity provider from the cluster's providers and default strategy. AWS refuses
/// while a service of the cluster uses it: the error names those services.
async fn leave_cluster(ctx: &Ctx, cluster: &str, name: &str) -> Result<(), Diagnostics> {
    let Some(c) = ctx.aws.find_cluster(cluster).await.map_err(read_failed(format!("ECS cluster {cluster:?}")))? else { return Ok(()) };
    if !c.capacity_providers().iter().any(|p| p == name) {
        return Ok(());
    }
    let users = services_using(ctx, cluster, name).await?;
    if !users.is_empty() {
        return Err(Diagnostics::of_error(
            format!("Cannot destroy capacity provider {name:?}: {} service(s) of cluster {cluster:?} place tasks with it", users.len()),
            format!(
                "ECS keeps a capacity provider in its cluster while a service's capacity provider strategy names it: {}.\n\nDestroy those services first, or change their `capacity_provider_strategy`. A service of this provider that refers to the capacity provider (for example `capacity_provider = awsecs_capacity_provider.web.name`) is destroyed before it.",
                users.join(", ")
            ),
        ));
    }
    let providers: Vec<String> = c.capacity_providers().iter().filter(|p| *p != name).cloned().collect();
    let strategy: Vec<CapacityProviderStrategyItem> =
        c.default_capacity_provider_strategy().iter().filter(|i| i.capacity_provider() != name).cloned().collect();
    put_cluster_providers(ctx, cluster, providers, strategy).await
}

/// The services of `cluster` (not INACTIVE) whose capacity provider strategy names `name`.
async fn services_using(ctx: &Ctx, cluster: &str, name: &str) -> Result<Vec<String>, Diagnostics> {
    let arns = ctx.aws.list_service_arns(cluster).await.map_err(read_failed(format!("the services of {cluster:?}")))?;
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let services = ctx.aws.describe_services(cluster, &arns).await.map_err(read_failed(format!("the services of {cluster:?}")))?;
    Ok(services
        .iter()
        .filter(|s| s.status() != Some("INACTIVE") && s.capacity_provider_strategy().iter().any(|i| i.capacity_provider() == name))
        .map(|s| s.service_name().unwrap_or("?").to_string())
        .collect())
}
