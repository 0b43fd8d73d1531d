//! `awsecs_container_instance`: an EC2 instance, launched in the subnet (and so the VPC) the user
//! picks, that joins an ECS cluster through `ECS_CLUSTER` in its user data. It exists, as far as
//! Terraform is concerned, once ECS lists it ACTIVE with its agent connected; destroying it drains
//! it, deregisters it and terminates the EC2 instance.
//!
//! Here: the resource, its arguments, the AWS reads its steps share, and the CRUD and import glue.
//! `schema`: the schema and the attribute validators; `validate`: the checks across arguments;
//! `user_data`: the user data that joins the cluster, and reading it back; `launch`: the image, the
//! pre-checks and RunInstances; `metadata`: the `metadata_options` block (IMDS); `registration`:
//! the wait to join, the DRAINING/ACTIVE switch and the destroy-side drain, deregister and
//! terminate; `import`: finding the instance from an import id; `flatten`: EC2 and ECS answers ->
//! state.

mod flatten;
mod import;
pub(crate) mod launch;
pub(crate) mod metadata;
pub(crate) mod registration;
pub(crate) mod schema;
pub(crate) mod user_data;
pub(crate) mod validate;

use crate::framework::IdentitySchema;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::types::{Instance, InstanceStateName, Volume};
use aws_sdk_ecs::types::{ContainerInstance, ContainerInstanceStatus};

use crate::aws::errors::AwsError;
use crate::framework::{Failed, PlanRequest, Resource};
use crate::resources::tags::{self, Tagged};
use crate::resources::Ctx;
use crate::tf::{AttrPath, Diagnostics, Schema, Value};

use flatten::{instance_state, partial_state, to_state};
use launch::{active_cluster, check_same_vpc, image_to_launch, run_instance};
use metadata::MetadataOptions;
use registration::{drain_and_deregister, set_status, terminate, wait_registered};

pub struct ContainerInstanceResource;

const CREATE_TIMEOUT: Duration = Duration::from_secs(600);
const DELETE_TIMEOUT: Duration = Duration::from_secs(1200);

/// The arguments, decoded once.
struct Config {
    cluster: String,
    instance_type: String,
    ami_id: Option<String>,
    subnet_id: Option<String>,
    security_group_ids: Vec<String>,
    key_name: Option<String>,
    iam_instance_profile: Option<String>,
    associate_public_ip_address: Option<bool>,
    root_volume_size: Option<i64>,
    /// None (left out, or unknown in the plan): a new instance gets an encrypted root volume.
    root_volume_encrypted: Option<bool>,
    root_volume_kms_key_id: Option<String>,
    /// None when the block is left out: a new instance gets `MetadataOptions::default()`.
    metadata_options: Option<MetadataOptions>,
    user_data_extra: Option<String>,
    draining: bool,
    tags_all: BTreeMap<String, String>,
}

impl Config {
    fn from(v: &Value) -> Config {
        let s = |k: &str| v.get(k).as_str().map(str::to_string);
        Config {
            cluster: s("cluster").unwrap_or_default(),
            instance_type: s("instance_type").unwrap_or_default(),
            ami_id: s("ami_id"),
            subnet_id: s("subnet_id"),
            security_group_ids: v.get("security_group_ids").to_string_list(),
            key_name: s("key_name"),
            iam_instance_profile: s("iam_instance_profile"),
            associate_public_ip_address: v.get("associate_public_ip_address").as_bool(),
            root_volume_size: v.get("root_volume_size").as_i64(),
            root_volume_encrypted: v.get("root_volume_encrypted").as_bool(),
            root_volume_kms_key_id: s("root_volume_kms_key_id"),
            metadata_options: MetadataOptions::from_block(v.get(metadata::BLOCK)),
            user_data_extra: s("user_data_extra"),
            draining: v.get("draining").as_bool().unwrap_or(false),
            tags_all: v.get("tags_all").to_string_map(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// AWS reads
// ---------------------------------------------------------------------------------------------

fn read_failed(what: String) -> impl FnOnce(AwsError) -> Diagnostics {
    move |e| crate::resources::aws_failure(format!("Cannot read {what}"), &e)
}

/// The EC2 instance, or None when EC2 no longer knows it.
async fn get_instance(ctx: &Ctx, id: &str) -> Result<Option<Instance>, Diagnostics> {
    ctx.aws.find_instance(id).await.map_err(read_failed(format!("EC2 instance {id}")))
}

/// The container instance `arn` of `cluster`; None when ECS reports it missing, or the cluster is gone.
async fn get_container_instance(ctx: &Ctx, cluster: &str, arn: &str) -> Result<Option<ContainerInstance>, Diagnostics> {
    ctx.aws.find_container_instance(cluster, arn).await.map_err(read_failed(format!("container instance {arn} of ECS cluster {cluster:?}")))
}

/// The container instance of EC2 instance `instance_id` in `cluster`, whatever its status.
async fn find_by_instance(ctx: &Ctx, cluster: &str, instance_id: &str) -> Result<Option<ContainerInstance>, Diagnostics> {
    ctx.aws
        .find_container_instance_of_ec2(cluster, instance_id)
        .await
        .map_err(read_failed(format!("the container instances of ECS cluster {cluster:?}")))
}

/// The instance's root EBS volume (size, encryption, KMS key), when EC2 lists one.
async fn root_volume(ctx: &Ctx, i: &Instance) -> Result<Option<Volume>, Diagnostics> {
    let id = i.instance_id().unwrap_or_default();
    ctx.aws.find_root_volume(i).await.map_err(read_failed(format!("the root volume of EC2 instance {id}")))
}

/// The current state from the instance id and, when known, the container instance ARN.
async fn read_state(ctx: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
    let cluster = state.get("cluster").as_str().unwrap_or_default().to_string();
    let instance_id = state.get("instance_id").as_str().unwrap_or_default().to_string();
    let Some(instance) = get_instance(ctx, &instance_id).await? else { return Ok(None) };
    if matches!(instance_state(&instance), Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)) {
        return Ok(None);
    }
    let ci = match state.get("container_instance_arn").as_str() {
        Some(arn) => match get_container_instance(ctx, &cluster, arn).await? {
            Some(ci) if ci.status() != Some("INACTIVE") && ci.status() != Some("DEREGISTERING") => Some(ci),
            // Deregistered: it has left the cluster, which is what this resource stands for.
            _ => return Ok(None),
        },
        // A create that failed before the instance registered: it may have joined since.
        None => find_by_instance(ctx, &cluster, &instance_id).await?,
    };
    let volume = root_volume(ctx, &instance).await?;
    Ok(Some(to_state(state, &instance, ci.as_ref(), volume.as_ref(), &ctx.default_tags)))
}

#[async_trait]
impl Resource<Ctx> for ContainerInstanceResource {
    fn type_name(&self) -> &'static str {
        "awsecs_container_instance"
    }

    /// Noted for the cluster's destroy plan (see `awsecs_cluster`).
    async fn plan_destroy(&self, ctx: Option<&Ctx>, prior: &Value, _diags: &mut Diagnostics) {
        if let (Some(ctx), Some(arn)) = (ctx, prior.get("container_instance_arn").as_str()) {
            ctx.planned_destroy(arn);
        }
    }

    fn identity(&self) -> IdentitySchema {
        IdentitySchema::strings(&[("instance_id", "The EC2 instance id (i-...).")])
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate::validate(config, diags)
    }

    /// A new instance: its root volume is planned encrypted unless told otherwise (and `false` is
    /// checked against EBS encryption by default). Its image is not looked up here: left out,
    /// `ami_id` stays unknown until create looks it up, so an image AWS publishes between plan and
    /// apply cannot make a saved plan inconsistent with the apply.
    async fn modify_plan(&self, ctx: Option<&Ctx>, req: &PlanRequest<'_>, planned: &mut Value, diags: &mut Diagnostics) {
        if !(req.create || req.replace) {
            return;
        }
        match req.config.get("root_volume_encrypted") {
            Value::Null => planned.set("root_volume_encrypted", true.into()),
            Value::Bool(false) => {
                if let Some(ctx) = ctx {
                    check_encryption_by_default(ctx, diags).await;
                }
            }
            _ => {}
        }
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, Failed> {
        let cfg = Config::from(planned);
        let cluster = active_cluster(ctx, &cfg.cluster).await?;
        check_same_vpc(ctx, &cfg).await?;
        // Once, here: the plan left `ami_id` unknown when it is not configured.
        let image = image_to_launch(ctx, &cfg).await?;
        let ami = image.image_id().unwrap_or_default().to_string();
        let instance_id = run_instance(ctx, &cfg, &cluster, &image).await?;
        let mut partial = partial_state(planned, &instance_id);
        partial.set("ami_id", ami.clone().into());
        let timeout = ctx.timeout(planned, "create", CREATE_TIMEOUT);
        let (instance, ci) = match wait_registered(ctx, &cluster, &instance_id, timeout).await {
            Ok(x) => x,
            Err(mut d) => {
                if let Some(first) = d.0.first_mut() {
                    first.detail.push_str(&format!(
                        "\n\nEC2 instance {instance_id} was launched and is kept in the state (tainted): the next apply replaces it, and `terraform destroy` terminates it."
                    ));
                }
                return Err(Failed::with_partial(d, partial));
            }
        };
        let arn = ci.container_instance_arn().unwrap_or_default().to_string();
        if cfg.draining {
            if let Err(d) = set_status(ctx, &cluster, &arn, ContainerInstanceStatus::Draining).await {
                partial.set("container_instance_arn", arn.clone().into());
                partial.set("id", arn.into());
                return Err(Failed::with_partial(d, partial));
            }
        }
        let ci = match get_container_instance(ctx, &cluster, &arn).await {
            Ok(Some(fresh)) => fresh,
            _ => ci,
        };
        // A failed read leaves the volume's attributes to the next refresh.
        let volume = root_volume(ctx, &instance).await.unwrap_or_default();
        let mut state = to_state(planned, &instance, Some(&ci), volume.as_ref(), &ctx.default_tags);
        state.set("ami_id", ami.into());
        tracing::info!(instance_id = %instance_id, container_instance = %arn, "container instance joined the cluster");
        Ok(state)
    }

    async fn read(&self, ctx: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
        read_state(ctx, state).await
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, Failed> {
        let cfg = Config::from(planned);
        let cluster = prior.get("cluster").as_str().unwrap_or_default().to_string();
        let instance_id = prior.get("instance_id").as_str().unwrap_or_default().to_string();
        if prior.get("draining").as_bool().unwrap_or(false) != cfg.draining {
            let Some(arn) = prior.get("container_instance_arn").as_str() else {
                return Err(Diagnostics::of_error(
                    format!("EC2 instance {instance_id} has not joined ECS cluster {cluster:?}"),
                    "`draining` can only change once the instance is registered. Wait for the ECS agent, or replace the instance (`terraform apply -replace=...`).",
                )
                .into());
            };
            let status = if cfg.draining { ContainerInstanceStatus::Draining } else { ContainerInstanceStatus::Active };
            set_status(ctx, &cluster, arn, status).await?;
        }
        if prior.get(metadata::BLOCK) != planned.get(metadata::BLOCK) {
            // A block removed from the configuration leaves the instance's settings as they are.
            if let Some(m) = &cfg.metadata_options {
                metadata::modify(ctx, &instance_id, m).await?;
            }
        }
        tags::update(
            ctx,
            Tagged::Ec2(&instance_id),
            prior.get("tags_all"),
            planned.get("tags_all"),
            &format!("EC2 instance {instance_id}"),
        )
        .await?;
        match read_state(ctx, planned).await? {
            Some(v) => Ok(v),
            None => Err(Diagnostics::of_error(
                format!("Container instance of EC2 instance {instance_id} disappeared while it was being updated"),
                "The instance was terminated or deregistered outside Terraform. Run `terraform apply` again to launch a new one.",
            )
            .into()),
        }
    }

    /// Drain and deregister the container instance (when ECS still lists it), then terminate the
    /// EC2 instance; one `delete` timeout covers all of it.
    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), Diagnostics> {
        let cluster = prior.get("cluster").as_str().unwrap_or_default().to_string();
        let instance_id = prior.get("instance_id").as_str().unwrap_or_default().to_string();
        let timeout = ctx.timeout(prior, "delete", DELETE_TIMEOUT);
        let started = std::time::Instant::now();
        let arn = match prior.get("container_instance_arn").as_str() {
            Some(a) => Some(a.to_string()),
            None => find_by_instance(ctx, &cluster, &instance_id).await?.and_then(|c| c.container_instance_arn().map(str::to_string)),
        };
        if let Some(arn) = &arn {
            if get_container_instance(ctx, &cluster, arn).await?.is_some() {
                drain_and_deregister(ctx, &cluster, arn, timeout).await?;
            }
        }
        terminate(ctx, &instance_id, timeout, started).await
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        import::import(ctx, id).await
    }
}

/// `root_volume_encrypted = false` cannot hold where the account has EBS encryption by default on:
/// EC2 would encrypt the volume anyway, and every later plan would replace the instance.
async fn check_encryption_by_default(ctx: &Ctx, diags: &mut Diagnostics) {
    match ctx.aws.find_ebs_encryption_by_default().await {
        Ok(true) => diags.error_at(
            AttrPath::root("root_volume_encrypted"),
            "EC2 encrypts every new volume in this region",
            format!(
                "EBS encryption by default is on for this account in region {}, so the root volume would be encrypted whatever `root_volume_encrypted` says. Set it to true, or leave it out.",
                ctx.aws.region
            ),
        ),
        Ok(false) => {}
        // Not allowed to ask (ec2:GetEbsEncryptionByDefault), or no answer: EC2 decides at launch.
        Err(e) => tracing::debug!(error = %e, "cannot read whether EBS encryption by default is on"),
    }
}
