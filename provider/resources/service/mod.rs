//! `awsecs_service`: keeps N copies of a task definition running in a cluster ("Create a service" in
//! the ECS console), and says why when ECS cannot.
//!
//! Here: the resource and its AWS calls (CRUD, import), and the pure helpers for task definition
//! references and import ids. `schema`: the schema, the `task_definition` validator and the
//! cross-field checks; `progress`: how a deployment is going and the waits (quoting the service
//! events and the stopped tasks when they fail); `capacity`: the plan-time warning when no
//! container instance can hold a task; `flatten`: AWS answer -> state. The `network_configuration`
//! block (awsvpc) is shared with `awsecs_task`: `resources/network_configuration.rs`.

mod capacity;
mod flatten;
mod load_balancers;
mod migrate;
mod progress;
pub(crate) mod schema;

use crate::framework::{IdentitySchema, MoveSource};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_ecs::types::{
    DeploymentCircuitBreaker, DeploymentConfiguration, LaunchType, LoadBalancer, PlacementConstraint, PlacementConstraintType,
    PlacementStrategy, PlacementStrategyType, PropagateTags, Service,
};

pub use capacity::task_requirements;
pub use progress::{deployment_progress, Progress};
pub use schema::check_task_definition_ref;

use crate::aws::errors::{describe, AwsError};
use crate::aws::tags as aws_tags;
use crate::framework::{Failed, PlanRequest, Resource};
use crate::resources::network_configuration;
use crate::resources::tags::{self, Tagged};
use crate::resources::Ctx;
use crate::tf::{Diagnostics, Schema, Value};

use capacity::{capacity_warning, deployment_warning};
use flatten::{minimal_state, to_state};
use progress::{wait_inactive, wait_steady, wait_tasks_stopped, Seen};

pub struct ServiceResource;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// The arguments, decoded once.
struct Config {
    name: String,
    cluster: String,
    task_definition: String,
    desired_count: i32,
    /// None with a capacity provider strategy.
    launch_type: Option<String>,
    /// (capacity provider, weight, base).
    capacity_providers: Vec<(String, i32, i32)>,
    min_healthy: i32,
    max_percent: i32,
    strategies: Vec<(String, Option<String>)>,
    constraints: Vec<(String, Option<String>)>,
    grace: Option<i32>,
    network: Option<aws_sdk_ecs::types::NetworkConfiguration>,
    load_balancers: Vec<LoadBalancer>,
    /// (enable, rollback); None without the block.
    circuit_breaker: Option<(bool, bool)>,
    execute_command: bool,
    managed_tags: bool,
    propagate_tags: String,
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

/// The `capacity_provider_strategy` blocks as (name, weight, base).
pub(crate) fn capacity_providers(v: &Value) -> Vec<(String, i32, i32)> {
    v.get("capacity_provider_strategy")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .map(|i| (i.get("capacity_provider").as_str().unwrap_or_default().to_string(), int(i.get("weight"), 1), int(i.get("base"), 0)))
        .collect()
}

/// The strategy as ECS takes it.
pub(crate) fn strategy_items(items: &[(String, i32, i32)]) -> Vec<aws_sdk_ecs::types::CapacityProviderStrategyItem> {
    items
        .iter()
        .filter_map(|(name, weight, base)| {
            aws_sdk_ecs::types::CapacityProviderStrategyItem::builder().capacity_provider(name).weight(*weight).base(*base).build().ok()
        })
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
            launch_type: v.get("launch_type").as_str().map(str::to_string),
            capacity_providers: capacity_providers(v),
            min_healthy: int(v.get("deployment_minimum_healthy_percent"), 100),
            max_percent: int(v.get("deployment_maximum_percent"), 200),
            strategies: pairs(v.get("ordered_placement_strategy"), "type", "field"),
            constraints: pairs(v.get("placement_constraint"), "type", "expression"),
            grace: v.get("health_check_grace_period_seconds").as_i64().map(|n| n.clamp(0, i32::MAX as i64) as i32),
            network: network_configuration::expand(v),
            load_balancers: load_balancers::expand(v),
            circuit_breaker: match v.get("deployment_circuit_breaker") {
                cb @ Value::Object(_) => Some((cb.get("enable").as_bool().unwrap_or(false), cb.get("rollback").as_bool().unwrap_or(false))),
                _ => None,
            },
            execute_command: v.get("enable_execute_command").as_bool().unwrap_or(false),
            managed_tags: v.get("enable_ecs_managed_tags").as_bool().unwrap_or(false),
            propagate_tags: v.get("propagate_tags").as_str().unwrap_or("NONE").to_string(),
            force_new_deployment: v.get("force_new_deployment").as_bool().unwrap_or(false),
            wait: v.get("wait_for_steady_state").as_bool().unwrap_or(true),
            tags_all: v.get("tags_all").to_string_map(),
        }
    }

    /// The circuit breaker is always sent: left out, it is off (ECS's default), so removing the
    /// block turns it off.
    fn deployment_configuration(&self) -> DeploymentConfiguration {
        let (enable, rollback) = self.circuit_breaker.unwrap_or((false, false));
        DeploymentConfiguration::builder()
            .minimum_healthy_percent(self.min_healthy)
            .maximum_percent(self.max_percent)
            .deployment_circuit_breaker(DeploymentCircuitBreaker::builder().enable(enable).rollback(rollback).build())
            .build()
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
            .map(|(t, e)| {
                PlacementConstraint::builder().r#type(PlacementConstraintType::from(t.as_str())).set_expression(e.clone()).build()
            })
            .collect()
    }
}

// ----------------------------------------------------------------------------------------------
// Pure helpers (unit-tested below)

pub use crate::resources::cluster::cluster_name;

/// Whether a task definition reference (ARN or `family:revision`) names the task definition `actual`
/// (either form) refers to.
pub fn same_task_definition(wanted: &str, actual: &str) -> bool {
    let short = |s: &str| s.rsplit_once(":task-definition/").map(|(_, f)| f.to_string()).unwrap_or_else(|| s.to_string());
    wanted == actual || short(wanted) == short(actual)
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

// ----------------------------------------------------------------------------------------------
// AWS calls

/// The service, whatever its status (callers decide what INACTIVE and DRAINING mean).
async fn describe_service(ctx: &Ctx, cluster: &str, name: &str) -> Result<Option<Service>, Diagnostics> {
    ctx.aws
        .find_service(cluster, name)
        .await
        .map_err(|e| crate::resources::aws_failure(format!("Cannot read ECS service {name:?} in cluster {cluster:?}"), &e))
}

/// Updates tags from `prior` to `cfg` (TagResource / UntagResource).
async fn update_tags(ctx: &Ctx, arn: &str, prior: &Value, cfg: &Config) -> Result<(), Diagnostics> {
    let planned = Value::string_map(cfg.tags_all.iter());
    tags::update(ctx, Tagged::Ecs(arn), prior.get("tags_all"), &planned, &format!("ECS service {:?}", cfg.name)).await
}

/// A client token for one CreateService: unique per call (ECS allows up to 36 ASCII characters).
fn client_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    format!("tf-{:x}-{:x}-{:x}", nanos, std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed))
}

#[async_trait]
impl Resource<Ctx> for ServiceResource {
    fn type_name(&self) -> &'static str {
        "awsecs_service"
    }

    /// Noted for the cluster's destroy plan (see `awsecs_cluster`).
    async fn plan_destroy(&self, ctx: Option<&Ctx>, prior: &Value, _diags: &mut Diagnostics) {
        if let (Some(ctx), Some(arn)) = (ctx, prior.get("arn").as_str()) {
            ctx.planned_destroy(arn);
        }
    }

    /// `moved { from = aws_ecs_service.x  to = awsecs_service.x }`.
    fn move_state(&self, from: &MoveSource<'_>) -> Result<Value, Diagnostics> {
        migrate::move_state(from)
    }

    fn identity(&self) -> IdentitySchema {
        IdentitySchema::strings(&[
            ("cluster", "The cluster, by name or ARN, as the configuration writes it."),
            ("name", "The service name."),
        ])
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        schema::validate_config(config, diags);
    }

    async fn modify_plan(&self, ctx: Option<&Ctx>, req: &PlanRequest<'_>, planned: &mut Value, diags: &mut Diagnostics) {
        // Left out, the launch type is EC2, or none with a capacity provider strategy.
        let with_providers = !capacity_providers(planned).is_empty();
        if req.config.get("launch_type").is_null() {
            if with_providers {
                planned.set("launch_type", Value::Null);
            } else if req.create || req.replace || planned.get("launch_type").is_null() {
                planned.set("launch_type", "EC2".into());
            }
        }
        let Some(ctx) = ctx else { return };
        network_configuration::check_plan(ctx, req, planned, diags).await;
        check_load_balancers(ctx, req, planned, diags).await;
        deployment_warning(ctx, req, planned, diags).await;
        let (Some(cluster), Some(td)) = (planned.get("cluster").as_str(), planned.get("task_definition").as_str()) else {
            return; // unknown until apply: nothing to check
        };
        let changed = req.create || req.replace || req.prior.get("task_definition").as_str() != Some(td);
        if !changed || planned.get("launch_type").as_str() != Some("EC2") {
            return;
        }
        if let Err(e) = capacity_warning(ctx, cluster, td, diags).await {
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
                    format!(
                        "Bring it under Terraform with `terraform import <address> {}/{}`, or choose another name.",
                        cluster_name(&cfg.cluster),
                        cfg.name
                    ),
                )
                .into())
            }
            Some(s) if s.status() == Some("DRAINING") => {
                tracing::info!(service = %cfg.name, "an older service of the same name is DRAINING: waiting for it to be gone");
                wait_inactive(ctx, &cfg.cluster, &cfg.name, timeout).await?;
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
            .set_launch_type(if cfg.capacity_providers.is_empty() {
                Some(LaunchType::from(cfg.launch_type.as_deref().unwrap_or("EC2")))
            } else {
                None
            })
            .set_capacity_provider_strategy((!cfg.capacity_providers.is_empty()).then(|| strategy_items(&cfg.capacity_providers)))
            .deployment_configuration(cfg.deployment_configuration())
            .set_placement_strategy((!strategies.is_empty()).then_some(strategies))
            .set_placement_constraints((!constraints.is_empty()).then_some(constraints))
            .set_health_check_grace_period_seconds(cfg.grace)
            .set_network_configuration(cfg.network.clone())
            .set_load_balancers((!cfg.load_balancers.is_empty()).then(|| cfg.load_balancers.clone()))
            .enable_execute_command(cfg.execute_command)
            .enable_ecs_managed_tags(cfg.managed_tags)
            .propagate_tags(PropagateTags::from(cfg.propagate_tags.as_str()))
            .set_tags(aws_tags::to_ecs(&cfg.tags_all))
            // One token for this create: the SDK's retries of a call whose reply was lost carry it,
            // and ECS answers them with the service the first attempt made.
            .client_token(client_token())
            .send()
            .await;
        let created = match out {
            Ok(out) => out.service().cloned(),
            Err(e) => {
                let err = AwsError::from_sdk(&e);
                // No ACTIVE service of this name existed a moment ago (checked above): if one exists
                // now, this call made it and only its answer was lost.
                match describe_service(ctx, &cfg.cluster, &cfg.name).await {
                    Ok(Some(s)) if s.status() == Some("ACTIVE") && (err.is_retryable() || err.message.contains("idempotent")) => {
                        tracing::info!(service = %cfg.name, "CreateService's answer was lost, but the service it made exists: taking it");
                        Some(s)
                    }
                    _ => {
                        return Err(Diagnostics::of_error(
                            format!("Cannot create ECS service {:?} in cluster {:?}", cfg.name, cfg.cluster),
                            err.to_string(),
                        )
                        .into())
                    }
                }
            }
        };
        let partial = |svc: Option<&Service>| minimal_state(planned, svc.or(created.as_ref()));
        let seen = Mutex::new(Seen::default());
        let svc = if cfg.wait {
            match wait_steady(ctx, &cfg, &cfg.task_definition, timeout, &seen).await {
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
                Ok(None) => {
                    return Err(Failed::with_partial(
                        Diagnostics::of_error(
                            format!("ECS service {:?} disappeared right after it was created", cfg.name),
                            "Run `terraform apply` again.",
                        ),
                        partial(None),
                    ))
                }
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
            || cfg.grace != old.grace
            || cfg.capacity_providers != old.capacity_providers
            || cfg.circuit_breaker.unwrap_or_default() != old.circuit_breaker.unwrap_or_default()
            || cfg.load_balancers != old.load_balancers
            || cfg.execute_command != old.execute_command
            || cfg.managed_tags != old.managed_tags
            || cfg.propagate_tags != old.propagate_tags
            || planned.get(network_configuration::BLOCK) != prior.get(network_configuration::BLOCK);
        // New capacity providers, load balancers and ECS Exec take effect in new tasks: a new
        // deployment replaces the running ones.
        let providers_changed = cfg.capacity_providers != old.capacity_providers;
        let balancers_changed = cfg.load_balancers != old.load_balancers;
        let redeploy = providers_changed || balancers_changed || cfg.execute_command != old.execute_command;
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
                // Left out after being set: back to 0, ECS's default (None would keep the old value).
                .set_health_check_grace_period_seconds(cfg.grace.or(old.grace.map(|_| 0)))
                .set_network_configuration(cfg.network.clone())
                .set_capacity_provider_strategy(providers_changed.then(|| strategy_items(&cfg.capacity_providers)))
                .set_load_balancers(balancers_changed.then(|| cfg.load_balancers.clone()))
                .enable_execute_command(cfg.execute_command)
                .enable_ecs_managed_tags(cfg.managed_tags)
                .propagate_tags(PropagateTags::from(cfg.propagate_tags.as_str()))
                .force_new_deployment(cfg.force_new_deployment || redeploy)
                .send()
                .await
                .map_err(|e| Diagnostics::of_error(format!("Cannot update ECS service {:?}", cfg.name), describe(&e)))?;
            // Events from before this update are not news.
            if let (Ok(mut s), Some(svc)) = (seen.lock(), out.service()) {
                s.event_ids.extend(svc.events().iter().filter_map(|e| e.id().map(str::to_string)));
            }
        }
        if let Err(d) = update_tags(ctx, &arn, prior, &cfg).await {
            return Err(Failed::with_partial(d, planned_or_prior(ctx, &cfg, planned).await));
        }
        let svc = if service_changed && cfg.wait {
            match wait_steady(ctx, &cfg, &cfg.task_definition, timeout, &seen).await {
                Ok(s) => s,
                Err(d) => return Err(Failed::with_partial(d, planned_or_prior(ctx, &cfg, planned).await)),
            }
        } else {
            match describe_service(ctx, &cfg.cluster, &cfg.name).await? {
                Some(s) => s,
                None => {
                    return Err(Diagnostics::of_error(
                        format!("ECS service {:?} was deleted while it was being updated", cfg.name),
                        "Run `terraform apply` again to create it.",
                    )
                    .into())
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
            Some("DRAINING") => return wait_inactive(ctx, &cfg.cluster, &cfg.name, timeout).await,
            _ => {}
        }
        let ecs = &ctx.aws.ecs;
        if svc.desired_count() > 0 {
            tracing::info!(service = %cfg.name, "scaling ECS service to 0 before deleting it");
            ecs.update_service().cluster(&cfg.cluster).service(&cfg.name).desired_count(0).send().await.map_err(|e| {
                Diagnostics::of_error(format!("Cannot scale ECS service {:?} to 0 before deleting it", cfg.name), describe(&e))
            })?;
        }
        wait_tasks_stopped(ctx, &cfg, &svc, timeout).await?;
        tracing::info!(service = %cfg.name, "deleting ECS service");
        match ecs.delete_service().cluster(&cfg.cluster).service(&cfg.name).send().await {
            Ok(_) => {}
            Err(e) if AwsError::from_sdk(&e).code().is_some_and(|c| c == "ServiceNotFoundException" || c == "ClusterNotFoundException") => {
                return Ok(())
            }
            Err(e) => return Err(Diagnostics::of_error(format!("Cannot delete ECS service {:?}", cfg.name), describe(&e))),
        }
        wait_inactive(ctx, &cfg.cluster, &cfg.name, timeout).await
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

/// Plan-time check of the `load_balancer` blocks against the task definition, when either changes.
async fn check_load_balancers(ctx: &Ctx, req: &PlanRequest<'_>, planned: &Value, diags: &mut Diagnostics) {
    let blocks = planned.get(load_balancers::BLOCK);
    if blocks.as_list().map_or(true, |l| l.is_empty()) || !blocks.is_wholly_known() {
        return;
    }
    let Some(td_ref) = planned.get("task_definition").as_str() else { return };
    let changed = req.create
        || req.replace
        || req.prior.get("task_definition") != planned.get("task_definition")
        || req.prior.get(load_balancers::BLOCK) != blocks;
    if !changed {
        return;
    }
    match ctx.aws.find_task_definition(td_ref).await {
        Ok(Some((td, _))) => load_balancers::check_against(&td, planned, diags),
        Ok(None) => {}
        Err(e) => tracing::debug!(task_definition = td_ref, "load balancer check skipped: {e}"),
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
        assert_eq!(parse_import_id("arn:aws:ecs:r:1:cluster/wp/web"), Some(("arn:aws:ecs:r:1:cluster/wp".into(), "web".into())));
        assert_eq!(parse_import_id("arn:aws:ecs:r:1:service/wp/web"), Some(("wp".into(), "web".into())));
        assert_eq!(parse_import_id("web"), None);
        assert_eq!(parse_import_id("wp/"), None);
    }
}
