//! Joining and leaving the cluster: the wait for a new instance to register (ACTIVE, agent
//! connected), the DRAINING/ACTIVE switch, and the destroy-side steps: drain until no service task
//! is left, deregister, then terminate the EC2 instance and wait for EC2 to report it terminated.

use std::time::{Duration, Instant};

use aws_sdk_ec2::types::{Instance, InstanceStateName};
use aws_sdk_ecs::types::{ContainerInstance, ContainerInstanceStatus, DesiredStatus};

use super::flatten::instance_state;
use super::{find_by_instance, get_container_instance, get_instance, read_failed};
use crate::aws::errors::{describe, AwsError};
use crate::aws::find::ecs::TaskFilter;
use crate::framework::wait::{Poll, Wait};
use crate::resources::Ctx;
use crate::tf::Diagnostics;

/// Waits for EC2 "running", then for ECS to list the instance ACTIVE with its agent connected:
/// one wait, so the timeout in the message is the one configured.
pub(super) async fn wait_registered(
    ctx: &Ctx,
    cluster: &str,
    instance_id: &str,
    timeout: Duration,
) -> Result<(Instance, ContainerInstance), Diagnostics> {
    Wait::new(ctx, format!("EC2 instance {instance_id} to run and join ECS cluster {cluster:?} (ACTIVE, agent connected)"), timeout)
        .until(|| async {
            let instance = match get_instance(ctx, instance_id).await? {
                Some(i) if instance_state(&i) == Some(&InstanceStateName::Running) => i,
                Some(i) => {
                    return Ok(Poll::Pending(format!("EC2 instance state {}", instance_state(&i).map(|s| s.as_str()).unwrap_or("unknown"))))
                }
                None => return Ok(Poll::Pending("EC2 does not list the instance yet".into())),
            };
            match find_by_instance(ctx, cluster, instance_id).await? {
                Some(ci) if ci.status() == Some("ACTIVE") && ci.agent_connected() => Ok(Poll::Done((instance, ci))),
                Some(ci) => Ok(Poll::Pending(format!(
                    "container instance {} is {}, agent {}",
                    ci.container_instance_arn().unwrap_or("?"),
                    ci.status().unwrap_or("?"),
                    if ci.agent_connected() { "connected" } else { "not connected" }
                ))),
                None => Ok(Poll::Pending(
                    "the instance is running, but the ECS agent has not registered it yet (check that the AMI runs the ECS agent, that the instance can reach the ECS API, and that its instance profile allows ecs:RegisterContainerInstance)".into(),
                )),
            }
        })
        .await
}

pub(super) async fn set_status(ctx: &Ctx, cluster: &str, arn: &str, status: ContainerInstanceStatus) -> Result<(), Diagnostics> {
    tracing::info!(container_instance = arn, status = status.as_str(), "changing container instance status");
    ctx.aws
        .ecs
        .update_container_instances_state()
        .cluster(cluster)
        .container_instances(arn)
        .status(status.clone())
        .send()
        .await
        .map_err(|e| Diagnostics::of_error(format!("Cannot set container instance {arn} to {}", status.as_str()), describe(&e)))?;
    Ok(())
}

/// "service:task-id" of the service tasks still running on a container instance (draining moves
/// them away; tasks started by hand stay until the instance goes).
async fn service_tasks_on(ctx: &Ctx, cluster: &str, arn: &str) -> Result<Vec<String>, Diagnostics> {
    let fail = read_failed(format!("the tasks on container instance {arn}"));
    let filter = TaskFilter { container_instance: Some(arn), desired_status: Some(DesiredStatus::Running), ..TaskFilter::default() };
    let listed = match ctx.aws.list_task_arns(cluster, filter).await {
        Ok(l) => l,
        Err(e) => return Err(fail(e)),
    };
    let described = match ctx.aws.describe_tasks(cluster, &listed).await {
        Ok(d) => d,
        Err(e) => return Err(fail(e)),
    };
    let mut out = Vec::new();
    for t in described {
        let group = t.group().unwrap_or_default();
        if let Some(service) = group.strip_prefix("service:") {
            if t.last_status() != Some("STOPPED") {
                let id = t.task_arn().unwrap_or_default().rsplit('/').next().unwrap_or_default();
                out.push(format!("{service}/{id}"));
            }
        }
    }
    Ok(out)
}

/// Sets the container instance DRAINING, waits until no service task is left on it, then
/// deregisters it.
pub(crate) async fn drain_and_deregister(ctx: &Ctx, cluster: &str, arn: &str, timeout: Duration) -> Result<(), Diagnostics> {
    set_status(ctx, cluster, arn, ContainerInstanceStatus::Draining).await?;
    Wait::new(ctx, format!("container instance {arn} to finish draining (no service tasks left on it)"), timeout)
        .until(|| async {
            match get_container_instance(ctx, cluster, arn).await? {
                None => Ok(Poll::Done(())),
                Some(ci) if ci.running_tasks_count() == 0 => Ok(Poll::Done(())),
                Some(_) => match service_tasks_on(ctx, cluster, arn).await? {
                    tasks if tasks.is_empty() => Ok(Poll::Done(())),
                    tasks => Ok(Poll::Pending(format!("{} service task(s) still running: {}", tasks.len(), tasks.join(", ")))),
                },
            }
        })
        .await?;
    tracing::info!(container_instance = %arn, "deregistering container instance");
    // Forced: tasks not started by a service (which draining leaves alone) end with the instance.
    if let Err(e) = ctx.aws.ecs.deregister_container_instance().cluster(cluster).container_instance(arn).force(true).send().await {
        // Gone meanwhile is fine (some emulators answer a missing one with HTTP 500).
        if get_container_instance(ctx, cluster, arn).await?.is_some() {
            return Err(Diagnostics::of_error(format!("Cannot deregister container instance {arn}"), describe(&e)));
        }
    }
    Ok(())
}

/// Terminates the EC2 instance and waits until EC2 reports it terminated, within what is left of
/// `timeout` since `started`.
pub(super) async fn terminate(ctx: &Ctx, instance_id: &str, timeout: Duration, started: Instant) -> Result<(), Diagnostics> {
    tracing::info!(instance_id = %instance_id, "terminating EC2 instance");
    match ctx.aws.ec2.terminate_instances().instance_ids(instance_id).send().await {
        Ok(_) => {}
        Err(e) if AwsError::from_sdk(&e).has_code("InvalidInstanceID.NotFound") => return Ok(()),
        Err(e) => return Err(Diagnostics::of_error(format!("Cannot terminate EC2 instance {instance_id}"), describe(&e))),
    }
    let left = timeout.saturating_sub(started.elapsed());
    Wait::new(ctx, format!("EC2 instance {instance_id} to be terminated"), left)
        .until(|| async {
            match get_instance(ctx, instance_id).await? {
                None => Ok(Poll::Done(())),
                Some(i) if instance_state(&i) == Some(&InstanceStateName::Terminated) => Ok(Poll::Done(())),
                Some(i) => Ok(Poll::Pending(format!("instance state {}", instance_state(&i).map(|s| s.as_str()).unwrap_or("unknown")))),
            }
        })
        .await
}
