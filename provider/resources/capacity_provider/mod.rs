//! `awsecs_capacity_provider`: an Auto Scaling group of container instances, in the subnets (and so
//! the VPC) the user picks, behind an ECS capacity provider associated with the cluster.
//!
//! `schema`: schema and checks; `launch_template`: what the instances launch from; `group`: the
//! Auto Scaling group, the capacity provider and the cluster association (create and update);
//! `members`: the group's instances as the cluster sees them, and the wait for them to register;
//! `flatten`: AWS answers -> state; `destroy`: the ordered destroy; `import`: from a name.

mod destroy;
mod flatten;
mod group;
mod import;
mod launch_template;
mod members;
mod schema;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use crate::aws::errors::AwsError;
use crate::framework::{Failed, IdentitySchema, PlanRequest, Resource};
use crate::resources::container_instance::metadata::{MetadataOptions, BLOCK as METADATA_BLOCK};
use crate::resources::Ctx;
use crate::tf::{AttrPath, Diagnostics, Schema, Value};

pub struct CapacityProviderResource;

const CREATE_TIMEOUT: Duration = Duration::from_secs(900);
const UPDATE_TIMEOUT: Duration = Duration::from_secs(900);
const DELETE_TIMEOUT: Duration = Duration::from_secs(1800);

/// The arguments, decoded once.
#[derive(Clone)]
pub(super) struct Config {
    pub cluster: String,
    pub name: String,
    pub instance_type: String,
    /// Further types of a mixed instances policy (empty: one type).
    pub mixed_instance_types: Vec<String>,
    pub ami_id: Option<String>,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub iam_instance_profile: Option<String>,
    pub key_name: Option<String>,
    pub root_volume_size: Option<i64>,
    pub root_volume_encrypted: bool,
    pub root_volume_kms_key_id: Option<String>,
    pub user_data_extra: Option<String>,
    pub metadata_options: Option<MetadataOptions>,
    pub min_size: i32,
    pub max_size: i32,
    pub desired_capacity: Option<i32>,
    /// (target capacity, minimum step, maximum step) when managed scaling is on.
    pub managed_scaling: Option<(i32, i32, i32)>,
    pub managed_termination_protection: bool,
    pub managed_draining: bool,
    pub instance_refresh: bool,
    /// (weight, base) in the cluster's default strategy.
    pub default_strategy: Option<(i32, i32)>,
    pub tags_all: BTreeMap<String, String>,
}

fn int(v: &Value, default: i64) -> i32 {
    v.as_i64().unwrap_or(default).clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

impl From<&Value> for Config {
    fn from(v: &Value) -> Config {
        let s = |k: &str| v.get(k).as_str().filter(|s| !s.is_empty()).map(str::to_string);
        let ms = v.get("managed_scaling");
        let ds = v.get("default_strategy");
        Config {
            cluster: s("cluster").unwrap_or_default(),
            name: s("name").unwrap_or_default(),
            instance_type: s("instance_type").unwrap_or_default(),
            mixed_instance_types: v.get("mixed_instance_types").to_string_list(),
            ami_id: s("ami_id"),
            subnet_ids: v.get("subnet_ids").to_string_list(),
            security_group_ids: v.get("security_group_ids").to_string_list(),
            iam_instance_profile: s("iam_instance_profile"),
            key_name: s("key_name"),
            root_volume_size: v.get("root_volume_size").as_i64(),
            root_volume_encrypted: v.get("root_volume_encrypted").as_bool().unwrap_or(true),
            root_volume_kms_key_id: s("root_volume_kms_key_id"),
            user_data_extra: s("user_data_extra"),
            metadata_options: MetadataOptions::from_block(v.get(METADATA_BLOCK)),
            min_size: int(v.get("min_size"), 0),
            max_size: int(v.get("max_size"), 0),
            desired_capacity: v.get("desired_capacity").as_i64().map(|d| d as i32),
            managed_scaling: matches!(ms, Value::Object(_)).then(|| {
                (
                    int(ms.get("target_capacity"), 100),
                    int(ms.get("minimum_scaling_step_size"), 1),
                    int(ms.get("maximum_scaling_step_size"), 10_000),
                )
            }),
            managed_termination_protection: v.get("managed_termination_protection").as_bool().unwrap_or(false),
            managed_draining: v.get("managed_draining").as_bool().unwrap_or(true),
            instance_refresh: v.get("instance_refresh").as_bool().unwrap_or(false),
            default_strategy: matches!(ds, Value::Object(_)).then(|| (int(ds.get("weight"), 1), int(ds.get("base"), 0))),
            tags_all: v.get("tags_all").to_string_map(),
        }
    }
}

impl Config {
    /// The launch template's and the Auto Scaling group's name.
    pub fn group_name(&self, cluster_name: &str) -> String {
        let mut n = format!("awsecs-{cluster_name}-{}", self.name);
        // Launch template names may be 128 characters long.
        n.truncate(128);
        n
    }

    /// How many registered instances a create or update waits for.
    pub fn wanted(&self) -> i32 {
        self.desired_capacity.unwrap_or(self.min_size)
    }
}

fn read_failed(what: String) -> impl FnOnce(AwsError) -> Diagnostics {
    move |e| crate::resources::aws_failure(format!("Cannot read {what}"), &e)
}

#[async_trait]
impl Resource<Ctx> for CapacityProviderResource {
    fn type_name(&self) -> &'static str {
        "awsecs_capacity_provider"
    }

    fn identity(&self) -> IdentitySchema {
        IdentitySchema::strings(&[("name", "The capacity provider name.")])
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        schema::validate(config, diags);
    }

    /// The subnets must share one VPC and the security groups be in it: AWS would refuse the
    /// launch only when the group first launches, after the apply reported success.
    async fn modify_plan(&self, ctx: Option<&Ctx>, req: &PlanRequest<'_>, planned: &mut Value, diags: &mut Diagnostics) {
        // What the instances launch from changes: a new launch template version comes.
        if !req.create && launch_template::TEMPLATE_ARGUMENTS.iter().any(|k| req.prior.get(k) != planned.get(k)) {
            planned.set("launch_template_version", Value::Unknown);
        }
        let Some(ctx) = ctx else { return };
        let subnets = req.config.get("subnet_ids");
        let groups = req.config.get("security_group_ids");
        if !subnets.is_wholly_known() || !groups.is_wholly_known() {
            return;
        }
        let changed = req.create
            || req.prior.get("subnet_ids") != planned.get("subnet_ids")
            || req.prior.get("security_group_ids") != planned.get("security_group_ids");
        if changed {
            diags.extend(group::check_network(ctx, &subnets.to_string_list(), &groups.to_string_list()).await);
            if !req.create && req.prior.get("subnet_ids") != planned.get("subnet_ids") {
                planned.set("vpc_id", Value::Unknown);
            }
        }
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, Failed> {
        let cfg = Config::from(planned);
        let timeout = ctx.timeout(planned, "create", CREATE_TIMEOUT);
        group::create(ctx, &cfg, planned, timeout).await
    }

    async fn read(&self, ctx: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
        flatten::read(ctx, state).await
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, Failed> {
        let timeout = ctx.timeout(planned, "update", UPDATE_TIMEOUT);
        group::update(ctx, prior, planned, timeout).await
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), Diagnostics> {
        let timeout = ctx.timeout(prior, "delete", DELETE_TIMEOUT);
        destroy::delete(ctx, prior, timeout).await
    }

    /// Noted for the cluster's destroy plan: the group's container instances go with it.
    async fn plan_destroy(&self, ctx: Option<&Ctx>, prior: &Value, _diags: &mut Diagnostics) {
        if let Some(ctx) = ctx {
            for arn in prior.get("container_instance_arns").to_string_list() {
                ctx.planned_destroy(&arn);
            }
            if let Some(arn) = prior.get("arn").as_str() {
                ctx.planned_destroy(arn);
            }
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        import::import(ctx, id).await
    }
}

/// An error at one argument.
fn at(attr: &str, summary: impl Into<String>, detail: impl Into<String>) -> Diagnostics {
    let mut d = Diagnostics::new();
    d.error_at(AttrPath::root(attr), summary, detail);
    d
}
