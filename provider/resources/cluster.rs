//! `awsecs_cluster`: an ECS cluster, the logical group the container instances join and the
//! services and tasks run in.

use crate::framework::{IdentitySchema, MoveSource};
use crate::resources::migrate;
use async_trait::async_trait;
use std::collections::BTreeMap;

use aws_sdk_ecs::types::{Cluster, ClusterSetting, ClusterSettingName, DesiredStatus};

use super::tags::{self, Tagged};
use crate::aws::errors::{describe, AwsError};
use crate::aws::find::ecs::TaskFilter;
use crate::aws::tags as aws_tags;
use crate::framework::validate::one_of;
use crate::framework::{Failed, Resource};
use crate::resources::names::ecs_name;
use crate::resources::Ctx;
use crate::tf::{Attribute, Block, Diagnostics, Schema, Type, Value};

pub struct ClusterResource;

/// The cluster name in a cluster name or ARN (`arn:aws:ecs:REGION:ACCOUNT:cluster/NAME`).
pub fn cluster_name(id: &str) -> &str {
    match id.rsplit_once(":cluster/") {
        Some((_, name)) => name,
        None => id,
    }
}

/// Whether two `cluster` arguments name the same cluster (a name and its ARN): for
/// [`Attribute::equivalent_when`], so that writing the ARN where the state has the name (after an
/// import, say) does not replace anything.
pub fn same_cluster(a: &Value, b: &Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => cluster_name(x) == cluster_name(y),
        _ => false,
    }
}

/// The arguments, decoded once.
struct Config {
    name: String,
    /// `enabled`, `enhanced` or `disabled` (the old `true` / `false` spellings mapped).
    container_insights: Option<String>,
    tags_all: BTreeMap<String, String>,
}

impl Config {
    fn from(v: &Value) -> Config {
        Config {
            name: v.get("name").as_str().unwrap_or_default().to_string(),
            container_insights: v.get("container_insights").as_str().map(insights_value),
            tags_all: v.get("tags_all").to_string_map(),
        }
    }
}

/// The ECS setting value of a `container_insights` argument: the bool spellings of schema version 0
/// (`true`, `false`, which Terraform turns into strings) are `enabled` and `disabled`.
fn insights_value(s: &str) -> String {
    match s {
        "true" => "enabled".to_string(),
        "false" => "disabled".to_string(),
        other => other.to_string(),
    }
}

fn insights_setting(value: &str) -> ClusterSetting {
    ClusterSetting::builder().name(ClusterSettingName::ContainerInsights).value(value).build()
}

/// `container_insights` as state: ECS's value, in the configuration's spelling when that is the
/// old bool one for the same setting.
fn insights_state(aws: Option<&str>, prior: &Value) -> Value {
    match (aws, prior.get("container_insights").as_str()) {
        (Some(v), Some(p)) if insights_value(p) == v => Value::string(p),
        (Some(v), _) => Value::string(v),
        (None, Some(p)) => Value::string(p),
        (None, None) => Value::string("disabled"),
    }
}

/// The resource value for a cluster AWS described. `prior` supplies what AWS does not keep apart
/// (which tags came from the configuration rather than default_tags).
fn to_state(c: &Cluster, prior: &Value, default_tags: &BTreeMap<String, String>) -> Value {
    let (tags, tags_all) = tags::split(&aws_tags::from_ecs(c.tags()), default_tags, prior.get("tags"));
    let insights = c.settings().iter().find(|s| s.name() == Some(&ClusterSettingName::ContainerInsights)).and_then(|s| s.value());
    let arn = Value::opt_string(c.cluster_arn());
    Value::object([
        ("id", arn.clone()),
        ("arn", arn),
        ("name", Value::opt_string(c.cluster_name())),
        ("container_insights", insights_state(insights, prior)),
        ("status", Value::opt_string(c.status())),
        ("registered_container_instances_count", Value::int(c.registered_container_instances_count() as i64)),
        ("running_tasks_count", Value::int(c.running_tasks_count() as i64)),
        ("pending_tasks_count", Value::int(c.pending_tasks_count() as i64)),
        ("active_services_count", Value::int(c.active_services_count() as i64)),
        ("tags", tags),
        ("tags_all", tags_all),
    ])
}

/// The cluster `id` (name or ARN) names, or None when it is missing or deleted.
async fn find(ctx: &Ctx, id: &str) -> Result<Option<Cluster>, Diagnostics> {
    ctx.aws.find_cluster(id).await.map_err(|e| crate::resources::aws_failure(format!("Cannot read ECS cluster {id:?}"), &e))
}

/// Something in a cluster that keeps AWS from deleting it.
struct Blocker {
    arn: String,
    label: String,
    /// For a task: the service that started it (`service:NAME` is its group).
    service_arn: Option<String>,
    /// For a task: the container instance it runs on (the task ends with it).
    host: Option<String>,
}

impl ClusterResource {
    /// What still lives in the cluster: AWS refuses to delete a cluster that holds any of it.
    async fn blockers(&self, ctx: &Ctx, arn: &str) -> Result<Vec<Blocker>, Diagnostics> {
        let aws = &ctx.aws;
        let fail = |what: &str, e: AwsError| crate::resources::aws_failure(format!("Cannot list the {what} of ECS cluster {arn}"), &e);
        let instances = aws.list_container_instance_arns(arn, None).await.map_err(|e| fail("container instances", e))?;
        let services = aws.list_service_arns(arn).await.map_err(|e| fail("services", e))?;
        // Stopped tasks do not block a delete; AWS lists RUNNING ones by default, moto lists all.
        let running = TaskFilter { desired_status: Some(DesiredStatus::Running), ..TaskFilter::default() };
        let tasks = aws.list_task_arns(arn, running).await.map_err(|e| fail("tasks", e))?;

        let mut out: Vec<Blocker> = instances
            .iter()
            .map(|ci| Blocker { arn: ci.clone(), label: format!("container instance {ci}"), service_arn: None, host: None })
            .collect();
        // ListServices may still list services that were just deleted (INACTIVE): ask for their status.
        let described = aws.describe_services(arn, &services).await.map_err(|e| fail("services", e))?;
        for s in &described {
            if s.status() != Some("INACTIVE") {
                out.push(Blocker {
                    arn: s.service_arn().unwrap_or_default().to_string(),
                    label: format!("service {} ({})", s.service_name().unwrap_or("?"), s.status().unwrap_or("?")),
                    service_arn: None,
                    host: None,
                });
            }
        }
        let service_of_group = |group: Option<&str>| {
            let name = group?.strip_prefix("service:")?;
            described.iter().find(|s| s.service_name() == Some(name)).and_then(|s| s.service_arn()).map(str::to_string)
        };
        if !tasks.is_empty() {
            for t in aws.describe_tasks(arn, &tasks).await.map_err(|e| fail("tasks", e))? {
                let task_arn = t.task_arn().unwrap_or_default().to_string();
                out.push(Blocker {
                    label: format!("task {task_arn}"),
                    service_arn: service_of_group(t.group()),
                    host: t.container_instance_arn().map(str::to_string),
                    arn: task_arn,
                });
            }
        }
        Ok(out)
    }
}

fn blocked(name: &str, blockers: &[Blocker], when: &str) -> Diagnostics {
    let list: Vec<&str> = blockers.iter().map(|b| b.label.as_str()).collect();
    Diagnostics::of_error(
        format!("Cannot delete ECS cluster {name:?}: it still holds {} thing(s)", blockers.len()),
        format!(
            "AWS deletes a cluster only when no container instance is registered and no service or task runs in it. {when}:\n  - {}\n\nDestroy or deregister them first. Resources of this provider that run in the cluster are destroyed before it when they refer to it (for example `cluster = awsecs_cluster.main.arn`).",
            list.join("\n  - ")
        ),
    )
}

#[async_trait]
impl Resource<Ctx> for ClusterResource {
    fn type_name(&self) -> &'static str {
        "awsecs_cluster"
    }

    fn identity(&self) -> IdentitySchema {
        IdentitySchema::strings(&[("name", "The cluster name.")])
    }

    fn schema(&self) -> Schema {
        let count = |name: &'static str, what: &str| {
            Attribute::computed(name, Type::Number).volatile().describe(format!("Number of {what}, as of the last refresh."))
        };
        Schema::new(
            1,
            Block::new("An ECS cluster: the group that container instances join (through `ECS_CLUSTER` in their user data) and that services and tasks run in.\n\nImport with the cluster name or ARN: `terraform import awsecs_cluster.wp wordpress`.")
                .attr(Attribute::computed("id", Type::String).describe("The cluster ARN."))
                .attr(Attribute::computed("arn", Type::String).describe("The cluster ARN."))
                .attr(
                    Attribute::required("name", Type::String)
                        .force_new()
                        .validate(ecs_name(255))
                        .describe("Cluster name: 1-255 letters, digits, hyphens and underscores. Changing it creates a new cluster."),
                )
                .attr(
                    Attribute::optional_computed("container_insights", Type::String)
                        .validate(one_of(&["enabled", "enhanced", "disabled", "true", "false"]))
                        .describe("CloudWatch Container Insights for the cluster: `enabled`, `enhanced` (also per-container and per-task metrics, at a higher CloudWatch cost) or `disabled`. Left out: the account default. The bool form of earlier versions (`true`, `false`) still works, as `enabled` and `disabled`, with a warning."),
                )
                .attr(Attribute::computed("status", Type::String).describe("`ACTIVE`, `PROVISIONING`, `DEPROVISIONING`, `FAILED` or `INACTIVE`."))
                .attr(count("registered_container_instances_count", "container instances registered (ACTIVE or DRAINING)"))
                .attr(count("running_tasks_count", "tasks in the RUNNING state"))
                .attr(count("pending_tasks_count", "tasks in the PENDING state"))
                .attr(count("active_services_count", "services in the ACTIVE state"))
                .attr(tags::tags_attribute())
                .attr(tags::tags_all_attribute()),
        )
    }

    /// `terraform plan -destroy` (and a cluster left out of the configuration) shows what AWS would
    /// refuse, before anything is destroyed: whatever runs in the cluster that this run does not
    /// destroy first (services, container instances and tasks of this provider planned for destroy
    /// in the same run are not counted, nor tasks their services started, nor tasks running on
    /// container instances the run destroys: those end with their host).
    async fn plan_destroy(&self, ctx: Option<&Ctx>, prior: &Value, diags: &mut Diagnostics) {
        let Some(ctx) = ctx else { return };
        let arn = prior.get("arn").as_str().unwrap_or_default().to_string();
        let name = prior.get("name").as_str().unwrap_or(&arn).to_string();
        match find(ctx, &arn).await {
            Ok(Some(_)) => {}
            Ok(None) => return,
            Err(d) => return diags.extend(d),
        }
        // Terraform orders destroy plans as it orders destroys: what refers to the cluster first
        // (acceptance-tests/plan_destroy.rs plans it repeatedly), so those are noted by now.
        match self.blockers(ctx, &arn).await {
            Ok(all) => {
                let left: Vec<Blocker> = all
                    .into_iter()
                    .filter(|b| {
                        let planned = |arn: &Option<String>| arn.as_deref().is_some_and(|a| ctx.destroy_is_planned(a));
                        !ctx.destroy_is_planned(&b.arn) && !planned(&b.service_arn) && !planned(&b.host)
                    })
                    .collect();
                if !left.is_empty() {
                    diags.extend(blocked(&name, &left, "Not destroyed by this run, and still there"));
                }
            }
            Err(d) => diags.extend(d),
        }
    }

    /// Schema version 0 stored `container_insights` as a bool.
    fn upgrade_state(&self, version: i64, mut state: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        if version == 0 {
            if let Some(b) = state.get("container_insights").and_then(|v| v.as_bool()) {
                state["container_insights"] = serde_json::Value::String(b.to_string());
            }
        }
        Ok(state)
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(old @ ("true" | "false")) = config.get("container_insights").as_str() {
            diags.warning_at(
                crate::tf::AttrPath::root("container_insights"),
                "container_insights takes \"enabled\", \"enhanced\" or \"disabled\"",
                format!("`container_insights = {old}` still works and means \"{}\"; write that instead. \"enhanced\" adds per-container metrics.", insights_value(old)),
            );
        }
    }

    /// `moved { from = aws_ecs_cluster.x  to = awsecs_cluster.x }`.
    fn move_state(&self, from: &MoveSource<'_>) -> Result<Value, Diagnostics> {
        let mut src = migrate::source(from, "aws_ecs_cluster", 0, "awsecs_cluster")?;
        let mut insights = Value::Null;
        let settings = src.get("setting").as_array().cloned().unwrap_or_default();
        for (i, s) in settings.iter().enumerate() {
            match (s.get("name").and_then(|n| n.as_str()), s.get("value").and_then(|v| v.as_str())) {
                (Some("containerInsights"), Some(v @ ("enabled" | "enhanced" | "disabled"))) => insights = Value::string(v),
                _ => src.no_equivalent_at(format!("setting[{i}]"), s),
            }
        }
        src.no_equivalent("configuration", |_| false);
        src.no_equivalent("service_connect_defaults", |_| false);
        let arn = migrate::string(src.get("arn"));
        let state = Value::object([
            ("id", arn.clone()),
            ("arn", arn),
            ("name", migrate::string(src.get("name"))),
            ("container_insights", insights),
            ("tags", migrate::string_map(src.get("tags"))),
            ("tags_all", migrate::string_map(src.get("tags_all"))),
        ]);
        src.finish(state)
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, Failed> {
        let cfg = Config::from(planned);
        tracing::info!(cluster = %cfg.name, "creating ECS cluster");
        let out = ctx
            .aws
            .ecs
            .create_cluster()
            .cluster_name(&cfg.name)
            .set_settings(cfg.container_insights.as_deref().map(|v| vec![insights_setting(v)]))
            .set_tags(aws_tags::to_ecs(&cfg.tags_all))
            .send()
            .await
            .map_err(|e| Diagnostics::of_error(format!("Cannot create ECS cluster {:?}", cfg.name), describe(&e)))?;
        let arn = out.cluster().and_then(|c| c.cluster_arn()).unwrap_or(&cfg.name).to_string();
        match find(ctx, &arn).await {
            Ok(Some(c)) => Ok(to_state(&c, planned, &ctx.default_tags)),
            Ok(None) => Err(Diagnostics::of_error(
                format!("ECS cluster {:?} disappeared right after it was created", cfg.name),
                "CreateCluster succeeded but DescribeClusters does not show it ACTIVE. Run `terraform apply` again.",
            )
            .into()),
            Err(d) => {
                Err(Failed::with_partial(d, Value::object([("id", arn.clone().into()), ("arn", arn.into()), ("name", cfg.name.into())])))
            }
        }
    }

    async fn read(&self, ctx: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let id = state.get("arn").as_str().or(state.get("name").as_str()).unwrap_or_default();
        Ok(find(ctx, id).await?.map(|c| to_state(&c, state, &ctx.default_tags)))
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, Failed> {
        let cfg = Config::from(planned);
        let arn = prior.get("arn").as_str().unwrap_or_default().to_string();
        let ecs = &ctx.aws.ecs;
        if let Some(value) = cfg.container_insights.as_deref() {
            if prior.get("container_insights").as_str().map(insights_value).as_deref() != Some(value) {
                tracing::info!(cluster = %cfg.name, container_insights = value, "updating Container Insights");
                ecs.update_cluster().cluster(&arn).settings(insights_setting(value)).send().await.map_err(|e| {
                    Diagnostics::of_error(format!("Cannot change Container Insights of ECS cluster {:?}", cfg.name), describe(&e))
                })?;
            }
        }
        tags::update(ctx, Tagged::Ecs(&arn), prior.get("tags_all"), planned.get("tags_all"), &format!("ECS cluster {:?}", cfg.name))
            .await?;
        match find(ctx, &arn).await? {
            Some(c) => Ok(to_state(&c, planned, &ctx.default_tags)),
            None => Err(Diagnostics::of_error(
                format!("ECS cluster {:?} was deleted while it was being updated", cfg.name),
                "Run `terraform apply` again to create it.",
            )
            .into()),
        }
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), Diagnostics> {
        let arn = prior.get("arn").as_str().unwrap_or_default().to_string();
        let name = prior.get("name").as_str().unwrap_or(&arn).to_string();
        if find(ctx, &arn).await?.is_none() {
            return Ok(());
        }
        let blockers = self.blockers(ctx, &arn).await?;
        if !blockers.is_empty() {
            return Err(blocked(&name, &blockers, "Still there"));
        }
        tracing::info!(cluster = %name, "deleting ECS cluster");
        match ctx.aws.ecs.delete_cluster().cluster(&arn).send().await {
            Ok(_) => Ok(()),
            Err(e) if AwsError::from_sdk(&e).has_code("ClusterNotFoundException") => Ok(()),
            Err(e) => Err(Diagnostics::of_error(format!("Cannot delete ECS cluster {name:?}"), describe(&e))),
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        match find(ctx, id).await? {
            Some(c) => Ok(to_state(&c, &Value::Null, &ctx.default_tags)),
            None => Err(Diagnostics::of_error(
                format!("Cannot import ECS cluster {id:?}: it does not exist"),
                format!("No ACTIVE cluster with that name or ARN in region {}. Import takes the cluster name or its ARN.", ctx.aws.region),
            )),
        }
    }
}
