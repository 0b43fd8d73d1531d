//! `awsecs_task`: runs a task definition once ("Run Tasks" in the ECS console), for batch-style
//! work such as a database migration. A task that has finished stays in state: it ran, as asked.
//! Its `network_configuration` block (awsvpc) and its checks are shared with `awsecs_service`
//! (`resources/network_configuration.rs`).

use crate::framework::{IdentityAttribute, IdentitySchema};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ecs::types::{ContainerOverride, KeyValuePair, LaunchType, NetworkConfiguration, Task, TaskOverride};

use super::service::{check_task_definition_ref, cluster_name};
use crate::aws::errors::describe;
use crate::framework::timeouts::timeouts_block;
use crate::framework::validate::{int_between, one_of};
use crate::framework::wait::{Poll, Wait};
use crate::framework::{Failed, PlanRequest, Resource};
use crate::resources::network_configuration;
use crate::resources::Ctx;
use crate::tf::{Attribute, Block, Diagnostics, NestedBlock, Schema, Type, Value};

pub struct TaskResource;

const CREATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

struct Override {
    name: String,
    command: Option<Vec<String>>,
    environment: Option<BTreeMap<String, String>>,
}

struct Config {
    cluster: String,
    task_definition: String,
    count: i32,
    started_by: Option<String>,
    overrides: Vec<Override>,
    launch_type: Option<String>,
    capacity_providers: Vec<(String, i32, i32)>,
    network: Option<NetworkConfiguration>,
    wait_for: String,
}

impl Config {
    fn from(v: &Value) -> Config {
        Config {
            cluster: v.get("cluster").as_str().unwrap_or_default().to_string(),
            task_definition: v.get("task_definition").as_str().unwrap_or_default().to_string(),
            count: v.get("task_count").as_i64().unwrap_or(1).clamp(1, 10) as i32,
            started_by: v.get("started_by").as_str().map(str::to_string),
            overrides: v
                .get("container_override")
                .as_list()
                .unwrap_or(&[])
                .iter()
                .map(|o| Override {
                    name: o.get("name").as_str().unwrap_or_default().to_string(),
                    command: (!o.get("command").is_null()).then(|| o.get("command").to_string_list()),
                    environment: (!o.get("environment").is_null()).then(|| o.get("environment").to_string_map()),
                })
                .collect(),
            launch_type: v.get("launch_type").as_str().map(str::to_string),
            capacity_providers: super::service::capacity_providers(v),
            network: network_configuration::expand(v),
            wait_for: v.get("wait_for").as_str().unwrap_or("running").to_string(),
        }
    }

    fn task_override(&self) -> Option<TaskOverride> {
        if self.overrides.is_empty() {
            return None;
        }
        let containers = self
            .overrides
            .iter()
            .map(|o| {
                ContainerOverride::builder()
                    .name(&o.name)
                    .set_command(o.command.clone())
                    .set_environment(
                        o.environment.as_ref().map(|m| m.iter().map(|(k, v)| KeyValuePair::builder().name(k).value(v).build()).collect()),
                    )
                    .build()
            })
            .collect();
        Some(TaskOverride::builder().set_container_overrides(Some(containers)).build())
    }
}

/// What the tasks say together: (last_status, exit codes by container, stopped reason).
/// The status is STOPPED only when every task stopped; otherwise the first unfinished task's.
/// With several tasks, a container's non-zero exit code wins over a zero one.
pub fn summarize(tasks: &[Task]) -> (Option<String>, BTreeMap<String, i64>, Option<String>) {
    let unfinished = tasks.iter().find(|t| t.last_status() != Some("STOPPED"));
    let status = match (unfinished, tasks.is_empty()) {
        (_, true) => None,
        (Some(t), _) => t.last_status().map(str::to_string),
        (None, _) => Some("STOPPED".to_string()),
    };
    let mut codes: BTreeMap<String, i64> = BTreeMap::new();
    for t in tasks.iter().filter(|t| t.last_status() == Some("STOPPED")) {
        for c in t.containers() {
            if let (Some(name), Some(code)) = (c.name(), c.exit_code()) {
                let e = codes.entry(name.to_string()).or_insert(code as i64);
                if *e == 0 {
                    *e = code as i64;
                }
            }
        }
    }
    let reason = tasks.iter().find_map(|t| t.stopped_reason().filter(|r| !r.is_empty())).map(str::to_string);
    (status, codes, reason)
}

/// `prior` with the computed attributes taken from the tasks AWS described.
fn with_tasks(prior: &Value, tasks: &[Task]) -> Value {
    let mut v = prior.clone();
    let (status, codes, reason) = summarize(tasks);
    v.set("last_status", Value::opt_string(status));
    v.set("exit_codes", Value::Map(codes.into_iter().map(|(k, c)| (k, Value::int(c))).collect()));
    v.set("stopped_reason", Value::opt_string(reason));
    v
}

/// The launch type ECS ran the tasks with (null when it does not say).
fn launch_type_of(tasks: &[Task]) -> Value {
    Value::opt_string(tasks.iter().find_map(|t| t.launch_type()).map(|l| l.as_str()).filter(|l| !l.is_empty()))
}

fn arns_value(arns: &[String]) -> Value {
    Value::List(arns.iter().map(|a| Value::string(a.clone())).collect())
}

async fn describe_tasks(ctx: &Ctx, cluster: &str, arns: &[String]) -> Result<Vec<Task>, Diagnostics> {
    ctx.aws
        .describe_tasks(cluster, arns)
        .await
        .map_err(|e| crate::resources::aws_failure(format!("Cannot read ECS tasks in cluster {cluster:?}"), &e))
}

/// One line per task that stopped, for logs and diagnostics.
fn stopped_line(t: &Task) -> String {
    let id = t.task_arn().unwrap_or_default().rsplit('/').next().unwrap_or_default().to_string();
    let exits: Vec<String> = t.containers().iter().filter_map(|c| Some(format!("{} exit {}", c.name()?, c.exit_code()?))).collect();
    format!(
        "task {id}: {}{}",
        t.stopped_reason().unwrap_or("no reason given"),
        if exits.is_empty() { String::new() } else { format!(" ({})", exits.join(", ")) }
    )
}

impl TaskResource {
    /// Waits until every task is at least `target` (RUNNING counts STOPPED as past it).
    async fn wait_tasks(
        &self,
        ctx: &Ctx,
        cluster: &str,
        arns: &[String],
        target: &str,
        timeout: Duration,
    ) -> Result<Vec<Task>, Diagnostics> {
        let logged = std::sync::Mutex::new(std::collections::HashSet::<String>::new());
        Wait::new(ctx, format!("{} task(s) in cluster {:?} to be {target}", arns.len(), cluster_name(cluster)), timeout)
            .delays(Duration::from_millis(500), Duration::from_secs(10))
            .until(|| async {
                let tasks = describe_tasks(ctx, cluster, arns).await?;
                let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
                for t in &tasks {
                    *by_status.entry(t.last_status().unwrap_or("?").to_string()).or_default() += 1;
                    if t.last_status() == Some("STOPPED") {
                        if let Ok(mut l) = logged.lock() {
                            if l.insert(t.task_arn().unwrap_or_default().to_string()) {
                                tracing::info!("stopped task: {}", stopped_line(t));
                            }
                        }
                    }
                }
                let done = tasks.len() == arns.len()
                    && tasks.iter().all(|t| match target {
                        "STOPPED" => t.last_status() == Some("STOPPED"),
                        _ => matches!(t.last_status(), Some("RUNNING" | "DEACTIVATING" | "STOPPING" | "DEPROVISIONING" | "STOPPED")),
                    });
                if done {
                    return Ok(Poll::Done(tasks));
                }
                let summary: Vec<String> = by_status.iter().map(|(s, n)| format!("{n} {s}")).collect();
                let mut status = summary.join(", ");
                if let Some(r) = tasks.iter().find(|t| t.last_status() == Some("STOPPED")) {
                    status.push_str(&format!("; {}", stopped_line(r)));
                }
                Ok(Poll::Pending(status))
            })
            .await
    }
}

#[async_trait]
impl Resource<Ctx> for TaskResource {
    fn type_name(&self) -> &'static str {
        "awsecs_task"
    }

    /// Noted for the cluster's destroy plan (see `awsecs_cluster`).
    async fn plan_destroy(&self, ctx: Option<&Ctx>, prior: &Value, _diags: &mut Diagnostics) {
        if let Some(ctx) = ctx {
            for arn in prior.get("task_arns").to_string_list() {
                ctx.planned_destroy(&arn);
            }
        }
    }

    fn identity(&self) -> IdentitySchema {
        IdentitySchema {
            version: 0,
            attributes: vec![
                IdentityAttribute {
                    name: "cluster",
                    ty: Type::String,
                    required_for_import: true,
                    description: "The cluster, by name or ARN.",
                },
                IdentityAttribute {
                    name: "task_arns",
                    ty: Type::list(Type::String),
                    required_for_import: true,
                    description: "The ARNs of the tasks the run started.",
                },
            ],
            import_id_from: Some(task_import_id),
        }
    }

    fn schema(&self) -> Schema {
        let override_block = Block::new("Changes to one container of the task for this run.")
            .attr(Attribute::required("name", Type::String).describe("The container's name in the task definition."))
            .attr(Attribute::optional("command", Type::list(Type::String)).describe("Command to run instead of the container's."))
            .attr(
                Attribute::optional("environment", Type::map(Type::String))
                    .describe("Environment variables added to (or replacing) the container's."),
            );
        Schema::new(
            0,
            Block::new("Runs a task definition once (\"Run Tasks\" in the console), e.g. a database migration. Every argument but `wait_for` forces a new run. A finished task is not run again on the next apply; destroying the resource stops tasks still running.\n\nImport with `CLUSTER/TASK_ID` (several: `CLUSTER/ID1,ID2`). ECS does not report a task's security groups, so an imported task has no `network_configuration`.")
                .attr(Attribute::computed("id", Type::String).describe("The ARN of the first task."))
                .attr(Attribute::required("cluster", Type::String).force_new().equivalent_when(super::cluster::same_cluster).describe("Name or ARN of the cluster to run in."))
                .attr(Attribute::required("task_definition", Type::String).force_new().validate(|v| check_task_definition_ref(v.as_str().unwrap_or(""))).describe("The task definition: its ARN or `FAMILY:REVISION`."))
                .attr(Attribute::optional("task_count", Type::Number).default(Value::int(1)).force_new().validate(int_between(1, 10)).describe("How many tasks to run, 1-10. Default 1."))
                .attr(Attribute::optional_computed("launch_type", Type::String).force_new().validate(one_of(&["EC2", "FARGATE", "EXTERNAL"])).describe("`EC2`, `FARGATE` or `EXTERNAL`. Left out: what ECS chooses (the cluster's default capacity provider strategy, or EC2 when it has none)."))
                .attr(Attribute::optional("started_by", Type::String).force_new().validate(|v| {
                    let s = v.as_str().unwrap_or("");
                    if s.len() <= 128 { Ok(()) } else { Err(format!("At most 128 characters; got {}.", s.len())) }
                }).describe("Free text recorded as `startedBy` on the tasks (at most 128 characters)."))
                .attr(Attribute::optional("wait_for", Type::String).default("running").validate(one_of(&["none", "running", "stopped"])).describe("What create waits for: `none`, `running` (default: every task started) or `stopped` (every task finished). It only shapes the create, so changing it later runs nothing again."))
                .attr(Attribute::computed("task_arns", Type::list(Type::String)).describe("ARNs of the tasks started."))
                .attr(Attribute::computed("last_status", Type::String).describe("`STOPPED` once every task stopped; otherwise the state of the first unfinished task (e.g. `RUNNING`)."))
                .attr(Attribute::computed("exit_codes", Type::map(Type::Number)).describe("Exit code by container name, once stopped (with several tasks, a non-zero code wins)."))
                .attr(Attribute::computed("stopped_reason", Type::String).describe("Why the (first) task stopped, as ECS says."))
                .block(NestedBlock::list("capacity_provider_strategy", super::service::schema::capacity_provider_strategy_block()).max_items(6).force_new())
                .block(NestedBlock::list("container_override", override_block).force_new())
                .block(network_configuration::block(true))
                .block(timeouts_block(&["create", "delete"])),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        super::service::schema::validate_capacity_provider_strategy(config, diags);
        network_configuration::validate(config, "EC2", diags);
    }

    async fn modify_plan(&self, ctx: Option<&Ctx>, req: &PlanRequest<'_>, planned: &mut Value, diags: &mut Diagnostics) {
        if let Some(ctx) = ctx {
            network_configuration::check_plan(ctx, req, planned, diags).await;
        }
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, Failed> {
        let cfg = Config::from(planned);
        tracing::info!(cluster = %cfg.cluster, task_definition = %cfg.task_definition, count = cfg.count, "running ECS task(s)");
        let out = ctx
            .aws
            .ecs
            .run_task()
            .cluster(&cfg.cluster)
            .task_definition(&cfg.task_definition)
            .count(cfg.count)
            .set_started_by(cfg.started_by.clone())
            .set_overrides(cfg.task_override())
            .set_launch_type(cfg.launch_type.as_deref().map(LaunchType::from))
            .set_capacity_provider_strategy(
                (!cfg.capacity_providers.is_empty()).then(|| super::service::strategy_items(&cfg.capacity_providers)),
            )
            .set_network_configuration(cfg.network.clone())
            .send()
            .await
            .map_err(|e| {
                Diagnostics::of_error(format!("Cannot run task {:?} in cluster {:?}", cfg.task_definition, cfg.cluster), describe(&e))
            })?;
        let arns: Vec<String> = out.tasks().iter().filter_map(|t| t.task_arn().map(str::to_string)).collect();
        let mut state = planned.clone();
        state.set("task_arns", arns_value(&arns));
        state.set("id", Value::opt_string(arns.first().cloned()));
        if state.get("launch_type").is_unknown() {
            state.set("launch_type", launch_type_of(out.tasks()));
        }
        state = with_tasks(&state, out.tasks());
        if !out.failures().is_empty() || arns.len() < cfg.count as usize {
            let reasons: Vec<String> = out
                .failures()
                .iter()
                .map(|f| {
                    let reason = f.reason().unwrap_or("no reason given");
                    let hint = match reason {
                        "RESOURCE:MEMORY" => " (no container instance has enough memory left)",
                        "RESOURCE:CPU" => " (no container instance has enough CPU left)",
                        "RESOURCE:PORTS" => " (a host port the task needs is taken on every container instance)",
                        "AGENT" => " (the ECS agent of the instance is disconnected)",
                        "ATTRIBUTE" => " (no container instance has an attribute the task requires)",
                        _ => "",
                    };
                    format!(
                        "{reason}{hint}{}{}",
                        f.arn().map(|a| format!(" on {a}")).unwrap_or_default(),
                        f.detail().map(|d| format!(": {d}")).unwrap_or_default()
                    )
                })
                .collect();
            let diags = Diagnostics::of_error(
                format!("ECS could not place {} of {} task(s) of {:?}: {}", (cfg.count as usize).saturating_sub(arns.len()), cfg.count, cfg.task_definition, reasons.first().cloned().unwrap_or_else(|| "no reason given".into())),
                format!(
                    "RunTask failures:\n  - {}\n\nRegister a container instance with room for the task in cluster {:?}, or lower the task's memory or CPU.{}",
                    if reasons.is_empty() { "(none reported)".to_string() } else { reasons.join("\n  - ") },
                    cfg.cluster,
                    if arns.is_empty() { String::new() } else { format!(" The {} task(s) that did start are kept in state (tainted) so that they are stopped on destroy.", arns.len()) }
                ),
            );
            return Err(if arns.is_empty() { diags.into() } else { Failed::with_partial(diags, state) });
        }
        let target = match cfg.wait_for.as_str() {
            "none" => return Ok(state),
            "stopped" => "STOPPED",
            _ => "RUNNING",
        };
        let timeout = ctx.timeout(planned, "create", CREATE_TIMEOUT);
        match self.wait_tasks(ctx, &cfg.cluster, &arns, target, timeout).await {
            Ok(tasks) => Ok(with_tasks(&state, &tasks)),
            Err(d) => Err(Failed::with_partial(d, state)),
        }
    }

    async fn read(&self, ctx: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let cluster = state.get("cluster").as_str().unwrap_or_default().to_string();
        let arns = state.get("task_arns").to_string_list();
        // Concurrent refreshes share DescribeTasks calls of up to 100 per cluster.
        let mut set = tokio::task::JoinSet::new();
        for (i, arn) in arns.iter().enumerate() {
            let (aws, cluster, arn) = (ctx.aws.clone(), cluster.clone(), arn.clone());
            set.spawn(async move { (i, aws.find_task(&cluster, &arn).await) });
        }
        let mut found: Vec<(usize, Task)> = Vec::new();
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((i, Ok(Some(t)))) => found.push((i, t)),
                Ok((_, Ok(None))) => {}
                Ok((_, Err(e))) => {
                    return Err(Diagnostics::of_error(format!("Cannot read ECS tasks in cluster {cluster:?}"), e.to_string()))
                }
                Err(e) => return Err(Diagnostics::of_error("Internal error reading ECS tasks", e.to_string())),
            }
        }
        if found.is_empty() {
            // ECS forgets stopped tasks after a while; the run happened, so the resource stays.
            return Ok(Some(state.clone()));
        }
        found.sort_by_key(|(i, _)| *i);
        let tasks: Vec<Task> = found.into_iter().map(|(_, t)| t).collect();
        Ok(Some(with_tasks(state, &tasks)))
    }

    async fn update(&self, _ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, Failed> {
        // Every argument that shapes the run forces a new one; only how create waits changes in place.
        let mut v = prior.clone();
        v.set("wait_for", planned.get("wait_for").clone());
        v.set("timeouts", planned.get("timeouts").clone());
        Ok(v)
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), Diagnostics> {
        let cfg = Config::from(prior);
        let arns = prior.get("task_arns").to_string_list();
        let tasks = match describe_tasks(ctx, &cfg.cluster, &arns).await {
            Ok(t) => t,
            Err(d) => return Err(d),
        };
        let running: Vec<String> = tasks
            .iter()
            .filter(|t| t.desired_status() != Some("STOPPED") && t.last_status() != Some("STOPPED"))
            .filter_map(|t| t.task_arn().map(str::to_string))
            .collect();
        if running.is_empty() {
            return Ok(());
        }
        for arn in &running {
            tracing::info!(task = %arn, "stopping ECS task");
            if let Err(e) =
                ctx.aws.ecs.stop_task().cluster(&cfg.cluster).task(arn).reason("Stopped by Terraform (awsecs_task destroyed)").send().await
            {
                return Err(Diagnostics::of_error(format!("Cannot stop ECS task {arn}"), describe(&e)));
            }
        }
        let timeout = ctx.timeout(prior, "delete", DELETE_TIMEOUT);
        self.wait_tasks(ctx, &cfg.cluster, &running, "STOPPED", timeout).await.map(|_| ())
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        let bad = || {
            Diagnostics::of_error(
                format!("Cannot import ECS task(s) {id:?}: the id must be CLUSTER/TASK_ID[,TASK_ID...]"),
                "For example `terraform import awsecs_task.migrate wordpress/0123456789abcdef0123456789abcdef`.",
            )
        };
        let (cluster, ids) = id.rsplit_once('/').ok_or_else(bad)?;
        let wanted: Vec<String> = ids.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
        if cluster.is_empty() || wanted.is_empty() {
            return Err(bad());
        }
        let tasks = describe_tasks(ctx, cluster, &wanted).await?;
        let Some(first) = tasks.first() else {
            return Err(Diagnostics::of_error(
                format!("Cannot import ECS task(s) {id:?}: not found in cluster {cluster:?}"),
                "ECS keeps stopped tasks for about an hour only.",
            ));
        };
        let overrides: Vec<Value> = first
            .overrides()
            .map(|o| o.container_overrides())
            .unwrap_or(&[])
            .iter()
            .filter(|c| !c.command().is_empty() || !c.environment().is_empty())
            .map(|c| {
                Value::object([
                    ("name", Value::opt_string(c.name())),
                    (
                        "command",
                        if c.command().is_empty() {
                            Value::Null
                        } else {
                            Value::List(c.command().iter().map(|s| Value::string(s.clone())).collect())
                        },
                    ),
                    (
                        "environment",
                        if c.environment().is_empty() {
                            Value::Null
                        } else {
                            Value::Map(
                                c.environment()
                                    .iter()
                                    .filter_map(|kv| Some((kv.name()?.to_string(), Value::opt_string(kv.value()))))
                                    .collect(),
                            )
                        },
                    ),
                ])
            })
            .collect();
        let arns: Vec<String> = tasks.iter().filter_map(|t| t.task_arn().map(str::to_string)).collect();
        let base = Value::object([
            ("id", Value::opt_string(arns.first().cloned())),
            ("cluster", cluster.into()),
            ("task_definition", Value::opt_string(first.task_definition_arn())),
            ("task_count", Value::int(tasks.len() as i64)),
            ("started_by", Value::opt_string(first.started_by().filter(|s| !s.is_empty()))),
            ("launch_type", launch_type_of(&tasks)),
            ("wait_for", "running".into()),
            ("task_arns", arns_value(&arns)),
            ("container_override", Value::List(overrides)),
            ("capacity_provider_strategy", Value::List(vec![])),
        ]);
        Ok(with_tasks(&base, &tasks))
    }
}

/// `CLUSTER/TASK_ID[,TASK_ID...]` from a task identity (the IDs are the ARNs' last segments).
fn task_import_id(identity: &Value) -> Option<String> {
    let cluster = identity.get("cluster").as_str().filter(|c| !c.is_empty())?;
    let ids: Vec<&str> = identity.get("task_arns").as_list()?.iter().filter_map(|a| a.as_str()?.rsplit('/').next()).collect();
    (!ids.is_empty()).then(|| format!("{}/{}", super::cluster::cluster_name(cluster), ids.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::Container;

    fn task(status: &str, exit: Option<i32>, reason: Option<&str>) -> Task {
        Task::builder()
            .last_status(status)
            .set_stopped_reason(reason.map(str::to_string))
            .containers(Container::builder().name("job").set_exit_code(exit).build())
            .build()
    }

    #[test]
    fn status_is_stopped_only_when_all_stopped() {
        let (s, codes, reason) =
            summarize(&[task("STOPPED", Some(0), Some("Essential container in task exited")), task("RUNNING", None, None)]);
        assert_eq!(s.as_deref(), Some("RUNNING"));
        assert_eq!(codes.get("job"), Some(&0));
        assert_eq!(reason.as_deref(), Some("Essential container in task exited"));
        let (s, _, _) = summarize(&[task("STOPPED", Some(0), None)]);
        assert_eq!(s.as_deref(), Some("STOPPED"));
        assert_eq!(summarize(&[]).0, None);
    }

    #[test]
    fn a_failing_exit_code_wins() {
        let (_, codes, _) = summarize(&[task("STOPPED", Some(0), None), task("STOPPED", Some(3), None), task("STOPPED", Some(0), None)]);
        assert_eq!(codes.get("job"), Some(&3));
    }

    #[test]
    fn overrides_are_sent_only_when_configured() {
        let none = Config::from(&Value::object([("container_override", Value::List(vec![]))]));
        assert!(none.task_override().is_none());
        let one = Config::from(&Value::object([(
            "container_override",
            Value::List(vec![Value::object([
                ("name", "job".into()),
                ("command", Value::List(vec!["sh".into(), "-c".into(), "exit 3".into()])),
                ("environment", Value::Null),
            ])]),
        )]));
        let o = one.task_override().expect("override");
        let c = &o.container_overrides()[0];
        assert_eq!(c.name(), Some("job"));
        assert_eq!(c.command(), ["sh", "-c", "exit 3"]);
        assert!(c.environment().is_empty());
    }
}
