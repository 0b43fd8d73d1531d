//! `moved` from hashicorp/aws's `aws_ecs_service`. The settings this resource manages carry over;
//! what it does not manage yet (load balancers, capacity provider strategies, service discovery,
//! Service Connect, alarms, circuit breakers, ECS Exec, ...) is refused by name when it is set.
//! Terraform-only settings (`wait_for_steady_state`, `force_new_deployment`) take this resource's
//! defaults: they shape what an apply waits for, not what runs in AWS.

use serde_json::Value as Json;

use crate::framework::MoveSource;
use crate::resources::migrate;
use crate::tf::{Diagnostics, Value};

/// The ECS service-linked role hashicorp/aws records as `iam_role` when none is configured.
const SERVICE_LINKED_ROLE: &str = "AWSServiceRoleForECS";

pub(super) fn move_state(from: &MoveSource<'_>) -> Result<Value, Diagnostics> {
    let mut src = migrate::source(from, "aws_ecs_service", 1, "awsecs_service")?;
    for key in [
        "alarms",
        "capacity_provider_strategy",
        "load_balancer",
        "service_registries",
        "service_connect_configuration",
        "volume_configuration",
        "vpc_lattice_configurations",
        "enable_ecs_managed_tags",
        "enable_execute_command",
        "force_delete",
        "triggers",
    ] {
        src.no_equivalent(key, |_| false);
    }
    src.no_equivalent("propagate_tags", |v| v == "NONE");
    src.no_equivalent("scheduling_strategy", |v| v == "REPLICA");
    src.no_equivalent("platform_version", |v| v == "LATEST");
    src.no_equivalent("iam_role", |v| v.as_str().is_some_and(|r| r.ends_with(SERVICE_LINKED_ROLE)));
    src.no_equivalent("deployment_circuit_breaker", |v| migrate::only(v).is_some_and(|b| b["enable"] != Json::Bool(true)));
    src.no_equivalent("deployment_controller", |v| migrate::only(v).is_some_and(|b| b["type"] == "ECS" || migrate::is_unset(&b["type"])));
    src.no_equivalent("deployment_configuration", |v| {
        migrate::only(v).is_some_and(|b| {
            (b["strategy"] == "ROLLING" || migrate::is_unset(&b["strategy"]))
                && ["bake_time_in_minutes", "canary_configuration", "linear_configuration", "lifecycle_hook"]
                    .iter()
                    .all(|k| migrate::is_unset(&b[k]))
        })
    });

    let strategies: Vec<Value> = src
        .get("ordered_placement_strategy")
        .as_array()
        .map(|a| {
            a.iter().map(|p| Value::object([("type", migrate::string(&p["type"])), ("field", migrate::string(&p["field"]))])).collect()
        })
        .unwrap_or_default();
    let constraints: Vec<Value> = src
        .get("placement_constraints")
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| Value::object([("type", migrate::string(&p["type"])), ("expression", migrate::string(&p["expression"]))]))
                .collect()
        })
        .unwrap_or_default();
    let network = match migrate::only(src.get("network_configuration")) {
        Some(n) => Value::object([
            ("subnets", migrate::string_set(&n["subnets"])),
            ("security_groups", migrate::string_set(&n["security_groups"])),
            ("assign_public_ip", migrate::boolean(&n["assign_public_ip"], false)),
        ]),
        None => Value::Null,
    };
    let grace = migrate::int(src.get("health_check_grace_period_seconds"));
    let arn = match migrate::string(src.get("arn")) {
        Value::Null => migrate::string(src.get("id")),
        arn => arn,
    };
    let state = Value::object([
        ("id", arn.clone()),
        ("arn", arn),
        ("name", migrate::string(src.get("name"))),
        ("cluster", migrate::string(src.get("cluster"))),
        ("task_definition", migrate::string(src.get("task_definition"))),
        ("desired_count", migrate::int(src.get("desired_count"))),
        ("launch_type", migrate::string(src.get("launch_type"))),
        ("deployment_minimum_healthy_percent", migrate::int(src.get("deployment_minimum_healthy_percent"))),
        ("deployment_maximum_percent", migrate::int(src.get("deployment_maximum_percent"))),
        ("health_check_grace_period_seconds", if grace.as_i64() == Some(0) { Value::Null } else { grace }),
        ("ordered_placement_strategy", Value::List(strategies)),
        ("placement_constraint", Value::List(constraints)),
        ("network_configuration", network),
        ("tags", migrate::string_map(src.get("tags"))),
        ("tags_all", migrate::string_map(src.get("tags_all"))),
    ]);
    src.finish(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state() -> Json {
        json!({
            "alarms": [], "arn": "arn:aws:ecs:ap-northeast-1:123456789012:service/wordpress/wordpress", "availability_zone_rebalancing": "ENABLED",
            "capacity_provider_strategy": [], "cluster": "arn:aws:ecs:ap-northeast-1:123456789012:cluster/wordpress",
            "deployment_circuit_breaker": [{"enable": false, "rollback": false}],
            "deployment_configuration": [{"bake_time_in_minutes": "", "canary_configuration": [], "lifecycle_hook": [], "linear_configuration": [], "strategy": "ROLLING"}],
            "deployment_controller": [{"type": "ECS"}], "deployment_maximum_percent": 200, "deployment_minimum_healthy_percent": 0, "desired_count": 1,
            "enable_ecs_managed_tags": false, "enable_execute_command": false, "force_delete": null, "force_new_deployment": null,
            "health_check_grace_period_seconds": 0, "iam_role": "/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
            "id": "arn:aws:ecs:ap-northeast-1:123456789012:service/wordpress/wordpress", "launch_type": "EC2", "load_balancer": [], "name": "wordpress",
            "network_configuration": [], "ordered_placement_strategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}],
            "placement_constraints": [], "platform_version": "", "propagate_tags": "NONE", "region": "ap-northeast-1", "scheduling_strategy": "REPLICA",
            "service_connect_configuration": [], "service_registries": [], "sigint_rollback": null, "tags": {"app": "wp"}, "tags_all": {"app": "wp"},
            "task_definition": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/wordpress:1", "timeouts": null, "triggers": {},
            "volume_configuration": [], "vpc_lattice_configurations": [], "wait_for_steady_state": false
        })
    }

    fn moved(s: &Json) -> Result<Value, Diagnostics> {
        move_state(&MoveSource {
            provider: "registry.terraform.io/hashicorp/aws",
            type_name: "aws_ecs_service",
            schema_version: 1,
            state: s,
        })
    }

    #[test]
    fn managed_settings_carry_over_and_terraform_only_ones_take_our_defaults() {
        let v = moved(&state()).expect("moves");
        assert_eq!(
            v.get("cluster").as_str(),
            Some("arn:aws:ecs:ap-northeast-1:123456789012:cluster/wordpress"),
            "the form the configuration used"
        );
        assert_eq!(v.get("deployment_minimum_healthy_percent").as_i64(), Some(0));
        assert_eq!(
            v.get("ordered_placement_strategy").as_list().unwrap()[0].get("field").as_str(),
            Some("attribute:ecs.availability-zone")
        );
        assert!(v.get("health_check_grace_period_seconds").is_null(), "0 is unset");
        assert!(v.get("wait_for_steady_state").is_null(), "left to the framework's default (true), not hashicorp/aws's false");
        assert_eq!(v.get("tags").to_string_map().get("app").map(String::as_str), Some("wp"));
    }

    #[test]
    fn what_this_resource_does_not_manage_is_refused_by_name() {
        let mut s = state();
        s["load_balancer"] = json!([{"container_name": "wordpress", "container_port": 80, "target_group_arn": "arn:tg"}]);
        s["deployment_circuit_breaker"] = json!([{"enable": true, "rollback": true}]);
        s["enable_execute_command"] = json!(true);
        s["iam_role"] = json!("arn:aws:iam::123456789012:role/ecs-lb");
        let err = moved(&s).unwrap_err();
        let d = &err.0[0].detail;
        for k in ["`load_balancer`", "`deployment_circuit_breaker`", "`enable_execute_command`", "`iam_role`"] {
            assert!(d.contains(k), "{k}: {d}");
        }
        assert!(err.0[0].summary.contains("4 setting(s)"), "{:?}", err.0[0]);
    }
}
