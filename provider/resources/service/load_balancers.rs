//! `load_balancer` blocks of `awsecs_service`: the schema, the checks (at validate: the target
//! group ARN's form, each target group once; at plan: the task definition has the container and the
//! port), and the conversions to and from ECS's `LoadBalancer`.
//!
//! Target groups are checked through ECS alone (the task definition): the target type and the load
//! balancer association need the ELBv2 API, which CreateService checks itself and whose error the
//! apply then quotes.

use aws_sdk_ecs::types::{LoadBalancer, TaskDefinition};

use crate::framework::validate::int_between;
use crate::tf::{AttrPath, Attribute, Block, Diagnostics, Type, Value};

pub(super) const BLOCK: &str = "load_balancer";

pub(super) fn block() -> Block {
    Block::new("Registers the service's tasks with an Elastic Load Balancing target group (at most 5): each task's container port becomes a target, and the task counts as healthy only once the target group says it is. Changes in place, with a new deployment.")
        .attr(Attribute::required("target_group_arn", Type::String).validate(check_target_group_arn).describe("ARN of the target group (e.g. `aws_lb_target_group.wp.arn`). Its target type must be `instance` for bridge and host network modes, `ip` for awsvpc; it must belong to a load balancer."))
        .attr(Attribute::required("container_name", Type::String).describe("The container of the task definition that receives the traffic."))
        .attr(Attribute::required("container_port", Type::Number).validate(int_between(1, 65535)).describe("Its `port_mapping.container_port` that receives the traffic."))
}

fn check_target_group_arn(v: &Value) -> Result<(), String> {
    let s = v.as_str().unwrap_or("");
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    if parts.len() == 6 && parts[0] == "arn" && parts[2] == "elasticloadbalancing" && parts[5].starts_with("targetgroup/") {
        Ok(())
    } else {
        Err(format!("{s:?} is not a target group ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID, e.g. `aws_lb_target_group.wp.arn`). Classic Load Balancers are not supported."))
    }
}

/// Each target group once (ECS: "a service can only be associated with a target group once" for the
/// same container and port).
pub(super) fn validate(config: &Value, diags: &mut Diagnostics) {
    let mut seen: Vec<(&str, Option<&str>, Option<i64>)> = Vec::new();
    for (i, lb) in config.get(BLOCK).as_list().unwrap_or(&[]).iter().enumerate() {
        let (Some(tg), name, port) =
            (lb.get("target_group_arn").as_str(), lb.get("container_name").as_str(), lb.get("container_port").as_i64())
        else {
            continue;
        };
        if seen.contains(&(tg, name, port)) {
            diags.error_at(
                AttrPath::root(BLOCK).index(i),
                "The same target group, container and port appear twice",
                "Each `load_balancer` block names a different target group, or another container port.",
            );
        }
        seen.push((tg, name, port));
    }
}

/// Plan-time: every `load_balancer` names a container of the task definition and one of its
/// container ports; in bridge mode a fixed host port stops two tasks sharing an instance, which a
/// load-balanced rolling deployment needs (a warning).
pub(super) fn check_against(td: &TaskDefinition, planned: &Value, diags: &mut Diagnostics) {
    let td_name = format!("{}:{}", td.family().unwrap_or("?"), td.revision());
    for (i, lb) in planned.get(BLOCK).as_list().unwrap_or(&[]).iter().enumerate() {
        let at = AttrPath::root(BLOCK).index(i);
        let (Some(name), Some(port)) = (lb.get("container_name").as_str(), lb.get("container_port").as_i64()) else { continue };
        let Some(c) = td.container_definitions().iter().find(|c| c.name() == Some(name)) else {
            let names: Vec<&str> = td.container_definitions().iter().filter_map(|c| c.name()).collect();
            diags.error_at(
                at.attr("container_name"),
                format!("Task definition {td_name} has no container {name:?}"),
                format!(
                    "ECS would refuse the service: the load balancer's container must be in the task definition (its containers: {}).",
                    names.join(", ")
                ),
            );
            continue;
        };
        let Some(pm) = c.port_mappings().iter().find(|pm| pm.container_port().map(i64::from) == Some(port)) else {
            let ports: Vec<String> = c.port_mappings().iter().filter_map(|pm| pm.container_port()).map(|p| p.to_string()).collect();
            diags.error_at(
                at.attr("container_port"),
                format!("Container {name:?} of {td_name} has no container port {port}"),
                format!(
                    "ECS would refuse the service (\"The container {name} did not have a container port {port} defined.\"). Its ports: {}. Add a `port_mapping` with `container_port = {port}` or name one of these.",
                    if ports.is_empty() { "none".to_string() } else { ports.join(", ") }
                ),
            );
            continue;
        };
        let bridge = td.network_mode().map(|m| m.as_str()).unwrap_or("bridge") == "bridge";
        if bridge && pm.host_port().is_some_and(|h| h > 0) && planned.get("deployment_maximum_percent").as_i64().unwrap_or(200) > 100 {
            diags.warning_at(
                at.attr("container_port"),
                format!("Container port {port} of {name:?} has a fixed host port"),
                format!("With host port {} each instance runs one task of the service, so a rolling deployment needs a free instance for every new task. Behind a load balancer, leave `host_port` out in bridge mode: Docker picks a port and the target group follows it.", pm.host_port().unwrap_or_default()),
            );
        }
    }
}

pub(super) fn expand(v: &Value) -> Vec<LoadBalancer> {
    v.get(BLOCK)
        .as_list()
        .unwrap_or(&[])
        .iter()
        .map(|lb| {
            LoadBalancer::builder()
                .set_target_group_arn(lb.get("target_group_arn").as_str().map(str::to_string))
                .set_container_name(lb.get("container_name").as_str().map(str::to_string))
                .set_container_port(lb.get("container_port").as_i64().and_then(|p| i32::try_from(p).ok()))
                .build()
        })
        .collect()
}

pub(super) fn flatten(list: &[LoadBalancer]) -> Value {
    Value::List(
        list.iter()
            .map(|lb| {
                Value::object([
                    ("target_group_arn", Value::opt_string(lb.target_group_arn())),
                    ("container_name", Value::opt_string(lb.container_name())),
                    ("container_port", Value::opt_int(lb.container_port().map(i64::from))),
                ])
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{ContainerDefinition, NetworkMode, PortMapping};

    use super::*;

    fn lb(tg: &str, name: &str, port: i64) -> Value {
        Value::object([("target_group_arn", tg.into()), ("container_name", name.into()), ("container_port", Value::int(port))])
    }

    const TG: &str = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/wp/0123456789abcdef";

    #[test]
    fn target_group_arns() {
        assert!(check_target_group_arn(&TG.into()).is_ok());
        assert!(check_target_group_arn(&"arn:aws:elasticloadbalancing:r:1:loadbalancer/app/wp/1".into()).is_err());
        assert!(check_target_group_arn(&"wp".into()).is_err());
    }

    #[test]
    fn checked_against_the_task_definition() {
        let td = TaskDefinition::builder()
            .family("wp")
            .revision(3)
            .network_mode(NetworkMode::Bridge)
            .container_definitions(
                ContainerDefinition::builder()
                    .name("web")
                    .port_mappings(PortMapping::builder().container_port(80).host_port(80).build())
                    .build(),
            )
            .build();
        let planned = Value::object([(BLOCK, Value::List(vec![lb(TG, "web", 80), lb(TG, "web", 443), lb(TG, "db", 3306)]))]);
        let mut d = Diagnostics::new();
        check_against(&td, &planned, &mut d);
        let got: Vec<(String, String)> =
            d.0.iter().map(|x| (x.path.as_ref().map(|p| p.to_string()).unwrap_or_default(), x.summary.clone())).collect();
        assert_eq!(got[0].0, "load_balancer[0].container_port");
        assert!(got[0].1.contains("fixed host port"), "{got:?}");
        assert_eq!(got[1].0, "load_balancer[1].container_port");
        assert!(got[1].1.contains("no container port 443"));
        assert_eq!(got[2].0, "load_balancer[2].container_name");
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn twice_is_refused() {
        let cfg = Value::object([(BLOCK, Value::List(vec![lb(TG, "web", 80), lb(TG, "web", 80)]))]);
        let mut d = Diagnostics::new();
        validate(&cfg, &mut d);
        assert_eq!(d.0.len(), 1);
    }
}
