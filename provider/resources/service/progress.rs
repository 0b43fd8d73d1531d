//! How a deployment of `awsecs_service` is going (`deployment_progress`), what a wait has seen (the
//! service events and the stopped tasks with their reasons, quoted when the wait fails), and the
//! waits: for a steady state, for the tasks to stop, for the service to be INACTIVE.
//!
//! A stuck deployment ends the steady-state wait before its timeout. ECS never gives up on a task
//! it cannot place: it says "(service x) was unable to place a task because no container instance
//! met all of its requirements. …" and tries again, for ever, while the old tasks keep running. The
//! wait calls the deployment stuck when the newest service event is such an event, no task is
//! pending and no deployment's running count has changed since the wait first saw it so (`blocked`,
//! `StuckClock`); the progress line then says "stuck" and quotes the event's reason. Once it has been
//! stuck without a break for `STUCK_GRACE`, or when the timeout comes first, the wait fails with
//! "ECS service X is stuck: <reason>", the way out for that reason (a port: a minimum healthy
//! percent of 0, another container instance, a dynamic host port; memory or CPU: a larger instance
//! type, another container instance, smaller containers) and the events; never "raise the timeout",
//! which would not help. The service is left as ECS has it, still trying: a container instance that
//! joins later unsticks it, and the next apply waits again.
//!
//!
//! A deployment the circuit breaker fails ends the wait at once with ECS's rollout reason, and
//! names the revision ECS rolled back to (also when ECS has already dropped the failed deployment
//! from the list: the rollback's own reason says so). While a deployment goes on, the progress
//! line quotes ECS's newest event about failing health checks (a target group's or a container's).
//!
//! Over 500 lines: the wait, its stuck-deployment clock and the report it writes belong together;
//! about 200 lines are unit tests, which build `Service` values.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{DesiredStatus, Service};

use super::{describe_service, same_task_definition, Config};
use crate::aws::find::ecs::TaskFilter;
use crate::framework::wait::{human, Poll, Wait};
use crate::resources::Ctx;
use crate::tf::Diagnostics;

/// How long a deployment may stay stuck (the newest service event "unable to place a task", no task
/// pending, no running count changing) before the steady-state wait gives up on it. ECS itself
/// never gives up: it retries, and a container instance that joins the cluster unsticks it. Three
/// minutes covers an instance that is still booting and registering (an ECS-optimized AMI takes one
/// or two) and an old task that takes its time to stop (`stopTimeout` is at most two minutes),
/// while sparing a 20-minute wait on what will not change by itself.
pub(super) const STUCK_GRACE: Duration = Duration::from_secs(3 * 60);

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
    let primary = svc.deployments().iter().find(|d| d.status() == Some("PRIMARY"));
    let primary_runs_wanted = primary.is_some_and(|p| same_task_definition(wanted_td, p.task_definition().unwrap_or_default()));
    // The deployment this wait is for failed: the PRIMARY one, or (after a circuit breaker rolled
    // back) the one of the wanted revision that is no longer primary. An older FAILED deployment
    // that a newer one replaces is not this wait's business.
    let failed = svc.deployments().iter().find(|d| {
        d.rollout_state().map(|r| r.as_str()) == Some("FAILED")
            && (d.status() == Some("PRIMARY")
                || (!primary_runs_wanted && same_task_definition(wanted_td, d.task_definition().unwrap_or_default())))
    });
    if let Some(failed) = failed {
        let rollback = match primary.filter(|p| p.id() != failed.id()) {
            Some(p) => format!(
                "; the circuit breaker rolled back to {} (deployment {}, {}), which the service runs again",
                p.task_definition().map(|a| a.rsplit('/').next().unwrap_or(a)).unwrap_or("?"),
                p.id().unwrap_or("?"),
                p.rollout_state().map(|r| r.as_str()).unwrap_or("IN_PROGRESS")
            ),
            None => String::new(),
        };
        return Progress::Failed(format!(
            "deployment {} of {} FAILED: {}{rollback}",
            failed.id().unwrap_or("?"),
            failed.task_definition().map(|a| a.rsplit('/').next().unwrap_or(a)).unwrap_or("?"),
            failed.rollout_state_reason().unwrap_or("no reason given")
        ));
    }
    // ECS drops the failed deployment from the list once its tasks are gone; the rollback's own
    // reason ("ECS deployment circuit breaker: rolling back to deploymentId ...") then tells.
    if let Some(p) = primary.filter(|p| !primary_runs_wanted && p.rollout_state_reason().is_some_and(|r| r.contains("circuit breaker"))) {
        return Progress::Failed(format!(
            "the deployment of {} failed; the circuit breaker rolled back to {} (deployment {}, {}), which the service runs again: {}",
            wanted_td.rsplit('/').next().unwrap_or(wanted_td),
            p.task_definition().map(|a| a.rsplit('/').next().unwrap_or(a)).unwrap_or("?"),
            p.id().unwrap_or("?"),
            p.rollout_state().map(|r| r.as_str()).unwrap_or("IN_PROGRESS"),
            p.rollout_state_reason().unwrap_or_default()
        ));
    }
    let counts = format!("{} of {} tasks running, {} pending", svc.running_count(), svc.desired_count(), svc.pending_count());
    let Some(primary) = primary else {
        return if svc.running_count() == svc.desired_count() { Progress::Done } else { Progress::Pending(counts) };
    };
    let rollout = primary.rollout_state().map(|r| r.as_str().to_string());
    if !same_task_definition(wanted_td, primary.task_definition().unwrap_or_default()) {
        return Progress::Pending(format!("{counts}; the primary deployment still runs {}", primary.task_definition().unwrap_or("?")));
    }
    if svc.deployments().len() > 1 {
        return Progress::Pending(deployments_line(svc));
    }
    let complete = matches!(rollout.as_deref(), None | Some("COMPLETED"));
    if complete && svc.running_count() == svc.desired_count() && primary.running_count() == svc.desired_count() {
        Progress::Done
    } else {
        Progress::Pending(format!("{counts}; deployment {}", rollout.as_deref().unwrap_or("in progress")))
    }
}

/// The deployments' counts in words: "new deployment 0 of 1 running, old deployment 1 running"
/// (pending tasks in brackets when there are any); with one deployment, the service's counts.
fn deployments_line(svc: &Service) -> String {
    let pending = |n: i32| if n > 0 { format!(" ({n} pending)") } else { String::new() };
    if svc.deployments().len() < 2 {
        return format!("{} of {} tasks running{}", svc.running_count(), svc.desired_count(), pending(svc.pending_count()));
    }
    let mut parts = Vec::new();
    if let Some(p) = svc.deployments().iter().find(|d| d.status() == Some("PRIMARY")) {
        parts.push(format!("new deployment {} of {} running{}", p.running_count(), p.desired_count(), pending(p.pending_count())));
    }
    let old: Vec<_> = svc.deployments().iter().filter(|d| d.status() != Some("PRIMARY")).collect();
    if !old.is_empty() {
        let (running, waiting) = old.iter().fold((0, 0), |(r, w), d| (r + d.running_count(), w + d.pending_count()));
        let which = if old.len() == 1 { "old deployment".to_string() } else { format!("{} old deployments", old.len()) };
        parts.push(format!("{which} {running} running{}", pending(waiting)));
    }
    parts.join(", ")
}

/// What ECS says it lacks, from the words of its "unable to place a task" event.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shortage {
    Port,
    Memory,
    Cpu,
    NoInstance,
    Other,
}

/// A deployment that cannot go on as things are: the newest service event says ECS was unable to
/// place a task, and no task is pending.
#[derive(Debug, Clone, PartialEq)]
struct Blocked {
    /// The event's reason: what follows "met all of its requirements." (else the whole message).
    reason: String,
    shortage: Shortage,
    /// (deployment id, running count) of each deployment: progress is a change of these.
    counts: Vec<(String, i32)>,
    /// `deployments_line`.
    line: String,
    /// Tasks the old deployments still run.
    old_running: i32,
    /// deploymentConfiguration.minimumHealthyPercent.
    min_healthy: Option<i32>,
}

/// Whether the deployment is blocked now (see `Blocked`); says nothing of how long.
fn blocked(svc: &Service) -> Option<Blocked> {
    // ECS lists events newest first.
    let newest = svc.events().first()?.message()?;
    let pending = svc.pending_count() > 0 || svc.deployments().iter().any(|d| d.pending_count() > 0);
    if !newest.contains("unable to place a task") || pending {
        return None;
    }
    let reason = newest.split_once("met all of its requirements.").map(|(_, r)| r.trim()).unwrap_or_default();
    let reason = reason.strip_prefix("Reason:").unwrap_or(reason).trim();
    let reason = if reason.is_empty() { newest.trim() } else { reason };
    let words = reason.to_ascii_lowercase();
    let shortage = if words.contains("already using a port") {
        Shortage::Port
    } else if words.contains("insufficient memory") {
        Shortage::Memory
    } else if words.contains("insufficient cpu") {
        Shortage::Cpu
    } else if words.contains("no container instances were found") {
        Shortage::NoInstance
    } else {
        Shortage::Other
    };
    let mut counts: Vec<(String, i32)> =
        svc.deployments().iter().map(|d| (d.id().unwrap_or_default().to_string(), d.running_count())).collect();
    counts.push(("service".to_string(), svc.running_count()));
    Some(Blocked {
        reason: reason.to_string(),
        shortage,
        counts,
        line: deployments_line(svc),
        old_running: svc.deployments().iter().filter(|d| d.status() != Some("PRIMARY")).map(|d| d.running_count()).sum(),
        min_healthy: svc.deployment_configuration().and_then(|c| c.minimum_healthy_percent()),
    })
}

/// How long a deployment has been blocked without a break, over the polls of one wait.
#[derive(Default)]
struct StuckClock {
    /// The counts when the spell began, and when it began.
    since: Option<(Vec<(String, i32)>, Instant)>,
}

impl StuckClock {
    /// Notes one poll; how long the deployment has been stuck (None: it is not). A change of the
    /// counts is progress: the spell starts again.
    fn observe(&mut self, blocked: Option<&Blocked>, now: Instant) -> Option<Duration> {
        let Some(b) = blocked else {
            self.since = None;
            return None;
        };
        if let Some((_, began)) = self.since.as_ref().filter(|(counts, _)| *counts == b.counts) {
            return Some(now.saturating_duration_since(*began));
        }
        self.since = Some((b.counts.clone(), now));
        Some(Duration::ZERO)
    }
}

/// The summary and detail of a stuck deployment: what ECS says, since when, and the way out for
/// that reason (never a longer timeout: waiting does not place the task).
fn stuck_diagnostic(name: &str, b: &Blocked, stuck_for: Duration) -> (String, String) {
    let summary = format!("ECS service {name:?} is stuck: {}", b.reason);
    let old = b.old_running > 0;
    let keep = match b.min_healthy {
        Some(m) if old && m > 0 => format!(" deployment_minimum_healthy_percent {m} keeps the old tasks running until new ones run."),
        _ => String::new(),
    };
    let min_zero = "`deployment_minimum_healthy_percent = 0`: ECS then stops an old task first and frees its share (a short outage)";
    let mut ways = String::new();
    let mut way = |w: &str| ways.push_str(&format!("\n  - {w}"));
    match b.shortage {
        Shortage::Port => {
            if old {
                way(min_zero);
            }
            way("another container instance in the cluster, where the port is free");
            way("a dynamic host port (`host_port = 0`, behind a load balancer): several tasks can then share an instance");
        }
        Shortage::Memory | Shortage::Cpu => {
            way("a larger instance type");
            way("another container instance in the cluster");
            way("smaller containers (their `memory`, `memory_reservation` or `cpu` in the task definition)");
            if old {
                way(min_zero);
            }
        }
        Shortage::NoInstance => way("register a container instance with the cluster (an EC2 instance whose user data names the cluster)"),
        Shortage::Other => way("check the placement constraints and the container instances (attributes, agent, free resources)"),
    }
    let detail = format!(
        "ECS was unable to place a task, and the deployment has made no progress for {} ({}). ECS keeps trying, and the service stays as it is until a container instance has room for the task; waiting longer does not help.{keep}\n\nWays out:{ways}",
        human(stuck_for),
        b.line
    );
    (summary, detail)
}

/// ECS's words for failing health checks: "(service x) (port 80) is unhealthy in (target-group
/// ...) due to (reason ...)", "... failed container health checks", "... failed ELB health checks".
fn is_health_event(e: &str) -> bool {
    e.contains("is unhealthy in") || e.contains("health checks")
}

/// What a wait has seen: service events and stopped tasks, each logged once at INFO and quoted
/// when the wait fails; and whether the deployment is stuck, since when.
#[derive(Default)]
pub(super) struct Seen {
    pub(super) event_ids: HashSet<String>,
    events: Vec<String>,
    stopped_ids: HashSet<String>,
    stopped: Vec<String>,
    clock: StuckClock,
    /// The last poll's view when it found the deployment stuck, and for how long it had been.
    stuck: Option<(Blocked, Duration)>,
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

    /// Notes whether the deployment is blocked now; how long it has been stuck (None: it is not).
    fn note_blocked(&mut self, blocked: Option<Blocked>, now: Instant) -> Option<Duration> {
        let stuck_for = self.clock.observe(blocked.as_ref(), now);
        self.stuck = blocked.zip(stuck_for);
        stuck_for
    }

    /// The newest event of this wait about failing health checks (a target group's, or the
    /// containers'), for the progress line.
    fn health_news(&self) -> Option<&str> {
        self.events.iter().rev().find(|e| is_health_event(e)).map(String::as_str)
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

/// Waits until the service runs `td` with running == desired in one completed deployment; ends
/// early when the deployment has been stuck for `STUCK_GRACE` (see the module doc).
pub(super) async fn wait_steady(ctx: &Ctx, cfg: &Config, td: &str, timeout: Duration, seen: &Mutex<Seen>) -> Result<Service, Diagnostics> {
    let what = format!("ECS service {:?} to reach a steady state ({} task(s) of {})", cfg.name, cfg.desired_count, td);
    let stuck_prefix = format!("ECS service {:?} is stuck: ", cfg.name);
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
            // Stopped-task reasons are for the report only: a failure to read them never ends the wait.
            if let Err(d) = note_stopped_tasks(ctx, &cfg.cluster, &cfg.name, seen).await {
                tracing::debug!("stopped tasks not read this time: {}", d.0.first().map(|x| x.detail.as_str()).unwrap_or_default());
            }
            match deployment_progress(&svc, td) {
                Progress::Done => Ok(Poll::Done(svc)),
                Progress::Pending(p) => {
                    let blocked_now = blocked(&svc);
                    let stuck_for = seen.lock().ok().and_then(|mut s| s.note_blocked(blocked_now.clone(), Instant::now()));
                    match (blocked_now, stuck_for) {
                        (Some(b), Some(t)) if t >= STUCK_GRACE => {
                            let (summary, detail) = stuck_diagnostic(&cfg.name, &b, t);
                            Err(Diagnostics::of_error(summary, detail))
                        }
                        (Some(b), Some(_)) => Ok(Poll::Pending(format!("{p}; stuck, no task can be placed: {}", b.reason))),
                        _ => match seen.lock().ok().and_then(|s| s.health_news().map(str::to_string)) {
                            Some(news) => Ok(Poll::Pending(format!("{p}; ECS says: {news}"))),
                            None => Ok(Poll::Pending(p)),
                        },
                    }
                }
                Progress::Failed(why) => {
                    Err(Diagnostics::of_error(format!("ECS service {:?} did not reach a steady state: {why}", cfg.name), ""))
                }
            }
        })
        .await;
    result.map_err(|mut d| {
        if let (Ok(s), Some(first)) = (seen.lock(), d.0.first_mut()) {
            // The timeout came while stuck: say what blocks it instead of suggesting a longer one.
            if let Some((b, t)) = s.stuck.as_ref().filter(|_| first.summary.starts_with("Timed out")) {
                let (summary, detail) = stuck_diagnostic(&cfg.name, b, *t);
                first.detail = format!("{}.\n\n{detail}", first.summary);
                first.summary = summary;
            }
            if let Some(h) = s.headline().filter(|_| !first.summary.starts_with(&stuck_prefix)) {
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
    use aws_sdk_ecs::types::{Deployment, DeploymentConfiguration, DeploymentRolloutState, ServiceEvent};

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

    fn deployment(id: &str, status: &str, rev: u32, rollout: DeploymentRolloutState) -> Deployment {
        Deployment::builder()
            .id(id)
            .status(status)
            .task_definition(format!("arn:aws:ecs:r:1:task-definition/web:{rev}"))
            .rollout_state(rollout)
            .rollout_state_reason("ECS deployment circuit breaker: tasks failed to start.")
            .build()
    }

    #[test]
    fn a_failed_deployment_ends_the_wait_only_when_it_is_this_waits() {
        use DeploymentRolloutState::{Failed, InProgress};
        let with = |ds: Vec<Deployment>| Service::builder().status("ACTIVE").desired_count(2).set_deployments(Some(ds)).build();
        // Rolled back: web:2 failed, the primary runs web:1 again.
        let rolled_back = with(vec![deployment("ecs-svc/3", "PRIMARY", 1, InProgress), deployment("ecs-svc/2", "ACTIVE", 2, Failed)]);
        match deployment_progress(&rolled_back, "web:2") {
            Progress::Failed(why) => {
                assert!(why.contains("web:2 FAILED: ECS deployment circuit breaker: tasks failed to start."), "{why}");
                assert!(why.contains("rolled back to web:1"), "{why}");
            }
            other => panic!("{other:?}"),
        }
        // No rollback: the primary itself failed.
        let stalled = with(vec![deployment("ecs-svc/2", "PRIMARY", 2, Failed)]);
        assert!(matches!(deployment_progress(&stalled, "web:2"), Progress::Failed(why) if !why.contains("rolled back")));
        // Fixed forward: web:3 goes out while the failed web:2 deployment still drains.
        let forward = with(vec![deployment("ecs-svc/4", "PRIMARY", 3, InProgress), deployment("ecs-svc/2", "ACTIVE", 2, Failed)]);
        assert!(matches!(deployment_progress(&forward, "web:3"), Progress::Pending(_)));
        // Rolled back, and the failed deployment already gone from the list.
        let mut back = deployment("ecs-svc/3", "PRIMARY", 1, InProgress);
        back.rollout_state_reason = Some("ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.".into());
        match deployment_progress(&with(vec![back.clone()]), "web:2") {
            Progress::Failed(why) => assert!(why.contains("rolled back to web:1"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(!matches!(deployment_progress(&with(vec![back]), "web:1"), Progress::Failed(_)), "waiting for web:1 itself");
        // web:2 again, after a rollback: the old failure is not this wait's.
        let again = with(vec![deployment("ecs-svc/5", "PRIMARY", 2, InProgress), deployment("ecs-svc/2", "ACTIVE", 2, Failed)]);
        assert!(matches!(deployment_progress(&again, "web:2"), Progress::Pending(_)));
    }

    const PORT: &str = "(service web) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance 5d3e) is already using a port required by your task.";
    const MEMORY: &str = "(service web) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance 5d3e) has insufficient memory available.";

    /// A rolling deployment of web:2 over web:1, desired 1; `events` newest first.
    fn rolling(new: (i32, i32), old_running: i32, events: &[&str]) -> Service {
        let deployment = |id: &str, status: &str, rev: u32, desired: i32, (running, pending): (i32, i32)| {
            Deployment::builder()
                .id(id)
                .status(status)
                .task_definition(format!("arn:aws:ecs:r:1:task-definition/web:{rev}"))
                .desired_count(desired)
                .running_count(running)
                .pending_count(pending)
                .rollout_state(DeploymentRolloutState::InProgress)
                .build()
        };
        let mut b = Service::builder()
            .status("ACTIVE")
            .desired_count(1)
            .running_count(new.0 + old_running)
            .pending_count(new.1)
            .deployment_configuration(DeploymentConfiguration::builder().minimum_healthy_percent(100).maximum_percent(200).build())
            .deployments(deployment("ecs-svc/2", "PRIMARY", 2, 1, new))
            .deployments(deployment("ecs-svc/1", "ACTIVE", 1, old_running, (old_running, 0)));
        for (i, e) in events.iter().enumerate() {
            b = b.events(ServiceEvent::builder().id(format!("e{i}")).message(*e).build());
        }
        b.build()
    }

    #[test]
    fn a_rolling_deployment_says_new_and_old() {
        let started = "(service web) has started 1 tasks: (task 1a2b).";
        let p = deployment_progress(&rolling((0, 1), 1, &[started]), "web:2");
        assert_eq!(p, Progress::Pending("new deployment 0 of 1 running (1 pending), old deployment 1 running".into()));
        let p = deployment_progress(&rolling((0, 0), 1, &[PORT]), "web:2");
        assert_eq!(p, Progress::Pending("new deployment 0 of 1 running, old deployment 1 running".into()));
    }

    #[test]
    fn blocked_only_when_the_newest_event_cannot_place_and_nothing_is_pending() {
        let b = blocked(&rolling((0, 0), 1, &[PORT, "(service web) has started 1 tasks: (task 1a2b)."])).expect("blocked");
        assert_eq!(b.shortage, Shortage::Port);
        assert_eq!(b.reason, "The closest matching (container-instance 5d3e) is already using a port required by your task.");
        assert_eq!((b.old_running, b.min_healthy), (1, Some(100)));
        assert_eq!(b.line, "new deployment 0 of 1 running, old deployment 1 running");
        let m = blocked(&rolling((0, 0), 1, &[MEMORY])).expect("blocked");
        assert_eq!(m.shortage, Shortage::Memory);
        // A task on its way is progress; so is a newer event.
        assert_eq!(blocked(&rolling((0, 1), 1, &[PORT])), None);
        assert_eq!(blocked(&rolling((1, 0), 1, &["(service web) has started 1 tasks: (task 1a2b).", PORT])), None);
        assert_eq!(blocked(&rolling((0, 0), 1, &[])), None);
        let none = "(service web) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster.";
        let created = Service::builder()
            .status("ACTIVE")
            .desired_count(1)
            .deployments(Deployment::builder().id("ecs-svc/1").status("PRIMARY").desired_count(1).build())
            .events(ServiceEvent::builder().id("e0").message(none).build())
            .build();
        let n = blocked(&created).expect("blocked");
        assert_eq!((n.shortage, n.reason.as_str()), (Shortage::NoInstance, "No Container Instances were found in your cluster."));
        assert_eq!((n.line.as_str(), n.old_running), ("0 of 1 tasks running", 0));
    }

    #[test]
    fn the_clock_runs_while_nothing_moves() {
        let t0 = Instant::now();
        let stuck = blocked(&rolling((0, 0), 1, &[PORT]));
        let mut clock = StuckClock::default();
        assert_eq!(clock.observe(stuck.as_ref(), t0), Some(Duration::ZERO));
        assert_eq!(clock.observe(stuck.as_ref(), t0 + Duration::from_secs(200)), Some(Duration::from_secs(200)));
        assert!(clock.observe(stuck.as_ref(), t0 + STUCK_GRACE) >= Some(STUCK_GRACE));
        // The old task stopped (progress), and placement failed again: the spell starts again.
        let moved = blocked(&rolling((0, 0), 0, &[PORT]));
        assert_eq!(clock.observe(moved.as_ref(), t0 + Duration::from_secs(300)), Some(Duration::ZERO));
        assert_eq!(clock.observe(moved.as_ref(), t0 + Duration::from_secs(310)), Some(Duration::from_secs(10)));
        // A poll that is not blocked breaks the spell.
        assert_eq!(clock.observe(None, t0 + Duration::from_secs(320)), None);
        assert_eq!(clock.observe(moved.as_ref(), t0 + Duration::from_secs(330)), Some(Duration::ZERO));

        let mut seen = Seen::default();
        assert_eq!(seen.note_blocked(stuck.clone(), t0), Some(Duration::ZERO));
        assert_eq!(seen.note_blocked(stuck, t0 + Duration::from_secs(5)), Some(Duration::from_secs(5)));
        assert!(seen.stuck.is_some());
        assert_eq!(seen.note_blocked(None, t0 + Duration::from_secs(6)), None);
        assert!(seen.stuck.is_none());
    }

    #[test]
    fn a_stuck_deployment_names_the_fix_for_its_reason() {
        let port = blocked(&rolling((0, 0), 1, &[PORT])).expect("blocked");
        let (summary, detail) = stuck_diagnostic("web", &port, STUCK_GRACE);
        assert_eq!(summary, format!("ECS service \"web\" is stuck: {}", port.reason));
        assert!(summary.ends_with("(container-instance 5d3e) is already using a port required by your task."), "{summary}");
        assert!(detail.contains("no progress for 3m (new deployment 0 of 1 running, old deployment 1 running)"), "{detail}");
        assert!(detail.contains("deployment_minimum_healthy_percent 100 keeps the old tasks running"), "{detail}");
        assert!(detail.contains("`deployment_minimum_healthy_percent = 0`"), "{detail}");
        assert!(detail.contains("another container instance") && detail.contains("`host_port = 0`"), "{detail}");
        assert!(!detail.contains("timeout") && !detail.contains("larger instance type"), "{detail}");

        let memory = blocked(&rolling((0, 0), 1, &[MEMORY])).expect("blocked");
        let (summary, detail) = stuck_diagnostic("web", &memory, Duration::from_secs(40));
        assert!(summary.ends_with("has insufficient memory available."), "{summary}");
        assert!(detail.contains("no progress for 40s"), "{detail}");
        assert!(detail.contains("a larger instance type") && detail.contains("smaller containers"), "{detail}");
        assert!(detail.contains("another container instance"), "{detail}");
        assert!(!detail.contains("timeout") && !detail.contains("host_port"), "{detail}");
    }
}
