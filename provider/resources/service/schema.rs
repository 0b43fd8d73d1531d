//! The schema of `awsecs_service` (with its placement strategy and constraint blocks), the check of
//! a `task_definition` reference, and the cross-field checks (placement rules, deployment
//! percentages, the network configuration's launch type rules).

use super::load_balancers;
use crate::framework::timeouts::timeouts_block;
use crate::framework::validate::{int_between, one_of};
use crate::resources::names::ecs_name;
use crate::resources::network_configuration;
use crate::resources::tags;
use crate::tf::{AttrPath, Attribute, Block, Diagnostics, NestedBlock, Schema, Type, Value};

const STRATEGY_TYPES: &[&str] = &["spread", "binpack", "random"];
const CONSTRAINT_TYPES: &[&str] = &["distinctInstance", "memberOf"];

pub(super) fn schema() -> Schema {
    Schema::new(
        0,
        Block::new("An ECS service: keeps `desired_count` tasks of a task definition running on the cluster's container instances (\"Create a service\" in the console). Creates and updates wait until the deployment is complete and says why when it cannot be (the service events and the reasons tasks stopped).\n\nImport with `CLUSTER/SERVICE`: `terraform import awsecs_service.wp wordpress/wordpress`.")
            .attr(Attribute::computed("id", Type::String).describe("The service ARN."))
            .attr(Attribute::computed("arn", Type::String).describe("The service ARN."))
            .attr(Attribute::required("name", Type::String).force_new().validate(ecs_name(255)).describe("Service name, unique in the cluster: 1-255 letters, digits, hyphens and underscores. Changing it creates a new service."))
            .attr(Attribute::required("cluster", Type::String).force_new().equivalent_when(crate::resources::cluster::same_cluster).describe("Name or ARN of the cluster the service runs in. Changing it creates a new service."))
            .attr(Attribute::required("task_definition", Type::String).validate(|v| check_task_definition_ref(v.as_str().unwrap_or(""))).describe("The task definition to run: its ARN or `FAMILY:REVISION`. A new revision is rolled out in place."))
            .attr(Attribute::optional("desired_count", Type::Number).default(Value::int(1)).validate(int_between(0, 100_000)).describe("How many tasks to keep running. Default 1."))
            .attr(Attribute::optional_computed("launch_type", Type::String).force_new().equivalent_when(strategy_switch).validate(one_of(&["EC2", "FARGATE", "EXTERNAL"])).describe("`EC2` (the cluster's container instances), `FARGATE` or `EXTERNAL`. Left out: `EC2`, or none with a `capacity_provider_strategy`. Changing it from one launch type to another creates a new service (ECS cannot change it); moving from a launch type to a `capacity_provider_strategy`, and from a strategy back to `EC2`, are updates with a new deployment."))
            .attr(Attribute::optional("deployment_minimum_healthy_percent", Type::Number).default(Value::int(100)).validate(int_between(0, 100)).describe("Lower limit, in percent of `desired_count`, of tasks kept running during a deployment. Default 100."))
            .attr(Attribute::optional("deployment_maximum_percent", Type::Number).default(Value::int(200)).validate(int_between(100, 200)).describe("Upper limit, in percent of `desired_count`, of tasks running during a deployment. Default 200."))
            .attr(Attribute::optional("health_check_grace_period_seconds", Type::Number).validate(int_between(0, 2_147_483_647)).describe("Seconds ECS ignores failing load-balancer health checks of a new task."))
            .attr(Attribute::optional("force_new_deployment", Type::Bool).default(false).describe("When true, every update that changes the service (task definition, count, deployment or placement settings) also replaces its running tasks, e.g. to pick up a new image under the same tag."))
            .attr(Attribute::optional("enable_execute_command", Type::Bool).default(false).describe("Allow `aws ecs execute-command` into the service's containers (ECS Exec; the task role needs the ssmmessages permissions, and `linux_parameters { init_process_enabled = true }` is recommended). Changing it starts a new deployment, since only new tasks get it. Default false."))
            .attr(Attribute::optional("enable_ecs_managed_tags", Type::Bool).default(false).describe("Tag the service's tasks with `aws:ecs:clusterName` and `aws:ecs:serviceName`. Applies to tasks started from then on. Default false."))
            .attr(Attribute::optional("propagate_tags", Type::String).default("NONE").validate(one_of(&["SERVICE", "TASK_DEFINITION", "NONE"])).describe("Copy the tags of the `SERVICE` or of the `TASK_DEFINITION` to the tasks the service starts, or `NONE` (default). Applies to tasks started from then on."))
            .attr(Attribute::optional("wait_for_steady_state", Type::Bool).default(true).describe("Wait, on create and update, until the deployment is complete and `desired_count` tasks run. Default true."))
            .attr(Attribute::computed("running_count", Type::Number).volatile().describe("Tasks RUNNING, as of the last refresh."))
            .attr(Attribute::computed("pending_count", Type::Number).volatile().describe("Tasks PENDING, as of the last refresh."))
            .attr(Attribute::computed("status", Type::String).volatile().describe("`ACTIVE`, `DRAINING` or `INACTIVE`."))
            .attr(Attribute::computed("deployment_status", Type::String).volatile().describe("Rollout state of the primary deployment: `COMPLETED`, `IN_PROGRESS` or `FAILED`."))
            .attr(tags::tags_attribute())
            .attr(tags::tags_all_attribute())
            .block(NestedBlock::list("capacity_provider_strategy", capacity_provider_strategy_block()).max_items(6))
            .block(NestedBlock::list(load_balancers::BLOCK, load_balancers::block()).max_items(5))
            .block(NestedBlock::single("deployment_circuit_breaker", circuit_breaker_block()))
            .block(NestedBlock::list("ordered_placement_strategy", strategy_block()).max_items(5))
            .block(NestedBlock::list("placement_constraint", constraint_block()).max_items(10))
            .block(network_configuration::block(false))
            .block(timeouts_block(&["create", "update", "delete"])),
    )
}

/// Launch type changes ECS makes in place: to a capacity provider strategy (the launch type becomes
/// unset), and from a strategy back to `EC2` (UpdateService with an empty strategy). Between two
/// launch types it cannot: that replaces the service.
fn strategy_switch(before: &Value, now: &Value) -> bool {
    now.is_null() || (before.is_null() && now.as_str() == Some("EC2"))
}

fn circuit_breaker_block() -> Block {
    Block::new("The deployment circuit breaker: ECS gives up a deployment whose tasks keep failing to start or to become healthy (after half the desired count, at least 3 and at most 200, fail), and with `rollback` goes back to the last deployment that completed. The wait then ends with ECS's reason instead of running into its timeout.")
        .attr(Attribute::required("enable", Type::Bool).describe("Turn the circuit breaker on."))
        .attr(Attribute::required("rollback", Type::Bool).describe("On failure, roll back to the last completed deployment (the apply still fails, saying so)."))
}

/// `capacity_provider_strategy`, shared with `awsecs_task`.
pub fn capacity_provider_strategy_block() -> Block {
    Block::new("Runs the tasks on capacity providers (such as `awsecs_capacity_provider`, or `FARGATE`) instead of a launch type: `base` tasks on the first, then the rest by `weight` (at most 6 providers, all associated with the cluster). Not with `launch_type`.")
        .attr(Attribute::required("capacity_provider", Type::String).describe("The capacity provider's name, e.g. `awsecs_capacity_provider.web.name`."))
        .attr(Attribute::optional("weight", Type::Number).default(Value::int(1)).validate(int_between(0, 1000)).describe("Relative share of the tasks, 0-1000 (default 1)."))
        .attr(Attribute::optional("base", Type::Number).default(Value::int(0)).validate(int_between(0, 100_000)).describe("Tasks placed on this provider before the weights apply, 0-100000 (default 0); only one provider of a strategy may have one."))
}

/// Rules of a capacity provider strategy (CreateService, RunTask): not with a launch type, one
/// base at most, some weight when there are several providers, each provider once.
pub fn validate_capacity_provider_strategy(config: &Value, diags: &mut Diagnostics) {
    let items = config.get("capacity_provider_strategy").as_list().unwrap_or(&[]);
    if items.is_empty() {
        return;
    }
    let at = AttrPath::root("capacity_provider_strategy");
    if !config.get("launch_type").is_null() && !config.get("launch_type").is_unknown() {
        diags.error_at(at.clone(), "capacity_provider_strategy and launch_type exclude each other", "ECS takes either a launch type or a capacity provider strategy. Remove `launch_type` (the providers decide where tasks run), or the strategy.");
    }
    if items.iter().filter(|i| i.get("base").as_i64().unwrap_or(0) > 0).count() > 1 {
        diags.error_at(
            at.clone(),
            "Only one capacity provider of a strategy may have a base",
            "Set `base` on one provider; the others share what is left by `weight`.",
        );
    }
    if items.len() > 1 && items.iter().all(|i| i.get("weight").as_i64() == Some(0)) {
        diags.error_at(
            at.clone(),
            "A strategy of several capacity providers needs a weight above 0",
            "ECS refuses a strategy whose weights are all 0. Give at least one provider a `weight`.",
        );
    }
    let mut seen = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if let Some(name) = item.get("capacity_provider").as_str() {
            if seen.contains(&name) {
                diags.error_at(
                    at.index(i).attr("capacity_provider"),
                    format!("Capacity provider {name:?} is named twice"),
                    "Each capacity provider appears once in a strategy.",
                );
            }
            seen.push(name);
        }
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
        .attr(
            Attribute::required("type", Type::String)
                .validate(one_of(CONSTRAINT_TYPES))
                .describe("`distinctInstance` (each task on a different instance) or `memberOf`."),
        )
        .attr(
            Attribute::optional("expression", Type::String)
                .describe("Cluster query language expression; required for `memberOf`, not allowed for `distinctInstance`."),
        )
}

/// The cross-field checks (`Resource::validate`): at plan time, with no AWS call.
pub(super) fn validate_config(config: &Value, diags: &mut Diagnostics) {
    validate_capacity_provider_strategy(config, diags);
    load_balancers::validate(config, diags);
    for (i, c) in config.get("placement_constraint").as_list().unwrap_or(&[]).iter().enumerate() {
        let p = AttrPath::root("placement_constraint").index(i).attr("expression");
        match (c.get("type").as_str(), c.get("expression")) {
            (Some("memberOf"), e) if e.is_null() => diags.error_at(
                p,
                "A memberOf constraint needs an expression",
                "Set `expression`, for example `attribute:ecs.instance-type =~ t3.*`.",
            ),
            (Some("distinctInstance"), e) if !e.is_null() => {
                diags.error_at(p, "A distinctInstance constraint takes no expression", "Remove `expression`, or use type `memberOf`.")
            }
            _ => {}
        }
    }
    for (i, s) in config.get("ordered_placement_strategy").as_list().unwrap_or(&[]).iter().enumerate() {
        let p = AttrPath::root("ordered_placement_strategy").index(i).attr("field");
        match (s.get("type").as_str(), s.get("field")) {
            (Some("random"), f) if !f.is_null() => diags.error_at(p, "A random placement strategy takes no field", "Remove `field`."),
            (Some("binpack"), f) if f.as_str().is_some_and(|f| !["cpu", "memory"].contains(&f.to_ascii_lowercase().as_str())) => diags
                .error_at(
                    p,
                    "A binpack placement strategy packs by cpu or memory",
                    format!("Set `field` to \"cpu\" or \"memory\", not {:?}.", f.as_str().unwrap_or_default()),
                ),
            (Some("spread" | "binpack"), f) if f.is_null() => diags.error_at(
                p,
                "This placement strategy needs a field",
                "Set `field` (spread: `instanceId` or `attribute:...`; binpack: `cpu` or `memory`).",
            ),
            _ => {}
        }
    }
    if let (Some(min), Some(max)) =
        (config.get("deployment_minimum_healthy_percent").as_i64(), config.get("deployment_maximum_percent").as_i64())
    {
        if max < min {
            diags.error_at(
                AttrPath::root("deployment_maximum_percent"),
                "deployment_maximum_percent is below deployment_minimum_healthy_percent",
                format!("{max} < {min}: ECS could never start a new task during a deployment."),
            );
        }
    }
    network_configuration::validate(config, "EC2", diags);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Resource;
    use crate::resources::service::ServiceResource;

    fn strategy(items: &[(&str, i64, i64)]) -> Value {
        Value::List(
            items
                .iter()
                .map(|(n, w, b)| Value::object([("capacity_provider", (*n).into()), ("weight", Value::int(*w)), ("base", Value::int(*b))]))
                .collect(),
        )
    }

    fn strategy_errors(cfg: &Value) -> Vec<(String, String)> {
        let mut d = Diagnostics::new();
        validate_capacity_provider_strategy(cfg, &mut d);
        d.0.iter().map(|d| (d.path.as_ref().map(|p| p.to_string()).unwrap_or_default(), d.summary.clone())).collect()
    }

    #[test]
    fn launch_type_changes_in_place_only_to_and_from_a_strategy() {
        assert!(strategy_switch(&"EC2".into(), &Value::Null), "to a strategy");
        assert!(strategy_switch(&"FARGATE".into(), &Value::Null), "to a strategy");
        assert!(strategy_switch(&Value::Null, &"EC2".into()), "a strategy back to EC2");
        assert!(!strategy_switch(&Value::Null, &"FARGATE".into()), "a strategy to Fargate replaces");
        assert!(!strategy_switch(&"EC2".into(), &"FARGATE".into()), "launch type to launch type replaces");
    }

    #[test]
    fn capacity_provider_strategy_rules() {
        let ok = Value::object([("capacity_provider_strategy", strategy(&[("a", 1, 1), ("b", 2, 0)]))]);
        assert!(strategy_errors(&ok).is_empty());
        let with_type = Value::object([("capacity_provider_strategy", strategy(&[("a", 1, 0)])), ("launch_type", "EC2".into())]);
        assert_eq!(strategy_errors(&with_type)[0].0, "capacity_provider_strategy");
        assert!(strategy_errors(&with_type)[0].1.contains("exclude each other"));
        let unknown_type = Value::object([("capacity_provider_strategy", strategy(&[("a", 1, 0)])), ("launch_type", Value::Unknown)]);
        assert!(strategy_errors(&unknown_type).is_empty(), "unknown until apply: checked then");
        let two_bases = Value::object([("capacity_provider_strategy", strategy(&[("a", 1, 1), ("b", 1, 2)]))]);
        assert!(strategy_errors(&two_bases)[0].1.contains("Only one capacity provider"));
        let no_weight = Value::object([("capacity_provider_strategy", strategy(&[("a", 0, 0), ("b", 0, 0)]))]);
        assert!(strategy_errors(&no_weight)[0].1.contains("weight above 0"));
        let twice = Value::object([("capacity_provider_strategy", strategy(&[("a", 1, 0), ("a", 1, 0)]))]);
        assert_eq!(strategy_errors(&twice)[0].0, "capacity_provider_strategy[1].capacity_provider");
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

    #[test]
    fn network_configuration_rules_follow_the_launch_type() {
        let paths = |cfg: &Value| {
            let mut d = Diagnostics::new();
            ServiceResource.validate(cfg, &mut d);
            d.0.iter().map(|x| x.path.as_ref().map(|p| p.to_string()).unwrap_or_default()).collect::<Vec<_>>()
        };
        let public = Value::object([("subnets", Value::Set(vec!["subnet-1".into()])), ("assign_public_ip", true.into())]);
        assert_eq!(paths(&Value::object([("launch_type", Value::string("FARGATE"))])), vec!["launch_type"]);
        assert_eq!(paths(&Value::object([("network_configuration", public.clone())])), vec!["network_configuration.assign_public_ip"]);
        assert!(paths(&Value::object([("launch_type", Value::string("FARGATE")), ("network_configuration", public)])).is_empty());
    }
}
