//! `awsecs_task_definition`: one registered revision of an ECS task definition, written as typed
//! HCL blocks (not a JSON string), checked at `terraform validate`, and read back so that a second
//! plan is empty whatever defaults AWS filled in.
//!
//! A task definition revision cannot change: any change of an argument registers a new revision
//! (a replacement). Only `tags` and `skip_destroy` change in place.
//!
//! Here: the resource and its AWS calls (CRUD, import). `schema`: the schema and the attribute
//! validators; `validate`: the cross-field checks; `expand`: configuration -> RegisterTaskDefinition
//! request; `flatten`: AWS answer -> state.

mod expand;
mod flatten;
mod migrate;
mod schema;
mod validate;
mod validate_settings;

use crate::framework::{IdentitySchema, MoveSource};
use async_trait::async_trait;
use aws_sdk_ecs::types::{Tag, TaskDefinition, TaskDefinitionStatus};

pub use schema::{check_image, check_value_from};

use super::tags;
use crate::aws::errors::{describe, AwsError, ErrorKind};
use crate::aws::find::ecs::task_definition_unknown;
use crate::framework::{Failed, Resource};
use crate::resources::names::ecs_name;
use crate::resources::Ctx;
use crate::tf::{Diagnostics, Schema, Value};

use flatten::to_state;

pub struct TaskDefinitionResource;

/// A string attribute of an object value ("" when null or unknown).
fn s(v: &Value, name: &str) -> String {
    v.get(name).as_str().unwrap_or_default().to_string()
}

// ---------------------------------------------------------------------------------------------
// AWS calls
// ---------------------------------------------------------------------------------------------

/// The revision with its tags; None when AWS does not know it.
async fn describe_td(ctx: &Ctx, id: &str) -> Result<Option<(TaskDefinition, Vec<Tag>)>, Diagnostics> {
    ctx.aws.find_task_definition(id).await.map_err(|e| crate::resources::aws_failure(format!("Cannot read ECS task definition {id:?}"), &e))
}

/// The ARN of the highest ACTIVE revision of `family`, if any.
async fn latest_active(ctx: &Ctx, family: &str) -> Result<Option<String>, Diagnostics> {
    ctx.aws
        .find_latest_task_definition_arn(family)
        .await
        .map_err(|e| crate::resources::aws_failure(format!("Cannot list the revisions of task definition family {family:?}"), &e))
}

/// How a registration ended: AWS's answer, or (the answer lost) the revision found registered.
enum Registered {
    Answer(Box<aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionOutput>),
    FoundAfterLostReply(String),
}

/// RegisterTaskDefinition has no client token, and every attempt that reaches ECS makes a
/// revision. So the SDK does not retry it; this does: throttled attempts (nothing was made) are
/// tried again after a backoff; an attempt whose answer was lost may have registered, so the family
/// is looked at first, and a revision newer than the one before this create is the one it made.
async fn register_once(
    ctx: &Ctx,
    family: &str,
    request: aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder,
) -> Result<Registered, Diagnostics> {
    const ATTEMPTS: u32 = 10;
    let revision = |arn: &str| arn.rsplit(':').next().and_then(|r| r.parse::<i64>().ok()).unwrap_or(0);
    let before = latest_active(ctx, family).await?.map(|a| revision(&a)).unwrap_or(0);
    let mut delay = std::time::Duration::from_millis(250);
    for attempt in 1..=ATTEMPTS {
        let no_sdk_retries = aws_sdk_ecs::config::Builder::default().retry_config(aws_sdk_ecs::config::retry::RetryConfig::disabled());
        let err = match request.clone().customize().config_override(no_sdk_retries).send().await {
            Ok(out) => return Ok(Registered::Answer(Box::new(out))),
            Err(e) => AwsError::from_sdk(&e),
        };
        if !err.is_retryable() || attempt == ATTEMPTS {
            return Err(crate::resources::aws_failure(format!("Cannot register ECS task definition {family:?}"), &err));
        }
        if err.kind == ErrorKind::Transient {
            if let Some(arn) = latest_active(ctx, family).await?.filter(|a| revision(a) > before) {
                tracing::info!(arn = %arn, "the answer to RegisterTaskDefinition was lost; the revision it registered is this one");
                return Ok(Registered::FoundAfterLostReply(arn));
            }
        }
        tracing::warn!(attempt, "RegisterTaskDefinition failed ({err}); trying again in {delay:?}");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(std::time::Duration::from_secs(10));
    }
    Err(Diagnostics::of_error(format!("Cannot register ECS task definition {family:?}"), "Every attempt failed."))
}

#[async_trait]
impl Resource<Ctx> for TaskDefinitionResource {
    fn type_name(&self) -> &'static str {
        "awsecs_task_definition"
    }

    /// `moved { from = aws_ecs_task_definition.x  to = awsecs_task_definition.x }`.
    fn move_state(&self, from: &MoveSource<'_>) -> Result<Value, Diagnostics> {
        migrate::move_state(from)
    }

    fn identity(&self) -> IdentitySchema {
        IdentitySchema::strings(&[("arn", "The task definition revision ARN.")])
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate::validate_config(config, diags);
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, Failed> {
        let family = s(planned, "family");
        let build_failed = |e: String| Diagnostics::of_error(format!("Cannot build task definition {family:?}"), e);
        let containers = expand::container_definitions(planned).map_err(build_failed)?;
        let volumes = expand::volumes(planned).map_err(build_failed)?;
        tracing::info!(family = %family, containers = containers.len(), "registering ECS task definition");
        let request = ctx
            .aws
            .ecs
            .register_task_definition()
            .family(&family)
            .network_mode(expand::network_mode(planned))
            .set_task_role_arn(planned.get("task_role_arn").as_str().map(str::to_string))
            .set_execution_role_arn(planned.get("execution_role_arn").as_str().map(str::to_string))
            .set_cpu(planned.get("cpu").as_i64().map(|n| n.to_string()))
            .set_memory(planned.get("memory").as_i64().map(|n| n.to_string()))
            .set_requires_compatibilities(expand::requires_compatibilities(planned))
            .set_container_definitions(Some(containers))
            .set_volumes(volumes)
            .set_pid_mode(expand::pid_mode(planned))
            .set_ipc_mode(expand::ipc_mode(planned))
            .set_runtime_platform(expand::runtime_platform(planned))
            .set_ephemeral_storage(expand::ephemeral_storage(planned))
            .set_placement_constraints(expand::placement_constraints(planned))
            .set_tags(crate::aws::tags::to_ecs(&planned.get("tags_all").to_string_map()));
        let out = match register_once(ctx, &family, request).await? {
            Registered::Answer(out) => out,
            Registered::FoundAfterLostReply(arn) => {
                return match describe_td(ctx, &arn).await? {
                    Some((td, tags)) => Ok(to_state(&td, &tags, planned, &ctx.default_tags)),
                    None => Err(Diagnostics::of_error(
                        format!("Task definition {arn} vanished right after it was registered"),
                        "Run `terraform apply` again.",
                    )
                    .into()),
                };
            }
        };
        let Some(td) = out.task_definition() else {
            return Err(Diagnostics::of_error(
                format!("ECS registered task definition {family:?} but did not return it"),
                "RegisterTaskDefinition answered without a task definition. Look for the new revision with `aws ecs list-task-definitions`, and import it.",
            )
            .into());
        };
        tracing::info!(arn = td.task_definition_arn().unwrap_or_default(), "registered ECS task definition");
        Ok(to_state(td, out.tags(), planned, &ctx.default_tags))
    }

    async fn read(&self, ctx: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let arn = state.get("arn").as_str().or(state.get("id").as_str()).unwrap_or_default().to_string();
        if arn.is_empty() {
            return Ok(None);
        }
        match describe_td(ctx, &arn).await? {
            Some((td, _)) if td.status() == Some(&TaskDefinitionStatus::Inactive) => {
                tracing::info!(arn = %arn, "task definition revision was deregistered outside Terraform");
                Ok(None)
            }
            Some((td, t)) => Ok(Some(to_state(&td, &t, state, &ctx.default_tags))),
            None => Ok(None),
        }
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, Failed> {
        let arn = s(prior, "arn");
        tags::update(ctx, tags::Tagged::Ecs(&arn), prior.get("tags_all"), planned.get("tags_all"), &format!("ECS task definition {arn}"))
            .await?;
        match describe_td(ctx, &arn).await? {
            Some((td, t)) => Ok(to_state(&td, &t, planned, &ctx.default_tags)),
            None => Err(Diagnostics::of_error(
                format!("ECS task definition {arn} disappeared while it was being updated"),
                "Run `terraform apply` again to register it anew.",
            )
            .into()),
        }
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), Diagnostics> {
        let arn = s(prior, "arn");
        if prior.get("skip_destroy").as_bool() == Some(true) {
            tracing::info!(arn = %arn, "skip_destroy is set: leaving the task definition revision registered");
            return Ok(());
        }
        tracing::info!(arn = %arn, "deregistering ECS task definition");
        match ctx.aws.ecs.deregister_task_definition().task_definition(&arn).send().await {
            Ok(_) => Ok(()),
            Err(e) if task_definition_unknown(&AwsError::from_sdk(&e)) => Ok(()),
            Err(e) => Err(Diagnostics::of_error(format!("Cannot deregister ECS task definition {arn}"), describe(&e))),
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        let id = id.trim();
        let how = "Import takes the task definition ARN, `family:revision`, or a family name (its latest ACTIVE revision).";
        let target = if id.starts_with("arn:") || id.contains(':') {
            id.to_string()
        } else {
            if let Err(e) = ecs_name(255)(&Value::string(id)) {
                return Err(Diagnostics::of_error(
                    format!("Cannot import task definition {id:?}: not a family name"),
                    format!("{e} {how}"),
                ));
            }
            match latest_active(ctx, id).await? {
                Some(arn) => arn,
                None => {
                    return Err(Diagnostics::of_error(
                        format!("Cannot import task definition family {id:?}: it has no ACTIVE revision"),
                        format!("No ACTIVE revision of family {id:?} in region {}. {how}", ctx.aws.region),
                    ))
                }
            }
        };
        match describe_td(ctx, &target).await? {
            Some((td, _)) if td.status() == Some(&TaskDefinitionStatus::Inactive) => Err(Diagnostics::of_error(
                format!("Cannot import task definition {target:?}: it is INACTIVE (deregistered)"),
                format!("A deregistered revision cannot be managed. Import an ACTIVE revision, or the family name to get its latest ACTIVE revision. {how}"),
            )),
            Some((td, t)) => Ok(to_state(&td, &t, &Value::Null, &ctx.default_tags)),
            None => Err(Diagnostics::of_error(
                format!("Cannot import task definition {target:?}: it does not exist"),
                format!("ECS does not know it in region {}. {how}", ctx.aws.region),
            )),
        }
    }
}
