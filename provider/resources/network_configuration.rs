//! The `network_configuration` block of `awsecs_service` and `awsecs_task` (the awsvpc network
//! mode: each task gets its own network interface in one of the subnets, with the security groups),
//! its expand and flatten, and the rules AWS applies to it: at validate time (a public IP only on
//! Fargate, Fargate only with the block), at plan time (the task definition's network mode wants
//! the block or refuses it; the subnets and groups exist and share one VPC).

use std::collections::BTreeSet;

use aws_sdk_ecs::types::{AssignPublicIp, AwsVpcConfiguration, NetworkConfiguration, TaskDefinition};
use futures_util::future::join_all;

use crate::framework::PlanRequest;
use crate::resources::Ctx;
use crate::tf::{AttrPath, Attribute, Block, Diagnostics, NestedBlock, Type, Value};

/// The block's name in both resources.
pub const BLOCK: &str = "network_configuration";

/// AWS's answer to an awsvpc task definition without a network configuration.
const AWSVPC_NEEDS_IT: &str = "Network Configuration must be provided when networkMode 'awsvpc' is specified.";

/// The block (at most one). `force_new` for `awsecs_task` (a task's network cannot change); a
/// service changes it in place (UpdateService takes networkConfiguration).
pub fn block(force_new: bool) -> NestedBlock {
    let change = if force_new { "Changing it runs the task anew." } else { "Changing it updates the service in place." };
    let b = Block::new(format!("The tasks' network in the awsvpc network mode: each task gets its own network interface in one of `subnets`, with `security_groups`. Required when the task definition has `network_mode = \"awsvpc\"` (always the case on Fargate); not allowed otherwise. {change}"))
        .attr(
            Attribute::required("subnets", Type::set(Type::String))
                .validate(ids("subnet", "subnet-", 1, 16))
                .describe("Ids of the subnets (1 to 16, all in one VPC) the tasks' network interfaces are placed in."),
        )
        .attr(
            Attribute::optional("security_groups", Type::set(Type::String))
                .validate(ids("security group", "sg-", 0, 5))
                .describe("Ids of the security groups (at most 5, of the subnets' VPC) of the tasks' network interfaces. Left out: the VPC's default security group."),
        )
        .attr(
            Attribute::optional("assign_public_ip", Type::Bool)
                .default(false)
                .describe("Give each task a public IP address (default false). Only for the FARGATE launch type; on EC2 tasks reach the internet through a NAT gateway."),
        );
    let nb = NestedBlock::single(BLOCK, b);
    if force_new {
        nb.force_new()
    } else {
        nb
    }
}

/// Validator: a set of `min..=max` ids that start with `prefix`.
fn ids(kind: &'static str, prefix: &'static str, min: usize, max: usize) -> impl Fn(&Value) -> Result<(), String> + Send + Sync + 'static {
    move |v| {
        let items = v.as_list().unwrap_or(&[]);
        if !(min..=max).contains(&items.len()) {
            return Err(format!("Give {min} to {max} {kind} ids; this has {}.", items.len()));
        }
        for item in items {
            let s = item.as_str().unwrap_or_default();
            if !s.starts_with(prefix) || s.len() <= prefix.len() {
                return Err(format!("{s:?} is not a {kind} id: use the id, such as \"{prefix}0123456789abcdef0\", not a name."));
            }
        }
        Ok(())
    }
}

/// The block of the resource value `v` as the request's networkConfiguration; None when the block is
/// not configured.
pub fn expand(v: &Value) -> Option<NetworkConfiguration> {
    let nc = v.get(BLOCK);
    if !matches!(nc, Value::Object(_)) {
        return None;
    }
    let groups = nc.get("security_groups").to_string_list();
    let public = if nc.get("assign_public_ip").as_bool() == Some(true) { AssignPublicIp::Enabled } else { AssignPublicIp::Disabled };
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(nc.get("subnets").to_string_list()))
        .set_security_groups((!groups.is_empty()).then_some(groups))
        .assign_public_ip(public)
        .build()
        .ok()?;
    Some(NetworkConfiguration::builder().awsvpc_configuration(vpc).build())
}

/// The block's state from what AWS reports; `prior` is the resource value before (the plan, the
/// prior state, or null on import). Null when AWS reports no awsvpc configuration, so that a
/// resource without the block plans clean; `security_groups` stays null when AWS reports none and
/// the configuration left them out.
pub fn flatten(nc: Option<&NetworkConfiguration>, prior: &Value) -> Value {
    let Some(vpc) = nc.and_then(|n| n.awsvpc_configuration()) else { return Value::Null };
    if vpc.subnets().is_empty() {
        return Value::Null;
    }
    let before = prior.get(BLOCK);
    let set = |ids: &[String]| Value::Set(ids.iter().map(|s| Value::string(s.clone())).collect());
    let groups =
        if vpc.security_groups().is_empty() && before.get("security_groups").is_null() { Value::Null } else { set(vpc.security_groups()) };
    let public = match vpc.assign_public_ip() {
        Some(a) => a.as_str() == "ENABLED",
        None => before.get("assign_public_ip").as_bool().unwrap_or(false),
    };
    Value::object([("subnets", set(vpc.subnets())), ("security_groups", groups), ("assign_public_ip", Value::Bool(public))])
}

/// The validate-time rules (no AWS call). `default_launch_type` is what the tasks run with when
/// `launch_type` is left out.
pub fn validate(config: &Value, default_launch_type: &str, diags: &mut Diagnostics) {
    let (launch_type, implicit) = match config.get("launch_type") {
        Value::Null => (default_launch_type, " (`launch_type` is left out)"),
        Value::String(s) => (s.as_str(), ""),
        _ => return, // unknown until apply
    };
    let nc = config.get(BLOCK);
    if launch_type == "FARGATE" {
        if nc.is_null() {
            diags.error_at(
                AttrPath::root("launch_type"),
                "The FARGATE launch type needs a network_configuration block",
                format!("Fargate runs every task in the awsvpc network mode, with a network interface of its own, and AWS refuses it without a network configuration: \"{AWSVPC_NEEDS_IT}\" Add `network_configuration {{ subnets = [...] security_groups = [...] }}` with the subnets and security groups of your VPC."),
            );
        }
        return;
    }
    if nc.get("assign_public_ip").as_bool() == Some(true) {
        diags.error_at(
            AttrPath::root(BLOCK).attr("assign_public_ip"),
            format!("assign_public_ip needs the FARGATE launch type, not {launch_type}"),
            format!("The tasks run with launch type {launch_type}{implicit}, and AWS refuses a public IP for it: \"Assign public IP is not supported for this launch type.\" Tasks on container instances reach the internet through a NAT gateway of their subnets. Remove `assign_public_ip` (or set it to false), or set `launch_type = \"FARGATE\"`."),
        );
    }
}

/// The plan-time checks, when the plan creates the resource or changes its task definition or
/// network configuration: the task definition's network mode against the block, then the subnets'
/// and groups' VPCs. AWS errors while reading are logged and skip the check; they never fail a plan.
pub async fn check_plan(ctx: &Ctx, req: &PlanRequest<'_>, planned: &Value, diags: &mut Diagnostics) {
    let (td, nc) = (planned.get("task_definition"), planned.get(BLOCK));
    let changed = req.create || req.replace || req.prior.get("task_definition") != td || req.prior.get(BLOCK) != nc;
    if !changed {
        return;
    }
    if let Some(td) = td.as_str() {
        check_network_mode(ctx, td, planned, diags).await;
    }
    if nc.is_wholly_known() {
        check_vpc(ctx, planned, diags).await;
    }
}

/// An awsvpc task definition needs the block; any other network mode refuses it.
pub async fn check_network_mode(ctx: &Ctx, td_ref: &str, planned: &Value, diags: &mut Diagnostics) {
    let nc = planned.get(BLOCK);
    if nc.is_unknown() {
        return;
    }
    let td = match ctx.aws.find_task_definition(td_ref).await {
        Ok(Some((td, _))) => td,
        Ok(None) => return, // the apply says that it does not exist
        Err(e) => {
            tracing::debug!(task_definition = td_ref, "network mode check skipped: {e}");
            return;
        }
    };
    if let Some((path, summary, detail)) = mode_problem(&td, td_ref, !nc.is_null()) {
        diags.error_at(path, summary, detail);
    }
}

fn mode_problem(td: &TaskDefinition, td_ref: &str, configured: bool) -> Option<(AttrPath, String, String)> {
    let mode = td.network_mode().map(|m| m.as_str().to_string()).unwrap_or_else(|| "bridge".to_string());
    match (mode == "awsvpc", configured) {
        (true, false) => Some((
            AttrPath::root(BLOCK),
            format!("Task definition {td_ref} uses the awsvpc network mode: a network_configuration block is required"),
            format!("Each task of an awsvpc task definition gets a network interface of its own, and AWS refuses to run one without a network configuration: \"{AWSVPC_NEEDS_IT}\" Add `network_configuration {{ subnets = [...] security_groups = [...] }}` with the subnets and security groups of your VPC."),
        )),
        (false, true) => Some((
            AttrPath::root(BLOCK),
            format!("Task definition {td_ref} uses the {mode} network mode: network_configuration is not allowed"),
            format!("Only awsvpc task definitions take a network configuration; for the {mode} mode AWS answers \"Network Configuration is not valid for the given networkMode of this task definition.\" Remove the `network_configuration` block, or use a task definition with `network_mode = \"awsvpc\"`."),
        )),
        _ => None,
    }
}

/// What was found of one configured id: the id and its VPC, or None when it does not exist.
type Found = (String, Option<String>);

/// Subnets and security groups must exist and be in one VPC, which AWS's own errors do not make
/// plain. Reads them when they are known; errors at `network_configuration.subnets` or
/// `network_configuration.security_groups`.
pub async fn check_vpc(ctx: &Ctx, planned: &Value, diags: &mut Diagnostics) {
    let nc = planned.get(BLOCK);
    let (subnets, groups) = (nc.get("subnets"), nc.get("security_groups"));
    if !matches!(nc, Value::Object(_)) || !subnets.is_wholly_known() || !groups.is_wholly_known() {
        return;
    }
    let (subnet_ids, group_ids) = (subnets.to_string_list(), groups.to_string_list());
    if subnet_ids.is_empty() {
        return;
    }
    let aws = &ctx.aws;
    let found_subnets = join_all(subnet_ids.iter().map(|id| aws.find_subnet(id))).await;
    let found_groups = join_all(group_ids.iter().map(|id| aws.find_security_group(id))).await;
    let mut subnet_vpcs: Vec<Found> = Vec::new();
    for (id, found) in subnet_ids.iter().zip(found_subnets) {
        match found {
            Ok(s) => subnet_vpcs.push((id.clone(), s.map(|s| s.vpc_id().unwrap_or_default().to_string()))),
            Err(e) => {
                tracing::debug!(subnet = %id, "network configuration VPC check skipped: {e}");
                return;
            }
        }
    }
    let mut group_vpcs: Vec<Found> = Vec::new();
    for (id, found) in group_ids.iter().zip(found_groups) {
        match found {
            Ok(g) => group_vpcs.push((id.clone(), g.map(|g| g.vpc_id().unwrap_or_default().to_string()))),
            Err(e) => {
                tracing::debug!(security_group = %id, "network configuration VPC check skipped: {e}");
                return;
            }
        }
    }
    for (path, summary, detail) in vpc_problems(&subnet_vpcs, &group_vpcs, &ctx.aws.region) {
        diags.error_at(path, summary, detail);
    }
}

fn vpc_problems(subnets: &[Found], groups: &[Found], region: &str) -> Vec<(AttrPath, String, String)> {
    let subnets_at = AttrPath::root(BLOCK).attr("subnets");
    let groups_at = AttrPath::root(BLOCK).attr("security_groups");
    let mut out = Vec::new();
    let missing: Vec<&str> = subnets.iter().filter(|(_, vpc)| vpc.is_none()).map(|(id, _)| id.as_str()).collect();
    if !missing.is_empty() {
        out.push((
            subnets_at.clone(),
            format!("Subnet {} does not exist", missing.join(", ")),
            format!("No subnet with that id in region {region}. Use the ids (subnet-...) of existing subnets of the VPC the tasks should run in."),
        ));
    }
    let vpcs: BTreeSet<&str> = subnets.iter().filter_map(|(_, vpc)| vpc.as_deref()).collect();
    if vpcs.len() > 1 {
        let each: Vec<String> = subnets.iter().filter_map(|(id, vpc)| Some(format!("{id} is in {}", vpc.as_deref()?))).collect();
        out.push((
            subnets_at,
            format!("The subnets are in different VPCs: {}", vpcs.iter().copied().collect::<Vec<_>>().join(", ")),
            format!(
                "{}. All the subnets and security groups of a network configuration must be in one VPC: pick subnets of one of them.",
                each.join(", ")
            ),
        ));
        return out;
    }
    let Some(vpc) = vpcs.into_iter().next() else { return out };
    let missing: Vec<&str> = groups.iter().filter(|(_, v)| v.is_none()).map(|(id, _)| id.as_str()).collect();
    if !missing.is_empty() {
        out.push((
            groups_at.clone(),
            format!("Security group {} does not exist", missing.join(", ")),
            format!(
                "No security group with that id in region {region}. Use the ids (sg-...) of security groups of {vpc}, the subnets' VPC."
            ),
        ));
    }
    let others: Vec<String> =
        groups.iter().filter_map(|(id, v)| v.as_deref().filter(|v| *v != vpc).map(|v| format!("{id} is in {v}"))).collect();
    if !others.is_empty() {
        let ids: Vec<&str> = subnets.iter().map(|(id, _)| id.as_str()).collect();
        out.push((
            groups_at,
            format!("The security groups are not in the subnets' VPC {vpc}"),
            format!("The subnets ({}) are in {vpc}, but {}. A task's network interface can only use security groups of its own VPC: pick groups of {vpc}, or subnets of their VPC.", ids.join(", "), others.join(", ")),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::NetworkMode;

    use crate::framework::validate::run_validators;

    fn strs(items: &[&str]) -> Value {
        Value::Set(items.iter().map(|s| Value::string(*s)).collect())
    }

    fn nc(subnets: &[&str], groups: Option<&[&str]>, public: bool) -> Value {
        Value::object([
            ("subnets", strs(subnets)),
            ("security_groups", groups.map(strs).unwrap_or(Value::Null)),
            ("assign_public_ip", public.into()),
        ])
    }

    /// (path, summary) of each error of the attribute validators and `validate`.
    fn errors(cfg: &Value) -> Vec<(String, String)> {
        let mut d = Diagnostics::new();
        run_validators(&Block::new("").block(block(false)), cfg, &AttrPath::default(), &mut d);
        validate(cfg, "EC2", &mut d);
        d.0.iter().map(|e| (e.path.as_ref().map(|p| p.to_string()).unwrap_or_default(), e.summary.clone())).collect()
    }

    fn paths(cfg: &Value) -> Vec<String> {
        errors(cfg).into_iter().map(|(p, _)| p).collect()
    }

    #[test]
    fn counts_and_ids_are_checked() {
        let cfg = |n: Value| Value::object([(BLOCK, n)]);
        assert_eq!(errors(&cfg(nc(&["subnet-1"], Some(&["sg-1"]), false))), vec![]);
        assert_eq!(paths(&cfg(nc(&[], None, false))), vec!["network_configuration.subnets"]);
        let many: Vec<String> = (0..17).map(|i| format!("subnet-{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(paths(&cfg(nc(&many, None, false))), vec!["network_configuration.subnets"]);
        let six = ["sg-1", "sg-2", "sg-3", "sg-4", "sg-5", "sg-6"];
        assert_eq!(paths(&cfg(nc(&["subnet-1"], Some(&six), false))), vec!["network_configuration.security_groups"]);
        assert_eq!(paths(&cfg(nc(&["subnet-1"], Some(&["web"]), false))), vec!["network_configuration.security_groups"]);
        // Not known yet: not judged.
        assert_eq!(errors(&cfg(Value::object([("subnets", Value::Unknown)]))), vec![]);
    }

    #[test]
    fn public_ip_only_on_fargate_and_fargate_only_with_the_block() {
        let with = |lt: Value, n: Value| Value::object([("launch_type", lt), (BLOCK, n)]);
        let public = nc(&["subnet-1"], None, true);
        assert_eq!(paths(&with(Value::Null, public.clone())), vec!["network_configuration.assign_public_ip"]);
        assert_eq!(paths(&with("EC2".into(), public.clone())), vec!["network_configuration.assign_public_ip"]);
        assert_eq!(errors(&with("FARGATE".into(), public.clone())), vec![]);
        assert_eq!(errors(&with(Value::Unknown, public)), vec![]);
        assert_eq!(errors(&with(Value::Null, nc(&["subnet-1"], None, false))), vec![]);
        assert_eq!(paths(&with("FARGATE".into(), Value::Null)), vec!["launch_type"]);
        assert_eq!(errors(&with("EC2".into(), Value::Null)), vec![]);
        // A dynamic block not known yet.
        assert_eq!(errors(&with("FARGATE".into(), Value::Unknown)), vec![]);
    }

    #[test]
    fn expand_and_flatten_round_trip() {
        let planned = Value::object([(BLOCK, nc(&["subnet-b", "subnet-a"], Some(&["sg-1"]), true))]);
        let sent = expand(&planned).expect("a network configuration");
        let vpc = sent.awsvpc_configuration().expect("awsvpc configuration");
        assert_eq!(vpc.subnets(), ["subnet-b", "subnet-a"]);
        assert_eq!(vpc.security_groups(), ["sg-1"]);
        assert_eq!(vpc.assign_public_ip(), Some(&AssignPublicIp::Enabled));
        assert_eq!(flatten(Some(&sent), &planned), planned.get(BLOCK).clone());

        // Left out: nothing sent, nothing kept.
        assert!(expand(&Value::object([(BLOCK, Value::Null)])).is_none());
        assert_eq!(flatten(None, &Value::Null), Value::Null);
        assert_eq!(flatten(Some(&NetworkConfiguration::builder().build()), &Value::Null), Value::Null);

        // No groups configured and none reported: null, not an empty set.
        let planned = Value::object([(BLOCK, nc(&["subnet-a"], None, false))]);
        let sent = expand(&planned).expect("a network configuration");
        assert!(sent.awsvpc_configuration().expect("awsvpc").security_groups().is_empty());
        assert_eq!(sent.awsvpc_configuration().and_then(|v| v.assign_public_ip()), Some(&AssignPublicIp::Disabled));
        assert_eq!(flatten(Some(&sent), &planned), planned.get(BLOCK).clone());
        // Import (no prior): what AWS reports.
        let flat = flatten(Some(&sent), &Value::Null);
        assert_eq!(flat.get("subnets"), &strs(&["subnet-a"]));
        assert_eq!(flat.get("assign_public_ip"), &Value::Bool(false));
    }

    #[test]
    fn network_mode_wants_the_block_or_refuses_it() {
        let awsvpc = TaskDefinition::builder().network_mode(NetworkMode::Awsvpc).build();
        let (path, summary, detail) = mode_problem(&awsvpc, "web:1", false).expect("awsvpc needs the block");
        assert_eq!(path.to_string(), "network_configuration");
        assert!(summary.contains("web:1") && detail.contains(AWSVPC_NEEDS_IT), "{summary} / {detail}");
        assert!(mode_problem(&awsvpc, "web:1", true).is_none());
        let bridge = TaskDefinition::builder().network_mode(NetworkMode::Bridge).build();
        let (path, summary, _) = mode_problem(&bridge, "web:2", true).expect("bridge refuses the block");
        assert_eq!(path.to_string(), "network_configuration");
        assert!(summary.contains("bridge"), "{summary}");
        assert!(mode_problem(&bridge, "web:2", false).is_none());
        // No network mode reported: the default (bridge).
        assert!(mode_problem(&TaskDefinition::builder().build(), "web:3", true).is_some());
    }

    #[test]
    fn vpc_problems_name_both_vpcs() {
        let f = |id: &str, vpc: Option<&str>| (id.to_string(), vpc.map(str::to_string));
        let one = [f("subnet-a", Some("vpc-1")), f("subnet-b", Some("vpc-1"))];
        assert!(vpc_problems(&one, &[f("sg-1", Some("vpc-1"))], "r").is_empty());
        assert!(vpc_problems(&one, &[], "r").is_empty());

        let p = vpc_problems(&one, &[f("sg-1", Some("vpc-1")), f("sg-2", Some("vpc-2"))], "r");
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].0.to_string(), "network_configuration.security_groups");
        assert!(p[0].1.contains("vpc-1") && p[0].2.contains("sg-2 is in vpc-2") && p[0].2.contains("subnet-a"), "{p:?}");

        let p = vpc_problems(&[f("subnet-a", Some("vpc-1")), f("subnet-c", Some("vpc-2"))], &[f("sg-1", Some("vpc-1"))], "r");
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].0.to_string(), "network_configuration.subnets");
        assert!(p[0].1.contains("vpc-1, vpc-2") && p[0].2.contains("subnet-c is in vpc-2"), "{p:?}");

        let p = vpc_problems(&[f("subnet-x", None)], &[f("sg-1", Some("vpc-1"))], "ap-northeast-1");
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].0.to_string(), "network_configuration.subnets");
        assert!(p[0].1.contains("subnet-x does not exist") && p[0].2.contains("ap-northeast-1"), "{p:?}");

        let p = vpc_problems(&one, &[f("sg-9", None)], "r");
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].0.to_string(), "network_configuration.security_groups");
        assert!(p[0].1.contains("sg-9 does not exist"), "{p:?}");
    }
}
