//! `awsecs_service`: keeps N copies of a task definition running in a cluster ("Create a service" in
//! the ECS console), and says why when ECS cannot.

use async_trait::async_trait;
use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_ecs::types::{
    ContainerInstanceStatus, DeploymentConfiguration, DesiredStatus, LaunchType, PlacementConstraint, PlacementConstraintType,
    PlacementStrategy, PlacementStrategyType, Service,
};

use super::tags::{self, Tagged};
use crate::aws::errors::{describe, AwsError};
use crate::aws::find::ecs::TaskFilter;
use crate::aws::tags as aws_tags;
use crate::resources::names::ecs_name;
use crate::framework::validate::{int_between, one_of};
use crate::framework::wait::{Poll, Wait};
use crate::framework::{Failed, PlanRequest, Resource};
use crate::resources::Ctx;
use crate::framework::timeouts::timeouts_block;
use crate::tf::{AttrPath, Attribute, Block, Diagnostics, NestedBlock, Schema, Type, Value};

pub struct ServiceResource;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);
const STRATEGY_TYPES: &[&str] = &["spread", "binpack", "random"];
const CONSTRAINT_TYPES: &[&str] = &["distinctInstance", "memberOf"];

/// The arguments, decoded once.
struct Config {
    name: String,
    cluster: String,
    task_definition: String,
    desired_count: i32,
    launch_type: String,
    min_healthy: i32,
    max_percent: i32,
    strategies: Vec<(String, Option<String>)>,
    constraints: Vec<(String, Option<String>)>,
    grace: Option<i32>,
    force_new_deployment: bool,
    wait: bool,
    tags_all: BTreeMap<String, String>,
}

fn pairs(v: &Value, a: &str, b: &str) -> Vec<(String, Option<String>)> {
    v.as_list()
        .unwrap_or(&[])
        .iter()
        .map(|item| (item.get(a).as_str().unwrap_or_default().to_string(), item.get(b).as_str().map(str::to_string)))
        .collect()
}

fn int(v: &Value, default: i64) -> i32 {
    v.as_i64().unwrap_or(default).clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

impl Config {
    fn from(v: &Value) -> Config {
        Config {
            name: v.get("name").as_str().unwrap_or_default().to_string(),
            cluster: v.get("cluster").as_str().unwrap_or_default().to_string(),
            task_definition: v.get("task_definition").as_str().unwrap_or_default().to_string(),
            desired_count: int(v.get("desired_count"), 1),
            launch_type: v.get("launch_type").as_str().unwrap_or("EC2").to_string(),
            min_healthy: int(v.get("deployment_minimum_healthy_percent"), 100),
            max_percent: int(v.get("deployment_maximum_percent"), 200),
            strategies: pairs(v.get("ordered_placement_strategy"), "type", "field"),
            constraints: pairs(v.get("placement_constraint"), "type", "expression"),
            grace: v.get("health_check_grace_period_seconds").as_i64().map(|n| n.clamp(0, i32::MAX as i64) as i32),
            force_new_deployment: v.get("force_new_deployment").as_bool().unwrap_or(false),
            wait: v.get("wait_for_steady_state").as_bool().unwrap_or(true),
            tags_all: v.get("tags_all").to_string_map(),
        }
    }

    fn deployment_configuration(&self) -> DeploymentConfiguration {
        DeploymentConfiguration::builder().minimum_healthy_percent(self.min_healthy).maximum_percent(self.max_percent).build()
    }

    fn placement_strategy(&self) -> Vec<PlacementStrategy> {
        self.strategies
            .iter()
            .map(|(t, f)| PlacementStrategy::builder().r#type(PlacementStrategyType::from(t.as_str())).set_field(f.clone()).build())
            .collect()
    }

    fn placement_constraints(&self) -> Vec<PlacementConstraint> {
        self.constraints
            .iter()
            .map(|(t, e)| PlacementConstraint::builder().r#type(PlacementConstraintType::from(t.as_str())).set_expression(e.clone()).build())
            .collect()
    }
}

// ----------------------------------------------------------------------------------------------
// Pure helpers (unit-tested below)

pub use super::cluster::cluster_name;

/// Whether a task definition reference (ARN or `family:revision`) names the task definition `actual`
/// (either form) refers to.
pub fn same_task_definition(wanted: &str, actual: &str) -> bool {
    let short = |s: &str| s.rsplit_once(":task-definition/").map(|(_, f)| f.to_string()).unwrap_or_else(|| s.to_string());
    wanted == actual || short(wanted) == short(actual)
}

/// `task_definition` must be an ARN or `family:revision` (a bare family would float to the newest
/// revision behind Terraform's back).
pub fn check_task_definition_ref(s: &str) -> Result<(), String> {
    let short = match s.rsplit_once(":task-definition/") {
        Some((prefix, rest)) if prefix.starts_with("arn:") => rest,
        _ if s.starts_with("arn:") => {
            return Err(format!("{s:?} is not a task definition ARN (arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION)."))
        }
        _ => s,
    };
    match short.rsplit_once(':') {
        Some((family, rev)) if !family.is_empty() && !rev.is_empty() && rev.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => Err(format!(
            "{s:?} does not name one revision. Use the task definition ARN (e.g. `awsecs_task_definition.x.arn`) or FAMILY:REVISION such as \"wordpress:3\"."
        )),
    }
}

/// `cluster/service` (either may be an ARN's last part) from an import id.
pub fn parse_import_id(id: &str) -> Option<(String, String)> {
    // A service ARN: arn:aws:ecs:r:a:service/CLUSTER/NAME
    if let Some((_, rest)) = id.rsplit_once(":service/") {
        let (c, s) = rest.split_once('/')?;
        return (!c.is_empty() && !s.is_empty()).then(|| (c.to_string(), s.to_string()));
    }
    let (c, s) = id.rsplit_once('/')?;
    (!c.is_empty() && !s.is_empty() && !s.contains(':')).then(|| (c.to_string(), s.to_string()))
}

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

/// (cpu units, MiB) a task of this definition needs: task-level values when set, otherwise the sum
/// over its containers (memory, else memoryReservation).
pub fn task_requirements(td: &aws_sdk_ecs::types::TaskDefinition) -> (i64, i64) {
    let containers = td.container_definitions();
    let cpu = td
        .cpu()
        .and_then(|c| c.trim().parse::<i64>().ok())
        .unwrap_or_else(|| containers.iter().map(|c| c.cpu() as i64).sum());
    let memory = td
        .memory()
        .and_then(|m| m.trim().parse::<i64>().ok())
        .unwrap_or_else(|| containers.iter().map(|c| c.memory().or(c.memory_reservation()).unwrap_or(0) as i64).sum());
    (cpu, memory)
}

// ----------------------------------------------------------------------------------------------
// State

/// The resource value for a service AWS described. `prior` supplies what AWS does not keep: the
/// form (name or ARN) the configuration uses for the cluster and task definition, the Terraform-only
/// settings, and which tags came from the configuration.
fn to_state(s: &Service, prior: &Value, default_tags: &BTreeMap<String, String>) -> Value {
    let (tags, tags_all) = tags::split(&aws_tags::from_ecs(s.tags()), default_tags, prior.get("tags"));
    let arn = Value::opt_string(s.service_arn());
    let cluster_arn = s.cluster_arn().unwrap_or_default();
    let cluster = match prior.get("cluster").as_str() {
        Some(c) if c == cluster_arn || cluster_name(c) == cluster_name(cluster_arn) => c.to_string(),
        _ => cluster_arn.to_string(),
    };
    let aws_td = s.task_definition().unwrap_or_default();
    let task_definition = match prior.get("task_definition").as_str() {
        Some(t) if same_task_definition(t, aws_td) => t.to_string(),
        _ => aws_td.to_string(),
    };
    let dc = s.deployment_configuration();
    let keep_int = |name: &str, aws: Option<i32>, default: i64| match aws {
        Some(n) => Value::int(n as i64),
        None => Value::int(prior.get(name).as_i64().unwrap_or(default)),
    };
    let prior_strategies = prior.get("ordered_placement_strategy").as_list().unwrap_or(&[]).to_vec();
    let strategies = s
        .placement_strategy()
        .iter()
        .enumerate()
        .map(|(i, p)| {
            // ECS may change the case of `field` (memory / MEMORY): keep the configured spelling.
            let field = p.field().map(|f| match prior_strategies.get(i).and_then(|x| x.get("field").as_str()) {
                Some(pf) if pf.eq_ignore_ascii_case(f) => pf.to_string(),
                _ => f.to_string(),
            });
            Value::object([("type", Value::opt_string(p.r#type().map(|t| t.as_str()))), ("field", Value::opt_string(field))])
        })
        .collect();
    let constraints = s
        .placement_constraints()
        .iter()
        .map(|p| {
            Value::object([
                ("type", Value::opt_string(p.r#type().map(|t| t.as_str()))),
                ("expression", Value::opt_string(p.expression())),
            ])
        })
        .collect();
    let grace = match s.health_check_grace_period_seconds() {
        Some(0) if prior.get("health_check_grace_period_seconds").is_null() => Value::Null,
        other => Value::opt_int(other.map(i64::from)),
    };
    let primary = s.deployments().iter().find(|d| d.status() == Some("PRIMARY"));
    Value::object([
        ("id", arn.clone()),
        ("arn", arn),
        ("name", Value::opt_string(s.service_name())),
        ("cluster", cluster.into()),
        ("task_definition", task_definition.into()),
        ("desired_count", Value::int(s.desired_count() as i64)),
        (
            "launch_type",
            Value::string(s.launch_type().map(|l| l.as_str().to_string()).or(prior.get("launch_type").as_str().map(str::to_string)).unwrap_or("EC2".into())),
        ),
        ("deployment_minimum_healthy_percent", keep_int("deployment_minimum_healthy_percent", dc.and_then(|d| d.minimum_healthy_percent()), 100)),
        ("deployment_maximum_percent", keep_int("deployment_maximum_percent", dc.and_then(|d| d.maximum_percent()), 200)),
        ("ordered_placement_strategy", Value::List(strategies)),
        ("placement_constraint", Value::List(constraints)),
        ("health_check_grace_period_seconds", grace),
        ("force_new_deployment", Value::Bool(prior.get("force_new_deployment").as_bool().unwrap_or(false))),
        ("wait_for_steady_state", Value::Bool(prior.get("wait_for_steady_state").as_bool().unwrap_or(true))),
        ("running_count", Value::int(s.running_count() as i64)),
        ("pending_count", Value::int(s.pending_count() as i64)),
        ("status", Value::opt_string(s.status())),
        ("deployment_status", Value::opt_string(primary.and_then(|d| d.rollout_state()).map(|r| r.as_str().to_string()))),
        ("tags", tags),
        ("tags_all", tags_all),
    ])
}

/// What is left in state when the service exists but could not be described or did not settle.
fn minimal_state(planned: &Value, s: Option<&Service>) -> Value {
    let mut v = planned.clone();
    if let Some(arn) = s.and_then(|s| s.service_arn()) {
        v.set("id", arn.into());
        v.set("arn", arn.into());
    }
    if let Some(s) = s {
        v.set("running_count", Value::int(s.running_count() as i64));
        v.set("pending_count", Value::int(s.pending_count() as i64));
        v.set("status", Value::opt_string(s.status()));
    }
    v
}

// ----------------------------------------------------------------------------------------------
// AWS calls

/// The service, whatever its status (callers decide what INACTIVE and DRAINING mean).
async fn describe_service(ctx: &Ctx, cluster: &str, name: &str) -> Result<Option<Service>, Diagnostics> {
    ctx.aws
        .find_service(cluster, name)
        .await
        .map_err(|e| Diagnostics::of_error(format!("Cannot read ECS service {name:?} in cluster {cluster:?}"), e.to_string()))
}

/// What a wait has seen: service events and stopped tasks, each logged once at INFO and quoted
/// when the wait fails.
#[derive(Default)]
struct Seen {
    event_ids: HashSet<String>,
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
        self.events
            .iter()
            .rev()
            .find(|e| e.contains("unable to place"))
            .or_else(|| self.stopped.last())
            .map(|s| s.to_string())
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
            .filter_map(|c| Some(format!("{} exit {}{}", c.name()?, c.exit_code()?, c.reason().map(|r| format!(" ({r})")).unwrap_or_default())))
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

impl ServiceResource {
    /// Waits until the service runs `td` with running == desired in one completed deployment.
    async fn wait_steady(&self, ctx: &Ctx, cfg: &Config, td: &str, timeout: Duration, seen: &Mutex<Seen>) -> Result<Service, Diagnostics> {
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
                    Progress::Failed(why) => Err(Diagnostics::of_error(format!("ECS service {:?} did not reach a steady state: {why}", cfg.name), "")),
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

    /// Waits until the service is INACTIVE or gone (a delete finishing, or an old one draining).
    async fn wait_inactive(&self, ctx: &Ctx, cluster: &str, name: &str, timeout: Duration) -> Result<(), Diagnostics> {
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

    /// Plan-time capacity check: warns when no ACTIVE container instance of the cluster has
    /// registered enough memory or CPU for one task.
    async fn capacity_warning(&self, ctx: &Ctx, cluster: &str, td_ref: &str, diags: &mut Diagnostics) -> Result<(), String> {
        let Some((td, _)) = ctx.aws.find_task_definition(td_ref).await.map_err(|e| e.to_string())? else { return Ok(()) };
        let (cpu, memory) = task_requirements(&td);
        let active = ctx.aws.list_container_instance_arns(cluster, Some(ContainerInstanceStatus::Active)).await.map_err(|e| e.to_string())?;
        if active.is_empty() {
            return Ok(());
        }
        let mut max_cpu = 0i64;
        let mut max_mem = 0i64;
        let mut types = Vec::new();
        for ci in ctx.aws.describe_container_instances(cluster, &active).await.map_err(|e| e.to_string())? {
            for r in ci.registered_resources() {
                match r.name() {
                    Some("CPU") => max_cpu = max_cpu.max(r.integer_value() as i64),
                    Some("MEMORY") => max_mem = max_mem.max(r.integer_value() as i64),
                    _ => {}
                }
            }
            if let Some(t) = ci.attributes().iter().find(|a| a.name() == "ecs.instance-type").and_then(|a| a.value()) {
                if !types.contains(&t.to_string()) {
                    types.push(t.to_string());
                }
            }
        }
        let kinds = if types.is_empty() { String::new() } else { format!(" ({})", types.join(", ")) };
        if memory > max_mem {
            diags.warning_at(
                AttrPath::root("task_definition"),
                format!("No container instance of cluster {cluster:?} has enough memory for a task of {td_ref}"),
                format!("One task needs {memory} MiB; the largest ACTIVE container instance{kinds} registered {max_mem} MiB. ECS will not place the task and the apply will wait until it times out. Lower the containers' `memory` or use a larger instance type (a t2.micro registers about 990 MiB)."),
            );
        }
        if cpu > max_cpu {
            diags.warning_at(
                AttrPath::root("task_definition"),
                format!("No container instance of cluster {cluster:?} has enough CPU for a task of {td_ref}"),
                format!("One task needs {cpu} CPU units; the largest ACTIVE container instance{kinds} registered {max_cpu} (1024 units = one vCPU). Lower the containers' `cpu` or use a larger instance type."),
            );
        }
        Ok(())
    }

    /// Updates tags from `prior` to `cfg` (TagResource / UntagResource).
    async fn update_tags(&self, ctx: &Ctx, arn: &str, prior: &Value, cfg: &Config) -> Result<(), Diagnostics> {
        let planned = Value::string_map(cfg.tags_all.iter());
        tags::update(ctx, Tagged::Ecs(arn), prior.get("tags_all"), &planned, &format!("ECS service {:?}", cfg.name)).await
    }
}

fn strategy_block() -> Block {
    Block::new("How ECS picks container instances for new tasks, applied in order (at most 5).")
        .attr(Attribute::required("type", Type::String).validate(one_of(STRATEGY_TYPES)).describe("`spread`, `binpack` or `random`."))
        .attr(Attribute::optional("field", Type::String).describe(
            "For `spread`: `instanceId` or an attribute such as `attribute:ecs.availability-zone`; for `binpack`: `cpu` or `memory`; not used by `random`.",
        ))
}

fn constraint_block() -> Block {
    Block::new("Rules a container instance must meet to run a task of this service (at most 10).")
        .attr(Attribute::required("type", Type::String).validate(one_of(CONSTRAINT_TYPES)).describe("`distinctInstance` (each task on a different instance) or `memberOf`."))
        .attr(Attribute::optional("expression", Type::String).describe("Cluster query language expression; required for `memberOf`, not allowed for `distinctInstance`."))
}

#[async_trait]
impl Resource<Ctx> for ServiceResource {
    fn type_name(&self) -> &'static str {
        "awsecs_service"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("An ECS service: keeps `desired_count` tasks of a task definition running on the cluster's container instances (\"Create a service\" in the console). Creates and updates wait until the deployment is complete and says why when it cannot be (the service events and the reasons tasks stopped).\n\nImport with `CLUSTER/SERVICE`: `terraform import awsecs_service.wp wordpress/wordpress`.")
                .attr(Attribute::computed("id", Type::String).describe("The service ARN."))
                .attr(Attribute::computed("arn", Type::String).describe("The service ARN."))
                .attr(Attribute::required("name", Type::String).force_new().validate(ecs_name(255)).describe("Service name, unique in the cluster: 1-255 letters, digits, hyphens and underscores. Changing it creates a new service."))
                .attr(Attribute::required("cluster", Type::String).force_new().equivalent_when(super::cluster::same_cluster).describe("Name or ARN of the cluster the service runs in. Changing it creates a new service."))
                .attr(Attribute::required("task_definition", Type::String).validate(|v| check_task_definition_ref(v.as_str().unwrap_or(""))).describe("The task definition to run: its ARN or `FAMILY:REVISION`. A new revision is rolled out in place."))
                .attr(Attribute::optional("desired_count", Type::Number).default(Value::int(1)).validate(int_between(0, 100_000)).describe("How many tasks to keep running. Default 1."))
                .attr(Attribute::optional("launch_type", Type::String).default("EC2").force_new().validate(one_of(&["EC2", "FARGATE", "EXTERNAL"])).describe("`EC2` (default: the cluster's container instances), `FARGATE` or `EXTERNAL`. Changing it creates a new service."))
                .attr(Attribute::optional("deployment_minimum_healthy_percent", Type::Number).default(Value::int(100)).validate(int_between(0, 100)).describe("Lower limit, in percent of `desired_count`, of tasks kept running during a deployment. Default 100."))
                .attr(Attribute::optional("deployment_maximum_percent", Type::Number).default(Value::int(200)).validate(int_between(100, 200)).describe("Upper limit, in percent of `desired_count`, of tasks running during a deployment. Default 200."))
                .attr(Attribute::optional("health_check_grace_period_seconds", Type::Number).validate(int_between(0, 2_147_483_647)).describe("Seconds ECS ignores failing load-balancer health checks of a new task."))
                .attr(Attribute::optional("force_new_deployment", Type::Bool).default(false).describe("When true, every update that changes the service (task definition, count, deployment or placement settings) also replaces its running tasks, e.g. to pick up a new image under the same tag."))
                .attr(Attribute::optional("wait_for_steady_state", Type::Bool).default(true).describe("Wait, on create and update, until the deployment is complete and `desired_count` tasks run. Default true."))
                .attr(Attribute::computed("running_count", Type::Number).volatile().describe("Tasks RUNNING, as of the last refresh."))
                .attr(Attribute::computed("pending_count", Type::Number).volatile().describe("Tasks PENDING, as of the last refresh."))
                .attr(Attribute::computed("status", Type::String).volatile().describe("`ACTIVE`, `DRAINING` or `INACTIVE`."))
                .attr(Attribute::computed("deployment_status", Type::String).volatile().describe("Rollout state of the primary deployment: `COMPLETED`, `IN_PROGRESS` or `FAILED`."))
                .attr(tags::tags_attribute())
                .attr(tags::tags_all_attribute())
                .block(NestedBlock::list("ordered_placement_strategy", strategy_block()).max_items(5))
                .block(NestedBlock::list("placement_constraint", constraint_block()).max_items(10))
                .block(timeouts_block(&["create", "update", "delete"])),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        for (i, c) in config.get("placement_constraint").as_list().unwrap_or(&[]).iter().enumerate() {
            let p = AttrPath::root("placement_constraint").index(i).attr("expression");
            match (c.get("type").as_str(), c.get("expression")) {
                (Some("memberOf"), e) if e.is_null() => diags.error_at(p, "A memberOf constraint needs an expression", "Set `expression`, for example `attribute:ecs.instance-type =~ t3.*`."),
                (Some("distinctInstance"), e) if !e.is_null() => diags.error_at(p, "A distinctInstance constraint takes no expression", "Remove `expression`, or use type `memberOf`."),
                _ => {}
            }
        }
        for (i, s) in config.get("ordered_placement_strategy").as_list().unwrap_or(&[]).iter().enumerate() {
            let p = AttrPath::root("ordered_placement_strategy").index(i).attr("field");
            match (s.get("type").as_str(), s.get("field")) {
                (Some("random"), f) if !f.is_null() => diags.error_at(p, "A random placement strategy takes no field", "Remove `field`."),
                (Some("binpack"), f) if f.as_str().is_some_and(|f| !["cpu", "memory"].contains(&f.to_ascii_lowercase().as_str())) => {
                    diags.error_at(p, "A binpack placement strategy packs by cpu or memory", format!("Set `field` to \"cpu\" or \"memory\", not {:?}.", f.as_str().unwrap_or_default()))
                }
                (Some("spread" | "binpack"), f) if f.is_null() => diags.error_at(p, "This placement strategy needs a field", "Set `field` (spread: `instanceId` or `attribute:...`; binpack: `cpu` or `memory`)."),
                _ => {}
            }
        }
        if let (Some(min), Some(max)) = (config.get("deployment_minimum_healthy_percent").as_i64(), config.get("deployment_maximum_percent").as_i64()) {
            if max < min {
                diags.error_at(AttrPath::root("deployment_maximum_percent"), "deployment_maximum_percent is below deployment_minimum_healthy_percent", format!("{max} < {min}: ECS could never start a new task during a deployment."));
            }
        }
    }

    async fn modify_plan(&self, ctx: Option<&Ctx>, req: &PlanRequest<'_>, planned: &mut Value, diags: &mut Diagnostics) {
        let Some(ctx) = ctx else { return };
        let (Some(cluster), Some(td)) = (planned.get("cluster").as_str(), planned.get("task_definition").as_str()) else {
            return; // unknown until apply: nothing to check
        };
        let changed = req.create || req.replace || req.prior.get("task_definition").as_str() != Some(td);
        if !changed || planned.get("launch_type").as_str() != Some("EC2") {
            return;
        }
        if let Err(e) = self.capacity_warning(ctx, cluster, td, diags).await {
            tracing::debug!(cluster, task_definition = td, "capacity check skipped: {e}");
        }
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, Failed> {
        let cfg = Config::from(planned);
        let timeout = ctx.timeout(planned, "create", DEFAULT_TIMEOUT);
        // ECS refuses a second service of the same name while the old one is still DRAINING.
        match describe_service(ctx, &cfg.cluster, &cfg.name).await? {
            Some(s) if s.status() == Some("ACTIVE") => {
                return Err(Diagnostics::of_error(
                    format!("ECS service {:?} already exists in cluster {:?}", cfg.name, cfg.cluster),
                    format!("Bring it under Terraform with `terraform import <address> {}/{}`, or choose another name.", cluster_name(&cfg.cluster), cfg.name),
                )
                .into())
            }
            Some(s) if s.status() == Some("DRAINING") => {
                tracing::info!(service = %cfg.name, "an older service of the same name is DRAINING: waiting for it to be gone");
                self.wait_inactive(ctx, &cfg.cluster, &cfg.name, timeout).await?;
            }
            _ => {}
        }
        tracing::info!(service = %cfg.name, cluster = %cfg.cluster, task_definition = %cfg.task_definition, desired = cfg.desired_count, "creating ECS service");
        let strategies = cfg.placement_strategy();
        let constraints = cfg.placement_constraints();
        let out = ctx
            .aws
            .ecs
            .create_service()
            .cluster(&cfg.cluster)
            .service_name(&cfg.name)
            .task_definition(&cfg.task_definition)
            .desired_count(cfg.desired_count)
            .launch_type(LaunchType::from(cfg.launch_type.as_str()))
            .deployment_configuration(cfg.deployment_configuration())
            .set_placement_strategy((!strategies.is_empty()).then_some(strategies))
            .set_placement_constraints((!constraints.is_empty()).then_some(constraints))
            .set_health_check_grace_period_seconds(cfg.grace)
            .set_tags(aws_tags::to_ecs(&cfg.tags_all))
            .send()
            .await
            .map_err(|e| Diagnostics::of_error(format!("Cannot create ECS service {:?} in cluster {:?}", cfg.name, cfg.cluster), describe(&e)))?;
        let created = out.service().cloned();
        let partial = |svc: Option<&Service>| minimal_state(planned, svc.or(created.as_ref()));
        let seen = Mutex::new(Seen::default());
        let svc = if cfg.wait {
            match self.wait_steady(ctx, &cfg, &cfg.task_definition, timeout, &seen).await {
                Ok(s) => s,
                Err(d) => {
                    let now = describe_service(ctx, &cfg.cluster, &cfg.name).await.ok().flatten();
                    let state = now.as_ref().map(|s| to_state(s, planned, &ctx.default_tags)).unwrap_or_else(|| partial(None));
                    return Err(Failed::with_partial(d, state));
                }
            }
        } else {
            match describe_service(ctx, &cfg.cluster, &cfg.name).await {
                Ok(Some(s)) => s,
                Ok(None) => return Err(Failed::with_partial(Diagnostics::of_error(format!("ECS service {:?} disappeared right after it was created", cfg.name), "Run `terraform apply` again."), partial(None))),
                Err(d) => return Err(Failed::with_partial(d, partial(None))),
            }
        };
        Ok(to_state(&svc, planned, &ctx.default_tags))
    }

    async fn read(&self, ctx: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let cluster = state.get("cluster").as_str().unwrap_or_default();
        let name = state.get("name").as_str().unwrap_or_default();
        let found = describe_service(ctx, cluster, name).await?;
        Ok(found.filter(|s| s.status() != Some("INACTIVE")).map(|s| to_state(&s, state, &ctx.default_tags)))
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, Failed> {
        let cfg = Config::from(planned);
        let old = Config::from(prior);
        let arn = prior.get("arn").as_str().unwrap_or_default().to_string();
        let timeout = ctx.timeout(planned, "update", DEFAULT_TIMEOUT);
        let td_changed = !same_task_definition(&cfg.task_definition, &old.task_definition);
        let service_changed = td_changed
            || cfg.desired_count != old.desired_count
            || cfg.min_healthy != old.min_healthy
            || cfg.max_percent != old.max_percent
            || cfg.strategies != old.strategies
            || cfg.constraints != old.constraints
            || cfg.grace != old.grace;
        let seen = Mutex::new(Seen::default());
        if service_changed {
            tracing::info!(service = %cfg.name, task_definition = %cfg.task_definition, desired = cfg.desired_count, "updating ECS service");
            let out = ctx
                .aws
                .ecs
                .update_service()
                .cluster(&cfg.cluster)
                .service(&cfg.name)
                .task_definition(&cfg.task_definition)
                .desired_count(cfg.desired_count)
                .deployment_configuration(cfg.deployment_configuration())
                .set_placement_strategy(Some(cfg.placement_strategy()))
                .set_placement_constraints(Some(cfg.placement_constraints()))
                .set_health_check_grace_period_seconds(cfg.grace)
                .force_new_deployment(cfg.force_new_deployment)
                .send()
                .await
                .map_err(|e| Diagnostics::of_error(format!("Cannot update ECS service {:?}", cfg.name), describe(&e)))?;
            // Events from before this update are not news.
            if let (Ok(mut s), Some(svc)) = (seen.lock(), out.service()) {
                s.event_ids.extend(svc.events().iter().filter_map(|e| e.id().map(str::to_string)));
            }
        }
        if let Err(d) = self.update_tags(ctx, &arn, prior, &cfg).await {
            return Err(Failed::with_partial(d, planned_or_prior(ctx, &cfg, planned).await));
        }
        let svc = if service_changed && cfg.wait {
            match self.wait_steady(ctx, &cfg, &cfg.task_definition, timeout, &seen).await {
                Ok(s) => s,
                Err(d) => return Err(Failed::with_partial(d, planned_or_prior(ctx, &cfg, planned).await)),
            }
        } else {
            match describe_service(ctx, &cfg.cluster, &cfg.name).await? {
                Some(s) => s,
                None => {
                    return Err(Diagnostics::of_error(format!("ECS service {:?} was deleted while it was being updated", cfg.name), "Run `terraform apply` again to create it.").into())
                }
            }
        };
        Ok(to_state(&svc, planned, &ctx.default_tags))
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), Diagnostics> {
        let cfg = Config::from(prior);
        let timeout = ctx.timeout(prior, "delete", DEFAULT_TIMEOUT);
        let Some(svc) = describe_service(ctx, &cfg.cluster, &cfg.name).await? else { return Ok(()) };
        match svc.status() {
            Some("INACTIVE") => return Ok(()),
            Some("DRAINING") => return self.wait_inactive(ctx, &cfg.cluster, &cfg.name, timeout).await,
            _ => {}
        }
        let ecs = &ctx.aws.ecs;
        if svc.desired_count() > 0 {
            tracing::info!(service = %cfg.name, "scaling ECS service to 0 before deleting it");
            ecs.update_service()
                .cluster(&cfg.cluster)
                .service(&cfg.name)
                .desired_count(0)
                .send()
                .await
                .map_err(|e| Diagnostics::of_error(format!("Cannot scale ECS service {:?} to 0 before deleting it", cfg.name), describe(&e)))?;
        }
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
            .await?;
        tracing::info!(service = %cfg.name, "deleting ECS service");
        match ecs.delete_service().cluster(&cfg.cluster).service(&cfg.name).send().await {
            Ok(_) => {}
            Err(e) if AwsError::from_sdk(&e).code().is_some_and(|c| c == "ServiceNotFoundException" || c == "ClusterNotFoundException") => return Ok(()),
            Err(e) => return Err(Diagnostics::of_error(format!("Cannot delete ECS service {:?}", cfg.name), describe(&e))),
        }
        self.wait_inactive(ctx, &cfg.cluster, &cfg.name, timeout).await
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        let Some((cluster, name)) = parse_import_id(id) else {
            return Err(Diagnostics::of_error(
                format!("Cannot import ECS service {id:?}: the id must be CLUSTER/SERVICE"),
                "For example `terraform import awsecs_service.wp wordpress/wordpress` (the cluster may be its name or ARN; use the form your configuration uses).",
            ));
        };
        match describe_service(ctx, &cluster, &name).await? {
            Some(s) if s.status() != Some("INACTIVE") => {
                let prior = Value::object([("cluster", cluster.into())]);
                Ok(to_state(&s, &prior, &ctx.default_tags))
            }
            _ => Err(Diagnostics::of_error(
                format!("Cannot import ECS service {name:?}: it does not exist in cluster {cluster:?}"),
                format!("No ACTIVE service of that name in that cluster in region {}.", ctx.aws.region),
            )),
        }
    }
}

/// After a failed update: the service as AWS has it now, or the plan if it cannot be read.
async fn planned_or_prior(ctx: &Ctx, cfg: &Config, planned: &Value) -> Value {
    match describe_service(ctx, &cfg.cluster, &cfg.name).await {
        Ok(Some(s)) => to_state(&s, planned, &ctx.default_tags),
        _ => minimal_state(planned, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{ContainerDefinition, Deployment, DeploymentRolloutState, TaskDefinition};

    #[test]
    fn cluster_names_from_arns() {
        assert_eq!(cluster_name("arn:aws:ecs:ap-northeast-1:123456789012:cluster/wp"), "wp");
        assert_eq!(cluster_name("wp"), "wp");
    }

    #[test]
    fn task_definition_forms() {
        let arn = "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/web:3";
        assert!(same_task_definition("web:3", arn));
        assert!(same_task_definition(arn, "web:3"));
        assert!(!same_task_definition("web:2", arn));
        assert!(check_task_definition_ref(arn).is_ok());
        assert!(check_task_definition_ref("web:3").is_ok());
        let e = check_task_definition_ref("web").unwrap_err();
        assert!(e.contains("FAMILY:REVISION"), "{e}");
        assert!(check_task_definition_ref("web:latest").is_err());
        assert!(check_task_definition_ref("arn:aws:ecs:r:1:cluster/x").is_err());
    }

    #[test]
    fn import_ids() {
        assert_eq!(parse_import_id("wp/web"), Some(("wp".into(), "web".into())));
        assert_eq!(
            parse_import_id("arn:aws:ecs:r:1:cluster/wp/web"),
            Some(("arn:aws:ecs:r:1:cluster/wp".into(), "web".into()))
        );
        assert_eq!(parse_import_id("arn:aws:ecs:r:1:service/wp/web"), Some(("wp".into(), "web".into())));
        assert_eq!(parse_import_id("web"), None);
        assert_eq!(parse_import_id("wp/"), None);
    }

    fn svc(running: i32, desired: i32, td: &str, rollout: DeploymentRolloutState) -> Service {
        Service::builder()
            .status("ACTIVE")
            .running_count(running)
            .desired_count(desired)
            .deployments(
                Deployment::builder().status("PRIMARY").task_definition(td).running_count(running).desired_count(desired).rollout_state(rollout).build(),
            )
            .build()
    }

    #[test]
    fn steady_only_when_the_wanted_revision_runs_complete() {
        let arn = "arn:aws:ecs:r:1:task-definition/web:2";
        assert_eq!(deployment_progress(&svc(2, 2, arn, DeploymentRolloutState::Completed), "web:2"), Progress::Done);
        assert!(matches!(deployment_progress(&svc(1, 2, arn, DeploymentRolloutState::InProgress), "web:2"), Progress::Pending(p) if p.contains("1 of 2")));
        // The old revision completed: not what was asked for (e.g. after a rollback).
        assert!(matches!(deployment_progress(&svc(2, 2, "arn:aws:ecs:r:1:task-definition/web:1", DeploymentRolloutState::Completed), "web:2"), Progress::Pending(_)));
        assert!(matches!(deployment_progress(&svc(0, 2, arn, DeploymentRolloutState::Failed), "web:2"), Progress::Failed(_)));
    }

    #[test]
    fn requirements_sum_containers_unless_the_task_says() {
        let c = |cpu: i32, mem: Option<i32>, res: Option<i32>| {
            ContainerDefinition::builder().cpu(cpu).set_memory(mem).set_memory_reservation(res).build()
        };
        let td = TaskDefinition::builder().container_definitions(c(256, Some(512), None)).container_definitions(c(128, None, Some(300))).build();
        assert_eq!(task_requirements(&td), (384, 812));
        let td = TaskDefinition::builder().cpu("1024").memory("2048").container_definitions(c(256, Some(512), None)).build();
        assert_eq!(task_requirements(&td), (1024, 2048));
    }

    #[test]
    fn constraint_and_strategy_rules_point_at_the_field() {
        let cfg = Value::object([
            ("placement_constraint", Value::List(vec![Value::object([("type", "memberOf".into()), ("expression", Value::Null)])])),
            (
                "ordered_placement_strategy",
                Value::List(vec![
                    Value::object([("type", "spread".into()), ("field", "instanceId".into())]),
                    Value::object([("type", "binpack".into()), ("field", "disk".into())]),
                ]),
            ),
            ("deployment_minimum_healthy_percent", Value::int(100)),
            ("deployment_maximum_percent", Value::int(150)),
        ]);
        let mut d = Diagnostics::new();
        ServiceResource.validate(&cfg, &mut d);
        let paths: Vec<String> = d.0.iter().map(|x| x.path.as_ref().map(|p| p.to_string()).unwrap_or_default()).collect();
        assert_eq!(paths, vec!["placement_constraint[0].expression", "ordered_placement_strategy[1].field"], "{:?}", d.0);
    }
}
