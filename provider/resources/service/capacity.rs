//! The plan-time checks of `awsecs_service` against the cluster's ACTIVE container instances:
//! `capacity_warning` (no instance registered enough memory or CPU for one task) and
//! `deployment_warning` (an update starts a rolling deployment that cannot take its first step:
//! ECS may not stop an old task before a new one runs, and may not or cannot start the new one).
//! What one task needs: `task_requirements` (CPU, memory) and `TaskNeed` (also its host ports).
//!
//! Over 500 lines: the code is about 370 (the deployment check's pure rule, `first_step`, and its
//! message sit next to the reads they are fed from); the rest is unit tests.
//!
//! Over 500 lines: 370 of code (two checks sharing one reading of the instances) and their unit
//! tests, one per case of the first-step rule.

use aws_sdk_ecs::types::{ContainerInstance, ContainerInstanceStatus, NetworkMode, Resource, TaskDefinition, TransportProtocol};

use super::progress::STUCK_GRACE;
use super::{same_task_definition, Config};
use crate::framework::wait::human;
use crate::framework::PlanRequest;
use crate::resources::network_configuration;
use crate::resources::Ctx;
use crate::tf::{AttrPath, Diagnostics, Value};

/// (cpu units, MiB) a task of this definition needs: task-level values when set, otherwise the sum
/// over its containers (memoryReservation, else memory: with both, placement reserves the soft limit).
pub fn task_requirements(td: &TaskDefinition) -> (i64, i64) {
    let containers = td.container_definitions();
    let cpu = td.cpu().and_then(|c| amount(c, 1024.0)).unwrap_or_else(|| containers.iter().map(|c| c.cpu() as i64).sum());
    let memory = td
        .memory()
        .and_then(|m| amount(m, 1024.0))
        .unwrap_or_else(|| containers.iter().map(|c| c.memory_reservation().or(c.memory()).unwrap_or(0) as i64).sum());
    (cpu, memory)
}

/// A task-level size as ECS takes it: "512" (units or MiB), "1 vCPU" or "2 GB" (`per_unit` each).
fn amount(s: &str, per_unit: f64) -> Option<i64> {
    let s = s.trim().to_ascii_lowercase();
    let (number, scale) = match s.strip_suffix("vcpu").or_else(|| s.strip_suffix("gb")) {
        Some(n) => (n.trim(), per_unit),
        None => (s.as_str(), 1.0),
    };
    number.parse::<f64>().ok().filter(|n| n.is_finite() && *n >= 0.0).map(|n| (n * scale) as i64)
}

/// Plan-time capacity check: warns when no ACTIVE container instance of the cluster has
/// registered enough memory or CPU for one task.
pub(super) async fn capacity_warning(ctx: &Ctx, cluster: &str, td_ref: &str, diags: &mut Diagnostics) -> Result<(), String> {
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
    if let Some(wanted) = td.runtime_platform().and_then(|r| r.cpu_architecture()).map(|a| a.as_str().to_ascii_lowercase()) {
        let arch = |t: &String| crate::resources::container_instance::launch::architecture(t).to_string();
        if !types.is_empty() && !types.iter().any(|t| arch(t) == wanted) {
            diags.warning_at(
                AttrPath::root("task_definition"),
                format!("No container instance of cluster {cluster:?} is {wanted}, as {td_ref} requires"),
                format!("The task definition's runtime_platform asks for {wanted}; the ACTIVE container instances{kinds} are not, so ECS will not place its tasks (\"missing an attribute required by your task\") and the apply will wait until it gives up. Use Graviton instance types (t4g, m7g, ...) for ARM64, or change the task definition's cpu_architecture."),
            );
            return Ok(());
        }
    }
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

// ----------------------------------------------------------------------------------------------
// The deployment check

/// Plan-time deployment check: warns (at `task_definition`) when an update of an EC2 service starts
/// a rolling deployment that cannot take its first step, which ECS would retry for ever. Says
/// nothing on create or replace, for desired 0, when a value it needs is unknown, or when AWS
/// cannot be read (logged at debug: the plan never fails on it).
pub(super) async fn deployment_warning(ctx: &Ctx, req: &PlanRequest<'_>, planned: &Value, diags: &mut Diagnostics) {
    let providers: Vec<String> = super::capacity_providers(planned).into_iter().map(|(name, _, _)| name).collect();
    if req.create || req.replace || (providers.is_empty() && planned.get("launch_type").as_str() != Some("EC2")) {
        return;
    }
    let (Some(cluster), Some(td_ref)) = (planned.get("cluster").as_str(), planned.get("task_definition").as_str()) else { return };
    let (Some(desired), Some(min), Some(max)) = (
        planned.get("desired_count").as_i64(),
        planned.get("deployment_minimum_healthy_percent").as_i64(),
        planned.get("deployment_maximum_percent").as_i64(),
    ) else {
        return;
    };
    if desired <= 0 || !starts_deployment(req.prior, planned) {
        return;
    }
    // The old deployment runs what the prior state asked for.
    let running = req.prior.get("desired_count").as_i64().unwrap_or(desired);
    match deployment_room(ctx, cluster, td_ref, &providers).await {
        Ok(Some((need, rooms))) => {
            if let Err(stuck) = first_step(desired, running, min, max, &rooms, &need) {
                let (summary, detail) = stuck.message(td_ref);
                diags.warning_at(AttrPath::root("task_definition"), summary, detail);
            }
        }
        Ok(None) => {}
        Err(e) => tracing::debug!(cluster, task_definition = td_ref, "deployment check skipped: {e}"),
    }
}

/// Whether `update` starts a new deployment: a new task definition, or `force_new_deployment`
/// together with another change of the service (only then does `update` call UpdateService).
fn starts_deployment(prior: &Value, planned: &Value) -> bool {
    let (new, old) = (Config::from(planned), Config::from(prior));
    if !same_task_definition(&new.task_definition, &old.task_definition)
        || new.capacity_providers != old.capacity_providers
        || new.load_balancers != old.load_balancers
        || new.execute_command != old.execute_command
    {
        return true;
    }
    new.force_new_deployment
        && (new.desired_count != old.desired_count
            || new.min_healthy != old.min_healthy
            || new.max_percent != old.max_percent
            || new.strategies != old.strategies
            || new.constraints != old.constraints
            || new.grace != old.grace
            || planned.get(network_configuration::BLOCK) != prior.get(network_configuration::BLOCK))
}

/// What one task of `td_ref` needs, and what each ACTIVE container instance of `cluster` has left;
/// None when the task definition is not found.
/// With capacity providers (`providers` not empty): only their instances, plus one fresh room per
/// instance each provider's group may still add up to its `max_size` (managed scaling adds them
/// when tasks cannot be placed).
async fn deployment_room(
    ctx: &Ctx,
    cluster: &str,
    td_ref: &str,
    providers: &[String],
) -> Result<Option<(TaskNeed, Vec<InstanceRoom>)>, String> {
    let Some((td, _)) = ctx.aws.find_task_definition(td_ref).await.map_err(|e| e.to_string())? else { return Ok(None) };
    let active = ctx.aws.list_container_instance_arns(cluster, Some(ContainerInstanceStatus::Active)).await.map_err(|e| e.to_string())?;
    let mut described = ctx.aws.describe_container_instances(cluster, &active).await.map_err(|e| e.to_string())?;
    if providers.is_empty() {
        return Ok(Some((TaskNeed::of(&td), described.iter().map(InstanceRoom::of).collect())));
    }
    described.retain(|ci| ci.capacity_provider_name().is_some_and(|p| providers.iter().any(|x| x == p)));
    let mut rooms: Vec<InstanceRoom> = described.iter().map(InstanceRoom::of).collect();
    for name in providers {
        let Some(cp) = ctx.aws.find_capacity_provider(name).await.map_err(|e| e.to_string())? else { continue };
        let arn = cp.auto_scaling_group_provider().map(|a| a.auto_scaling_group_arn()).unwrap_or_default();
        let Some((_, group_name)) = arn.rsplit_once("autoScalingGroupName/") else { continue };
        let Some(group) = ctx.aws.find_auto_scaling_group(group_name).await.map_err(|e| e.to_string())? else { continue };
        let (Some(like), Some(max)) = (described.iter().find(|ci| ci.capacity_provider_name() == Some(name.as_str())), group.max_size())
        else {
            // No instance yet to measure a new one by: nothing can be said.
            return Ok(None);
        };
        let more = (max as usize).saturating_sub(group.instances().len());
        rooms.extend((1..=more).map(|n| InstanceRoom::fresh(like, n)));
    }
    Ok(Some((TaskNeed::of(&td), rooms)))
}

/// What one task takes on a container instance: CPU units, MiB, and the fixed host ports it
/// reserves (TCP and UDP).
#[derive(Debug, Default)]
struct TaskNeed {
    cpu: i64,
    memory: i64,
    tcp: Vec<i32>,
    udp: Vec<i32>,
}

impl TaskNeed {
    /// Host ports as ECS reserves them: bridge mode a non-zero `hostPort` (0 or none is a dynamic
    /// port), host mode `hostPort` or else `containerPort`, awsvpc and none no port at all.
    fn of(td: &TaskDefinition) -> TaskNeed {
        let (cpu, memory) = task_requirements(td);
        let host_mode = match td.network_mode() {
            None | Some(NetworkMode::Bridge) => false,
            Some(NetworkMode::Host) => true,
            Some(_) => return TaskNeed { cpu, memory, ..TaskNeed::default() },
        };
        let mut need = TaskNeed { cpu, memory, ..TaskNeed::default() };
        for pm in td.container_definitions().iter().flat_map(|c| c.port_mappings()) {
            let fixed = pm.host_port().filter(|p| *p != 0);
            let port = if host_mode { fixed.or(pm.container_port()) } else { fixed };
            let Some(port) = port.filter(|p| *p != 0) else { continue };
            if pm.protocol() == Some(&TransportProtocol::Udp) {
                need.udp.push(port);
            } else {
                need.tcp.push(port);
            }
        }
        need
    }
}

/// What a container instance has left for one more task (its remaining resources), and what it
/// registered (a task larger than that fits on it in no deployment).
#[derive(Debug)]
struct InstanceRoom {
    /// "i-0abc/container instance 5d3e…"
    label: String,
    connected: bool,
    cpu: i64,
    memory: i64,
    registered_cpu: i64,
    registered_memory: i64,
    /// Host ports in use (the agent's own and those of the tasks placed on it).
    tcp: Vec<i32>,
    udp: Vec<i32>,
}

impl InstanceRoom {
    fn of(ci: &ContainerInstance) -> InstanceRoom {
        let id = ci.container_instance_arn().map(|a| a.rsplit('/').next().unwrap_or(a)).unwrap_or("?");
        let label = match ci.ec2_instance_id() {
            Some(ec2) => format!("{ec2}/container instance {id}"),
            None => format!("container instance {id}"),
        };
        let remaining = ci.remaining_resources();
        InstanceRoom {
            label,
            connected: ci.agent_connected(),
            cpu: integer(remaining, "CPU"),
            memory: integer(remaining, "MEMORY"),
            registered_cpu: integer(ci.registered_resources(), "CPU"),
            registered_memory: integer(ci.registered_resources(), "MEMORY"),
            tcp: ports(remaining, "PORTS"),
            udp: ports(remaining, "PORTS_UDP"),
        }
    }

    /// One more instance like `ci` that its Auto Scaling group may still launch (a capacity
    /// provider below its `max_size`): everything it registers is free.
    fn fresh(ci: &ContainerInstance, n: usize) -> InstanceRoom {
        let registered = ci.registered_resources();
        InstanceRoom {
            label: format!("a new instance the capacity provider {} may launch ({n})", ci.capacity_provider_name().unwrap_or("?")),
            connected: true,
            cpu: integer(registered, "CPU"),
            memory: integer(registered, "MEMORY"),
            registered_cpu: integer(registered, "CPU"),
            registered_memory: integer(registered, "MEMORY"),
            tcp: ports(registered, "PORTS"),
            udp: ports(registered, "PORTS_UDP"),
        }
    }
}

fn integer(resources: &[Resource], name: &str) -> i64 {
    resources.iter().find(|r| r.name() == Some(name)).map(|r| r.integer_value() as i64).unwrap_or(0)
}

fn ports(resources: &[Resource], name: &str) -> Vec<i32> {
    resources.iter().filter(|r| r.name() == Some(name)).flat_map(|r| r.string_set_value()).filter_map(|p| p.trim().parse().ok()).collect()
}

/// What an instance lacks to take one more task now.
#[derive(Debug)]
enum Lack {
    Port(i32, &'static str),
    Memory { free: i64, need: i64 },
    Cpu { free: i64, need: i64 },
    Agent,
}

impl Lack {
    fn text(&self) -> String {
        match self {
            Lack::Port(p, proto) => format!("port {p}{proto} in use"),
            Lack::Memory { free, need } => format!("{free} MiB free of {need} needed"),
            Lack::Cpu { free, need } => format!("{free} CPU units free of {need} needed"),
            Lack::Agent => "ECS agent not connected".to_string(),
        }
    }
}

/// Why `room` cannot take one more task of `need` now (empty: it can).
fn lacks(room: &InstanceRoom, need: &TaskNeed) -> Vec<Lack> {
    let mut out = Vec::new();
    if !room.connected {
        out.push(Lack::Agent);
    }
    out.extend(need.tcp.iter().filter(|p| room.tcp.contains(p)).map(|p| Lack::Port(*p, "")));
    out.extend(need.udp.iter().filter(|p| room.udp.contains(p)).map(|p| Lack::Port(*p, "/udp")));
    if room.memory < need.memory {
        out.push(Lack::Memory { free: room.memory, need: need.memory });
    }
    if room.cpu < need.cpu {
        out.push(Lack::Cpu { free: room.cpu, need: need.cpu });
    }
    out
}

/// A deployment that cannot take its first step, with the numbers that say why.
#[derive(Debug)]
struct Stuck {
    desired: i64,
    running: i64,
    min: i64,
    max: i64,
    /// floor(desired * max / 100): at most this many tasks during the deployment.
    upper: i64,
    /// ceil(desired * min / 100): at least this many kept running.
    lower: i64,
    /// The old tasks already reach `upper`: no new task may start, whatever the instances.
    full: bool,
    /// Each ACTIVE instance with what it lacks for a new task; empty when one has room (or none
    /// could hold the task even empty, the capacity warning's case).
    short: Vec<(String, Vec<Lack>)>,
}

/// Whether a rolling deployment from `running` old tasks to `desired` new ones can take its first
/// step, by the two rules ECS follows ("Deploy Amazon ECS services by replacing tasks"): a new task
/// may start while RUNNING + PENDING stay at or under floor(desired * max / 100) and some ACTIVE
/// instance has room for it; an old task may stop while RUNNING stays at or over
/// ceil(desired * min / 100). Ok when either can happen, and when the instances cannot tell: none is
/// listed, or the task exceeds what each registered (`capacity_warning` says that, and no deployment
/// setting changes it).
fn first_step(desired: i64, running: i64, min: i64, max: i64, instances: &[InstanceRoom], need: &TaskNeed) -> Result<(), Stuck> {
    if desired <= 0 || running <= 0 {
        return Ok(()); // nothing to replace
    }
    let upper = desired * max / 100;
    let lower = desired * min / 100 + i64::from(desired * min % 100 != 0);
    if running > lower {
        return Ok(()); // an old task may stop first
    }
    let full = upper <= running;
    let short: Vec<(String, Vec<Lack>)> = instances.iter().map(|i| (i.label.clone(), lacks(i, need))).collect();
    let room = short.iter().any(|(_, l)| l.is_empty());
    // Also true when no instance is listed.
    let too_small = instances.iter().all(|i| i.registered_cpu < need.cpu || i.registered_memory < need.memory);
    if !full && (room || too_small) {
        return Ok(());
    }
    let short = if room || too_small { Vec::new() } else { short };
    Err(Stuck { desired, running, min, max, upper, lower, full, short })
}

impl Stuck {
    /// The warning's summary and detail.
    fn message(&self, td_ref: &str) -> (String, String) {
        let Stuck { desired, running, min, max, upper, lower, full, short } = self;
        let summary = format!("The deployment of {td_ref} will be stuck: ECS can neither start a new task nor stop an old one");
        let now = if running == desired { String::new() } else { format!(" ({running} running now)") };
        let mut detail = format!(
            "desired_count {desired}{now}; deployment_maximum_percent {max} allows at most {upper} task(s) during the deployment; deployment_minimum_healthy_percent {min} keeps at least {lower} running, so no old task may stop before a new one runs."
        );
        if *full {
            detail.push_str(&format!(" No new task may start either: with {running} old running, the limit of {upper} is reached."));
        }
        let lacking: Vec<&Lack> = short.iter().flat_map(|(_, l)| l).collect();
        if !short.is_empty() {
            let each: Vec<String> = short
                .iter()
                .map(|(label, l)| format!("{} on {label}", l.iter().map(Lack::text).collect::<Vec<_>>().join(" and ")))
                .collect();
            detail.push_str(&format!(" No ACTIVE container instance can take a new task now: {}.", each.join("; ")));
        }
        if *full {
            detail.push_str(" The rollout cannot start, and the apply's wait would last until it times out.");
        } else {
            detail.push_str(&format!(
                " ECS keeps trying (\"unable to place a task\" in the service events); the apply's wait gives up once the deployment has been stuck for {}.",
                human(STUCK_GRACE)
            ));
        }
        let port = lacking.iter().any(|l| matches!(l, Lack::Port(..)));
        let resources = lacking.iter().any(|l| matches!(l, Lack::Memory { .. } | Lack::Cpu { .. }));
        // The highest minimum that lets an old task stop: ceil(desired * best / 100) < running.
        let best = 100 * (running - 1) / desired;
        let lower_min = if best == 0 {
            "`deployment_minimum_healthy_percent = 0`: ECS then stops the old task first (a short outage)".to_string()
        } else {
            format!("`deployment_minimum_healthy_percent = {best}` (or lower): ECS then stops an old task first")
        };
        let mut ways = vec![lower_min];
        // The lowest maximum that lets a new task start: floor(desired * need / 100) > running.
        let need = 100 * (running + 1) / desired + i64::from(100 * (running + 1) % desired != 0);
        if *full && need <= 200 {
            ways.push(format!("`deployment_maximum_percent = {need}`: a new task may then start next to the old ones"));
        }
        if !lacking.is_empty() {
            let larger = if resources { " (or a larger instance type)" } else { "" };
            ways.push(format!("another container instance in the cluster{larger}: the new task starts there, then an old one stops"));
        }
        if port {
            ways.push("a dynamic host port (`host_port = 0`, behind a load balancer): old and new tasks can then share an instance".into());
        }
        if resources {
            ways.push("smaller containers (their `memory`, `memory_reservation` or `cpu` in the task definition)".into());
        }
        detail.push_str("\n\nWays out:");
        for w in ways {
            detail.push_str(&format!("\n  - {w}"));
        }
        (summary, detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{ContainerDefinition, PortMapping};

    /// A capacity provider's group below its max_size may add instances like the ones it has:
    /// each counts with all it registers free (the agent's reserved ports still taken).
    #[test]
    fn a_fresh_instance_has_all_it_registers() {
        use aws_sdk_ecs::types::ContainerInstance;
        let res = |name: &str, v: i32| Resource::builder().name(name).r#type("INTEGER").integer_value(v).build();
        let ports = Resource::builder().name("PORTS").r#type("STRINGSET").string_set_value("22").string_set_value("51678").build();
        let ci = ContainerInstance::builder()
            .capacity_provider_name("web")
            .registered_resources(res("CPU", 2048))
            .registered_resources(res("MEMORY", 3917))
            .registered_resources(ports)
            .remaining_resources(res("CPU", 0))
            .remaining_resources(res("MEMORY", 17))
            .build();
        let busy = InstanceRoom::of(&ci);
        assert_eq!((busy.cpu, busy.memory), (0, 17));
        let fresh = InstanceRoom::fresh(&ci, 1);
        assert_eq!((fresh.cpu, fresh.memory, fresh.registered_memory), (2048, 3917, 3917));
        assert_eq!(fresh.tcp, vec![22, 51678]);
        assert!(fresh.connected && fresh.label.contains("capacity provider web"));
    }

    #[test]
    fn requirements_sum_containers_unless_the_task_says() {
        let c = |cpu: i32, mem: Option<i32>, res: Option<i32>| {
            ContainerDefinition::builder().cpu(cpu).set_memory(mem).set_memory_reservation(res).build()
        };
        let td =
            TaskDefinition::builder().container_definitions(c(256, Some(512), None)).container_definitions(c(128, None, Some(300))).build();
        assert_eq!(task_requirements(&td), (384, 812));
        let td = TaskDefinition::builder().cpu("1024").memory("2048").container_definitions(c(256, Some(512), None)).build();
        assert_eq!(task_requirements(&td), (1024, 2048));
        // Both limits: placement reserves the soft one.
        let td = TaskDefinition::builder().container_definitions(c(0, Some(512), Some(256))).build();
        assert_eq!(task_requirements(&td), (0, 256));
        let td = TaskDefinition::builder().cpu("1 vCPU").memory("2 GB").build();
        assert_eq!(task_requirements(&td), (1024, 2048));
    }

    #[test]
    fn host_ports_by_network_mode() {
        let pm = |host: Option<i32>, container: i32| PortMapping::builder().set_host_port(host).container_port(container).build();
        let c = ContainerDefinition::builder()
            .memory(512)
            .port_mappings(pm(Some(80), 80))
            .port_mappings(pm(Some(0), 8080))
            .port_mappings(pm(None, 9000))
            .port_mappings(PortMapping::builder().host_port(53).container_port(53).protocol(TransportProtocol::Udp).build())
            .build();
        let need = TaskNeed::of(&TaskDefinition::builder().container_definitions(c.clone()).build());
        assert_eq!((need.tcp, need.udp, need.memory), (vec![80], vec![53], 512));
        let need = TaskNeed::of(&TaskDefinition::builder().network_mode(NetworkMode::Host).container_definitions(c.clone()).build());
        assert_eq!(need.tcp, vec![80, 8080, 9000]);
        let need = TaskNeed::of(&TaskDefinition::builder().network_mode(NetworkMode::Awsvpc).container_definitions(c).build());
        assert!(need.tcp.is_empty() && need.udp.is_empty());
    }

    #[test]
    fn instance_room_from_the_container_instance() {
        let int = |name: &str, v: i32| Resource::builder().name(name).r#type("INTEGER").integer_value(v).build();
        let reserved = Resource::builder().name("PORTS").r#type("STRINGSET").string_set_value("22").string_set_value("80").build();
        let ci = ContainerInstance::builder()
            .container_instance_arn("arn:aws:ecs:r:1:container-instance/wp/5d3e")
            .ec2_instance_id("i-0abc")
            .agent_connected(true)
            .registered_resources(int("CPU", 2048))
            .registered_resources(int("MEMORY", 3936))
            .remaining_resources(int("CPU", 1792))
            .remaining_resources(int("MEMORY", 3424))
            .remaining_resources(reserved)
            .build();
        let room = InstanceRoom::of(&ci);
        assert_eq!(room.label, "i-0abc/container instance 5d3e");
        assert_eq!((room.cpu, room.memory, room.registered_cpu, room.registered_memory), (1792, 3424, 2048, 3936));
        assert_eq!((room.tcp, room.udp, room.connected), (vec![22, 80], vec![], true));
    }

    fn room(label: &str, memory: i64, tcp: &[i32]) -> InstanceRoom {
        InstanceRoom {
            label: label.to_string(),
            connected: true,
            cpu: 1792,
            memory,
            registered_cpu: 2048,
            registered_memory: 3936,
            tcp: tcp.to_vec(),
            udp: Vec::new(),
        }
    }

    fn web() -> TaskNeed {
        TaskNeed { cpu: 256, memory: 512, tcp: vec![80], udp: Vec::new() }
    }

    #[test]
    fn one_instance_with_port_80_at_100_200_is_stuck() {
        let one = [room("i-1/container instance a", 3424, &[22, 80])];
        let stuck = first_step(1, 1, 100, 200, &one, &web()).expect_err("must be stuck");
        assert_eq!((stuck.upper, stuck.lower, stuck.full), (2, 1, false));
        let (summary, detail) = stuck.message("web:2");
        assert!(summary.contains("web:2 will be stuck"), "{summary}");
        assert!(detail.contains("desired_count 1; deployment_maximum_percent 200 allows at most 2 task(s)"), "{detail}");
        assert!(detail.contains("deployment_minimum_healthy_percent 100 keeps at least 1 running"), "{detail}");
        assert!(detail.contains("port 80 in use on i-1/container instance a"), "{detail}");
        assert!(detail.contains("`deployment_minimum_healthy_percent = 0`"), "{detail}");
        assert!(detail.contains("`host_port = 0`") && detail.contains("another container instance"), "{detail}");
        assert!(!detail.contains("timeout") && !detail.contains("larger instance type"), "{detail}");
    }

    #[test]
    fn ways_out_of_the_port_case() {
        let one = [room("i-1/container instance a", 3424, &[22, 80])];
        assert!(first_step(1, 1, 0, 200, &one, &web()).is_ok(), "min 0: the old task stops first");
        let two = [room("i-1/container instance a", 3424, &[22, 80]), room("i-2/container instance b", 3424, &[22])];
        assert!(first_step(1, 1, 100, 200, &two, &web()).is_ok(), "the new task starts on the second instance");
        let dynamic = TaskNeed { tcp: Vec::new(), ..web() };
        assert!(first_step(1, 1, 100, 200, &one, &dynamic).is_ok(), "a dynamic host port fits next to the old task");
    }

    #[test]
    fn max_100_min_50_desired_2_stops_one_old_task_first() {
        let one = [room("i-1/container instance a", 2400, &[22, 80])];
        assert!(first_step(2, 2, 50, 100, &one, &web()).is_ok());
    }

    #[test]
    fn memory_short_everywhere_at_100_200_is_stuck() {
        let need = TaskNeed { tcp: Vec::new(), ..web() };
        let rooms = [room("i-1/container instance a", 300, &[22]), room("i-2/container instance b", 100, &[22])];
        let stuck = first_step(1, 1, 100, 200, &rooms, &need).expect_err("must be stuck");
        let (_, detail) = stuck.message("web:2");
        assert!(detail.contains("300 MiB free of 512 needed on i-1/container instance a"), "{detail}");
        assert!(detail.contains("100 MiB free of 512 needed on i-2/container instance b"), "{detail}");
        assert!(detail.contains("larger instance type") && detail.contains("smaller containers"), "{detail}");
        assert!(!detail.contains("host_port"), "{detail}");
        // Larger than any instance even empty: the capacity warning's case, not this one.
        let huge = TaskNeed { memory: 8000, ..need };
        assert!(first_step(1, 1, 100, 200, &rooms, &huge).is_ok());
    }

    #[test]
    fn limits_alone_can_block() {
        let one = [room("i-1/container instance a", 3424, &[22])];
        let stuck = first_step(2, 2, 100, 100, &one, &web()).expect_err("100/100 never moves");
        assert!(stuck.full && stuck.short.is_empty(), "{stuck:?}");
        let (_, detail) = stuck.message("web:2");
        assert!(detail.contains("`deployment_maximum_percent = 150`"), "{detail}");
        assert!(detail.contains("`deployment_minimum_healthy_percent = 50` (or lower)"), "{detail}");
    }

    #[test]
    fn nothing_to_say() {
        let one = [room("i-1/container instance a", 3424, &[22, 80])];
        assert!(first_step(0, 1, 100, 200, &one, &web()).is_ok(), "desired 0");
        assert!(first_step(1, 0, 100, 200, &one, &web()).is_ok(), "no old task");
        assert!(first_step(1, 1, 100, 200, &[], &web()).is_ok(), "no instance listed: cannot tell");
    }
}
