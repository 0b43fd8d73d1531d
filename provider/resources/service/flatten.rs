//! AWS answer -> state for `awsecs_service`: `to_state` for a service AWS described, keeping the
//! configuration's forms and Terraform-only settings; `minimal_state` for one that could not be
//! described or did not settle.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::Service;

use super::{cluster_name, same_task_definition};
use crate::aws::tags as aws_tags;
use crate::resources::network_configuration;
use crate::resources::tags;
use crate::tf::Value;

/// The resource value for a service AWS described. `prior` supplies what AWS does not keep: the
/// form (name or ARN) the configuration uses for the cluster and task definition, the Terraform-only
/// settings, and which tags came from the configuration.
pub(super) fn to_state(s: &Service, prior: &Value, default_tags: &BTreeMap<String, String>) -> Value {
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
            Value::object([("type", Value::opt_string(p.r#type().map(|t| t.as_str()))), ("expression", Value::opt_string(p.expression()))])
        })
        .collect();
    let grace = match s.health_check_grace_period_seconds() {
        Some(0) if prior.get("health_check_grace_period_seconds").is_null() => Value::Null,
        other => Value::opt_int(other.map(i64::from)),
    };
    let primary = s.deployments().iter().find(|d| d.status() == Some("PRIMARY"));
    let breaker = match dc.and_then(|d| d.deployment_circuit_breaker()) {
        Some(cb) if cb.enable() || cb.rollback() || !prior.get("deployment_circuit_breaker").is_null() => {
            Value::object([("enable", Value::Bool(cb.enable())), ("rollback", Value::Bool(cb.rollback()))])
        }
        _ => Value::Null,
    };
    Value::object([
        ("id", arn.clone()),
        ("arn", arn),
        ("name", Value::opt_string(s.service_name())),
        ("cluster", cluster.into()),
        ("task_definition", task_definition.into()),
        ("desired_count", Value::int(s.desired_count() as i64)),
        (
            "launch_type",
            if !s.capacity_provider_strategy().is_empty() {
                Value::Null
            } else {
                Value::string(
                    s.launch_type()
                        .map(|l| l.as_str().to_string())
                        .filter(|l| !l.is_empty())
                        .or(prior.get("launch_type").as_str().map(str::to_string))
                        .unwrap_or("EC2".into()),
                )
            },
        ),
        (
            "capacity_provider_strategy",
            Value::List(
                s.capacity_provider_strategy()
                    .iter()
                    .map(|i| {
                        Value::object([
                            ("capacity_provider", Value::string(i.capacity_provider())),
                            ("weight", Value::int(i.weight() as i64)),
                            ("base", Value::int(i.base() as i64)),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "deployment_minimum_healthy_percent",
            keep_int("deployment_minimum_healthy_percent", dc.and_then(|d| d.minimum_healthy_percent()), 100),
        ),
        ("deployment_maximum_percent", keep_int("deployment_maximum_percent", dc.and_then(|d| d.maximum_percent()), 200)),
        ("ordered_placement_strategy", Value::List(strategies)),
        ("placement_constraint", Value::List(constraints)),
        ("health_check_grace_period_seconds", grace),
        ("network_configuration", network_configuration::flatten(s.network_configuration(), prior)),
        ("load_balancer", super::load_balancers::flatten(s.load_balancers())),
        ("deployment_circuit_breaker", breaker),
        ("enable_execute_command", Value::Bool(s.enable_execute_command())),
        ("enable_ecs_managed_tags", Value::Bool(s.enable_ecs_managed_tags())),
        ("propagate_tags", Value::string(s.propagate_tags().map(|p| p.as_str()).unwrap_or("NONE"))),
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
pub(super) fn minimal_state(planned: &Value, s: Option<&Service>) -> Value {
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
