//! The group's instances as the cluster sees them: which EC2 instances the group has, which of them
//! ECS lists (and how), and the wait until enough of them are ACTIVE with their agent connected.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ecs::types::ContainerInstance;

use super::read_failed;
use crate::framework::wait::{Poll, Wait};
use crate::resources::Ctx;
use crate::tf::Diagnostics;

/// The group's instances now: (EC2 instance id, Auto Scaling lifecycle state), in the group's order.
pub(super) async fn group_instances(ctx: &Ctx, group: &str) -> Result<Vec<(String, String)>, Diagnostics> {
    let g = ctx.aws.find_auto_scaling_group(group).await.map_err(read_failed(format!("Auto Scaling group {group:?}")))?;
    Ok(g.map(|g| {
        g.instances()
            .iter()
            .map(|i| {
                (i.instance_id().unwrap_or_default().to_string(), i.lifecycle_state().map(|s| s.as_str().to_string()).unwrap_or_default())
            })
            .collect()
    })
    .unwrap_or_default())
}

/// The cluster's container instances, by EC2 instance id.
pub(super) async fn container_instances(ctx: &Ctx, cluster: &str) -> Result<BTreeMap<String, ContainerInstance>, Diagnostics> {
    let arns = ctx
        .aws
        .list_container_instance_arns(cluster, None)
        .await
        .map_err(read_failed(format!("the container instances of {cluster:?}")))?;
    if arns.is_empty() {
        return Ok(BTreeMap::new());
    }
    let described = ctx
        .aws
        .describe_container_instances(cluster, &arns)
        .await
        .map_err(read_failed(format!("the container instances of {cluster:?}")))?;
    Ok(described.into_iter().filter_map(|ci| Some((ci.ec2_instance_id()?.to_string(), ci))).collect())
}

pub(super) fn registered(ci: &ContainerInstance) -> bool {
    ci.status() == Some("ACTIVE") && ci.agent_connected()
}

/// Waits until at least `wanted` of the group's instances are ACTIVE in the cluster with their agent
/// connected; progress and the timeout name each instance that is not there yet, and why.
pub(super) async fn wait_registered(ctx: &Ctx, cluster: &str, group: &str, wanted: i32, timeout: Duration) -> Result<(), Diagnostics> {
    if wanted <= 0 {
        return Ok(());
    }
    Wait::new(ctx, format!("{wanted} instance(s) of Auto Scaling group {group:?} to be ACTIVE in ECS cluster {cluster:?} with their agent connected"), timeout)
        .until(|| async {
            let instances = group_instances(ctx, group).await?;
            let cis = container_instances(ctx, cluster).await?;
            let mut ready = 0;
            let mut waiting = Vec::new();
            for (id, lifecycle) in &instances {
                match cis.get(id) {
                    Some(ci) if registered(ci) => ready += 1,
                    Some(ci) => waiting.push(format!("{id}: container instance {}, agent {}", ci.status().unwrap_or("?"), if ci.agent_connected() { "connected" } else { "not connected" })),
                    None if lifecycle == "InService" => waiting.push(format!("{id}: in service, but the ECS agent has not registered it (check the image runs the agent, the instance can reach the ECS API, and its profile allows ecs:RegisterContainerInstance)")),
                    None => waiting.push(format!("{id}: Auto Scaling lifecycle {lifecycle}")),
                }
            }
            if ready >= wanted as usize {
                return Ok(Poll::Done(()));
            }
            let launched = if instances.len() < wanted as usize { format!("; the group has launched {} of them", instances.len()) } else { String::new() };
            Ok(Poll::Pending(format!("{ready} of {wanted} registered{launched}{}{}", if waiting.is_empty() { "" } else { "; " }, waiting.join("; "))))
        })
        .await
}

/// Starts an instance refresh of the group (its instances replaced by ones of the current launch
/// template version) and waits until Auto Scaling reports it Successful; a refresh that fails or is
/// cancelled is an error with Auto Scaling's reason.
pub(super) async fn refresh(ctx: &Ctx, group: &str, timeout: Duration) -> Result<(), Diagnostics> {
    tracing::info!(group, "starting an instance refresh");
    let id = ctx
        .aws
        .autoscaling
        .start_instance_refresh()
        .auto_scaling_group_name(group)
        .send()
        .await
        .map_err(|e| {
            Diagnostics::of_error(
                format!("Cannot start an instance refresh of Auto Scaling group {group:?}"),
                crate::aws::errors::describe(&e),
            )
        })?
        .instance_refresh_id()
        .unwrap_or_default()
        .to_string();
    Wait::new(ctx, format!("the instance refresh {id} of Auto Scaling group {group:?} to replace its instances"), timeout)
        .until(|| async {
            let out = ctx
                .aws
                .autoscaling
                .describe_instance_refreshes()
                .auto_scaling_group_name(group)
                .instance_refresh_ids(&id)
                .send()
                .await
                .map_err(|e| read_failed(format!("the instance refresh {id}"))(crate::aws::errors::AwsError::from_sdk(&e)))?;
            let Some(r) = out.instance_refreshes().first() else {
                return Ok(Poll::Pending("Auto Scaling does not list the refresh yet".into()));
            };
            let status = r.status().map(|s| s.as_str()).unwrap_or("?");
            match status {
                "Successful" => Ok(Poll::Done(())),
                "Failed" | "Cancelled" | "RollbackSuccessful" | "RollbackFailed" => Err(Diagnostics::of_error(
                    format!("The instance refresh of Auto Scaling group {group:?} ended {status}"),
                    format!(
                        "{} The group keeps the instances it has; run `terraform apply` again to retry.",
                        r.status_reason().unwrap_or("Auto Scaling gave no reason.")
                    ),
                )),
                _ => Ok(Poll::Pending(format!(
                    "{status}, {}% done, {} instance(s) to replace",
                    r.percentage_complete().unwrap_or(0),
                    r.instances_to_update().unwrap_or(0)
                ))),
            }
        })
        .await
}
