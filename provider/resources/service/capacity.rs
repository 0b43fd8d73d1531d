//! The plan-time capacity check of `awsecs_service`: what one task needs (`task_requirements`)
//! against what the cluster's ACTIVE container instances registered.

use aws_sdk_ecs::types::ContainerInstanceStatus;

use crate::resources::Ctx;
use crate::tf::{AttrPath, Diagnostics};

/// (cpu units, MiB) a task of this definition needs: task-level values when set, otherwise the sum
/// over its containers (memory, else memoryReservation).
pub fn task_requirements(td: &aws_sdk_ecs::types::TaskDefinition) -> (i64, i64) {
    let containers = td.container_definitions();
    let cpu = td.cpu().and_then(|c| c.trim().parse::<i64>().ok()).unwrap_or_else(|| containers.iter().map(|c| c.cpu() as i64).sum());
    let memory = td
        .memory()
        .and_then(|m| m.trim().parse::<i64>().ok())
        .unwrap_or_else(|| containers.iter().map(|c| c.memory().or(c.memory_reservation()).unwrap_or(0) as i64).sum());
    (cpu, memory)
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{ContainerDefinition, TaskDefinition};

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
    }
}
