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
        "service_registries",
        "service_connect_configuration",
        "volume_configuration",
        "vpc_lattice_configurations",
        "force_delete",
        "triggers",
    ] {
        src.no_equivalent(key, |_| false);
    }
    src.no_equivalent("scheduling_strategy", |v| v == "REPLICA");
    src.no_equivalent("platform_version", |v| v == "LATEST");
    src.no_equivalent("iam_role", |v| v.as_str().is_some_and(|r| r.ends_with(SERVICE_LINKED_ROLE)));
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
    let load_balancers: Vec<Value> = src
        .get("load_balancer")
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, lb)| {
            // A Classic Load Balancer (elb_name) has no equivalent here.
            if !migrate::is_unset(&lb["elb_name"]) || migrate::is_unset(&lb["target_group_arn"]) {
                src.no_equivalent_at(format!("load_balancer[{i}]"), lb);
                return None;
            }
            Some(Value::object([
                ("target_group_arn", migrate::string(&lb["target_group_arn"])),
                ("container_name", migrate::string(&lb["container_name"])),
                ("container_port", migrate::int(&lb["container_port"])),
            ]))
        })
        .collect();
    let strategy: Vec<Value> = src
        .get("capacity_provider_strategy")
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    Value::object([
                        ("capacity_provider", migrate::string(&c["capacity_provider"])),
                        ("weight", Value::int(migrate::int(&c["weight"]).as_i64().unwrap_or(0))),
                        ("base", Value::int(migrate::int(&c["base"]).as_i64().unwrap_or(0))),
                    ])
                })
                .collect()
        })
        .unwrap_or_default();
    let breaker = match migrate::only(src.get("deployment_circuit_breaker")) {
        Some(b) if b["enable"] == Json::Bool(true) || b["rollback"] == Json::Bool(true) => {
            Value::object([("enable", migrate::boolean(&b["enable"], false)), ("rollback", migrate::boolean(&b["rollback"], false))])
        }
        _ => Value::Null,
    };
    let propagate = match migrate::string(src.get("propagate_tags")) {
        Value::Null => Value::string("NONE"),
        v => v,
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
        ("launch_type", if strategy.is_empty() { migrate::string(src.get("launch_type")) } else { Value::Null }),
        ("capacity_provider_strategy", Value::List(strategy)),
        ("load_balancer", Value::List(load_balancers)),
        ("deployment_circuit_breaker", breaker),
        ("enable_execute_command", migrate::boolean(src.get("enable_execute_command"), false)),
        ("enable_ecs_managed_tags", migrate::boolean(src.get("enable_ecs_managed_tags"), false)),
        ("propagate_tags", propagate),
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
        s["load_balancer"] = json!([{"elb_name": "classic", "container_name": "wordpress", "container_port": 80, "target_group_arn": ""}]);
        s["service_registries"] = json!([{"registry_arn": "arn:aws:servicediscovery:r:1:service/srv-1"}]);
        s["iam_role"] = json!("arn:aws:iam::123456789012:role/ecs-lb");
        let err = moved(&s).unwrap_err();
        let d = &err.0[0].detail;
        for k in ["`load_balancer[0]`", "`service_registries`", "`iam_role`"] {
            assert!(d.contains(k), "{k}: {d}");
        }
        assert!(err.0[0].summary.contains("3 setting(s)"), "{:?}", err.0[0]);
    }

    #[test]
    fn production_settings_carry_over() {
        let mut s = state();
        let tg = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/wp/0123456789abcdef";
        s["load_balancer"] = json!([{"elb_name": "", "container_name": "wordpress", "container_port": 80, "target_group_arn": tg}]);
        s["deployment_circuit_breaker"] = json!([{"enable": true, "rollback": true}]);
        s["enable_execute_command"] = json!(true);
        s["propagate_tags"] = json!("SERVICE");
        let v = moved(&s).expect("moves");
        assert_eq!(v.get("load_balancer").as_list().unwrap()[0].get("target_group_arn").as_str(), Some(tg));
        assert_eq!(v.get("deployment_circuit_breaker").get("rollback").as_bool(), Some(true));
        assert_eq!(v.get("enable_execute_command").as_bool(), Some(true));
        assert_eq!(v.get("propagate_tags").as_str(), Some("SERVICE"));
        assert!(moved(&state()).unwrap().get("deployment_circuit_breaker").is_null(), "off is the block left out");
    }
}
