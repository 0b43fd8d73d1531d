//! How a deployment of `awsecs_service` is going (`deployment_progress`), what a wait has seen (the
//! service events and the stopped tasks with their reasons, quoted when the wait fails), and the
//! waits: for a steady state, for the tasks to stop, for the service to be INACTIVE.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_ecs::types::{DesiredStatus, Service};

use super::{describe_service, same_task_definition, Config};
use crate::aws::find::ecs::TaskFilter;
use crate::framework::wait::{Poll, Wait};
use crate::resources::Ctx;
use crate::tf::Diagnostics;

/// What a deployment looks like now: finished, still going (with a status line), or failed.
#[derive(Debug, PartialEq)]
pub enum Progress {
    Done,
    Pending(String),
    Failed(String),
}

/// Whether the service runs `wanted_td` with running == desired in one completed deployment.
pub fn deployment_progress(svc: &Service, wanted_td: &str) -> Progress {
    let status = svc.status().unwrap_or("?");
    if status != "ACTIVE" {
        return Progress::Failed(format!("the service is {status}"));
    }
    if let Some(failed) = svc.deployments().iter().find(|d| d.rollout_state().map(|r| r.as_str()) == Some("FAILED")) {
        return Progress::Failed(format!(
            "deployment {} of {} FAILED: {}",
            failed.id().unwrap_or("?"),
            failed.task_definition().unwrap_or("?"),
            failed.rollout_state_reason().unwrap_or("no reason given")
        ));
    }
    let counts = format!("{} of {} tasks running, {} pending", svc.running_count(), svc.desired_count(), svc.pending_count());
    let primary = svc.deployments().iter().find(|d| d.status() == Some("PRIMARY"));
    let Some(primary) = primary else {
        return if svc.running_count() == svc.desired_count() { Progress::Done } else { Progress::Pending(counts) };
    };
    let rollout = primary.rollout_state().map(|r| r.as_str().to_string());
    if !same_task_definition(wanted_td, primary.task_definition().unwrap_or_default()) {
        return Progress::Pending(format!("{counts}; the primary deployment still runs {}", primary.task_definition().unwrap_or("?")));
    }
    if svc.deployments().len() > 1 {
        return Progress::Pending(format!("{counts}; {} deployments (older tasks are being replaced)", svc.deployments().len()));
    }
    let complete = matches!(rollout.as_deref(), None | Some("COMPLETED"));
    if complete && svc.running_count() == svc.desired_count() && primary.running_count() == svc.desired_count() {
        Progress::Done
    } else {
        Progress::Pending(format!("{counts}; deployment {}", rollout.as_deref().unwrap_or("in progress")))
    }
}

/// What a wait has seen: service events and stopped tasks, each logged once at INFO and quoted
/// when the wait fails.
#[derive(Default)]
pub(super) struct Seen {
    pub(super) event_ids: HashSet<String>,
    events: Vec<String>,
    stopped_ids: HashSet<String>,
    stopped: Vec<String>,
}

impl Seen {
    fn note_events(&mut self, name: &str, s: &Service) {
        // ECS lists events newest first.
        for e in s.events().iter().rev() {
            let id = e.id().unwrap_or_default().to_string();
            if self.event_ids.insert(id) {
                let msg = e.message().unwrap_or_default().to_string();
                tracing::info!(service = %name, "service event: {msg}");
                self.events.push(msg);
            }
        }
    }

    fn detail(&self) -> String {
        let mut out = String::new();
        if !self.events.is_empty() {
            out.push_str("\n\nLatest service events (oldest first):");
            for e in self.events.iter().rev().take(8).collect::<Vec<_>>().into_iter().rev() {
                out.push_str(&format!("\n  - {e}"));
            }
        }
        if !self.stopped.is_empty() {
            out.push_str("\n\nStopped tasks:");
            for t in self.stopped.iter().rev().take(8).collect::<Vec<_>>().into_iter().rev() {
                out.push_str(&format!("\n  - {t}"));
            }
        }
        out
    }

    /// The most telling line for a summary: the newest "unable to place" event, or the newest
    /// stopped-task reason.
    fn headline(&self) -> Option<String> {
        self.events.iter().rev().find(|e| e.contains("unable to place")).or_else(|| self.stopped.last()).map(|s| s.to_string())
    }
}

/// Stopped tasks of the service (ECS keeps them about an hour), each logged once with its reason.
async fn note_stopped_tasks(ctx: &Ctx, cluster: &str, name: &str, seen: &Mutex<Seen>) -> Result<(), Diagnostics> {
    let fail = |e: String| Diagnostics::of_error(format!("Cannot list the stopped tasks of ECS service {name:?}"), e);
    let stopped = TaskFilter { service_name: Some(name), desired_status: Some(DesiredStatus::Stopped), ..TaskFilter::default() };
    let listed = ctx.aws.list_task_arns(cluster, stopped).await.map_err(|e| fail(e.to_string()))?;
    let new: Vec<String> = {
        let s = seen.lock().map_err(|_| fail("internal error: lock poisoned".into()))?;
        listed.iter().filter(|a| !s.stopped_ids.contains(*a)).take(100).cloned().collect()
    };
    if new.is_empty() {
        return Ok(());
    }
    let tasks = ctx.aws.describe_tasks(cluster, &new).await.map_err(|e| fail(e.to_string()))?;
    let mut s = seen.lock().map_err(|_| fail("internal error: lock poisoned".into()))?;
    let group = format!("service:{name}");
    for t in &tasks {
        let arn = t.task_arn().unwrap_or_default().to_string();
        s.stopped_ids.insert(arn.clone());
        if t.group().is_some_and(|g| g != group) {
            continue;
        }
        let id = arn.rsplit('/').next().unwrap_or_default();
        let exits: Vec<String> = t
            .containers()
            .iter()
            .filter_map(|c| {
                Some(format!("{} exit {}{}", c.name()?, c.exit_code()?, c.reason().map(|r| format!(" ({r})")).unwrap_or_default()))
            })
            .collect();
        let line = format!(
            "task {id} ({}): {}{}",
            t.task_definition_arn().map(|a| a.rsplit('/').next().unwrap_or(a)).unwrap_or("?"),
            t.stopped_reason().unwrap_or("no reason given"),
            if exits.is_empty() { String::new() } else { format!("; {}", exits.join(", ")) }
        );
        tracing::info!(service = %name, "stopped task: {line}");
        s.stopped.push(line);
    }
    Ok(())
}

/// Waits until the service runs `td` with running == desired in one completed deployment.
pub(super) async fn wait_steady(ctx: &Ctx, cfg: &Config, td: &str, timeout: Duration, seen: &Mutex<Seen>) -> Result<Service, Diagnostics> {
    let what = format!("ECS service {:?} to reach a steady state ({} task(s) of {})", cfg.name, cfg.desired_count, td);
    let result = Wait::new(ctx, what, timeout)
        .delays(Duration::from_millis(500), Duration::from_secs(10))
        .until(|| async {
            let svc = describe_service(ctx, &cfg.cluster, &cfg.name).await?.ok_or_else(|| {
                Diagnostics::of_error(
                    format!("ECS service {:?} disappeared while waiting for it", cfg.name),
                    "DescribeServices no longer finds it: it was deleted outside Terraform.",
                )
            })?;
            if let Ok(mut s) = seen.lock() {
                s.note_events(&cfg.name, &svc);
            }
            note_stopped_tasks(ctx, &cfg.cluster, &cfg.name, seen).await?;
            match deployment_progress(&svc, td) {
                Progress::Done => Ok(Poll::Done(svc)),
                Progress::Pending(p) => Ok(Poll::Pending(p)),
                Progress::Failed(why) => {
                    Err(Diagnostics::of_error(format!("ECS service {:?} did not reach a steady state: {why}", cfg.name), ""))
                }
            }
        })
        .await;
    result.map_err(|mut d| {
        if let (Ok(s), Some(first)) = (seen.lock(), d.0.first_mut()) {
            if let Some(h) = s.headline() {
                first.summary = format!("{}: {h}", first.summary);
            }
            first.detail = format!("{}{}", first.detail, s.detail()).trim_start().to_string();
        }
        d
    })
}

/// Waits until no task of the service runs or is pending (after it was scaled to 0, before
/// DeleteService), logging the service events meanwhile.
pub(super) async fn wait_tasks_stopped(ctx: &Ctx, cfg: &Config, svc: &Service, timeout: Duration) -> Result<(), Diagnostics> {
    // Events from before the delete are not news.
    let seen = Mutex::new(Seen { event_ids: svc.events().iter().filter_map(|e| e.id().map(str::to_string)).collect(), ..Seen::default() });
    Wait::new(ctx, format!("the tasks of ECS service {:?} to stop", cfg.name), timeout)
        .delays(Duration::from_millis(500), Duration::from_secs(10))
        .until(|| async {
            let Some(s) = describe_service(ctx, &cfg.cluster, &cfg.name).await? else { return Ok(Poll::Done(())) };
            if let Ok(mut seen) = seen.lock() {
                seen.note_events(&cfg.name, &s);
            }
            if s.running_count() == 0 && s.pending_count() == 0 {
                Ok(Poll::Done(()))
            } else {
                Ok(Poll::Pending(format!("{} running, {} pending", s.running_count(), s.pending_count())))
            }
        })
        .await
}

/// Waits until the service is INACTIVE or gone (a delete finishing, or an old one draining).
pub(super) async fn wait_inactive(ctx: &Ctx, cluster: &str, name: &str, timeout: Duration) -> Result<(), Diagnostics> {
    Wait::new(ctx, format!("ECS service {name:?} to be INACTIVE (deleted)"), timeout)
        .delays(Duration::from_millis(500), Duration::from_secs(10))
        .until(|| async {
            match describe_service(ctx, cluster, name).await? {
                Some(s) if s.status() != Some("INACTIVE") => {
                    Ok(Poll::Pending(format!("{} with {} task(s) running", s.status().unwrap_or("?"), s.running_count())))
                }
                _ => Ok(Poll::Done(())),
            }
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState};

    fn svc(running: i32, desired: i32, td: &str, rollout: DeploymentRolloutState) -> Service {
        Service::builder()
            .status("ACTIVE")
            .running_count(running)
            .desired_count(desired)
            .deployments(
                Deployment::builder()
                    .status("PRIMARY")
                    .task_definition(td)
                    .running_count(running)
                    .desired_count(desired)
                    .rollout_state(rollout)
                    .build(),
            )
            .build()
    }

    #[test]
    fn steady_only_when_the_wanted_revision_runs_complete() {
        let arn = "arn:aws:ecs:r:1:task-definition/web:2";
        assert_eq!(deployment_progress(&svc(2, 2, arn, DeploymentRolloutState::Completed), "web:2"), Progress::Done);
        assert!(
            matches!(deployment_progress(&svc(1, 2, arn, DeploymentRolloutState::InProgress), "web:2"), Progress::Pending(p) if p.contains("1 of 2"))
        );
        // The old revision completed: not what was asked for (e.g. after a rollback).
        assert!(matches!(
            deployment_progress(&svc(2, 2, "arn:aws:ecs:r:1:task-definition/web:1", DeploymentRolloutState::Completed), "web:2"),
            Progress::Pending(_)
        ));
        assert!(matches!(deployment_progress(&svc(0, 2, arn, DeploymentRolloutState::Failed), "web:2"), Progress::Failed(_)));
    }
}
