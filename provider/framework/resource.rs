//! What a provider, a resource or a data source implements. Everything protocol-shaped (msgpack,
//! planning rules, state upgrades, timeouts block bookkeeping) is done by the framework around
//! these calls.
//!
//! The framework knows Terraform, not AWS: what a call gets besides its values is the provider's
//! own context type `C` (built by [`ProviderConfig::configure`]), of which the framework only needs
//! the default tags (for `tags_all`) and the stop signal (for waits).

use std::collections::BTreeMap;

use async_trait::async_trait;
use tokio::sync::watch;

use super::identity::IdentitySchema;
use crate::tf::{Diagnostics, Schema, Value};

/// Set when Terraform asks the provider to stop (StopProvider): waits and calls in progress end.
#[derive(Clone, Debug)]
pub struct Stop(pub watch::Receiver<bool>);

impl Stop {
    pub fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the stop signal is set (never, if the sender is gone without setting it).
    pub async fn wait(&self) {
        let mut rx = self.0.clone();
        if rx.wait_for(|s| *s).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// A new signal and the sender that sets it.
    pub fn channel() -> (Stop, watch::Sender<bool>) {
        let (tx, rx) = watch::channel(false);
        (Stop(rx), tx)
    }
}

/// What the framework needs of the provider's context.
pub trait Context: Clone + Send + Sync + 'static {
    /// The provider's `default_tags`, merged into every `tags_all` at plan time; None while the
    /// provider configuration leaves them unknown (they come from resources not yet applied): every
    /// `tags_all` is then unknown in the plan, and the apply-time plan fills it in.
    fn default_tags(&self) -> Option<&BTreeMap<String, String>>;
    /// Whether plan-time reads of the outside world are meaningful: false while the provider
    /// configuration that says where they go (region, credentials, endpoints) is unknown. Resources
    /// then plan without them (no guess, no check).
    fn can_read_at_plan(&self) -> bool {
        true
    }
    fn stop(&self) -> &Stop;
}

/// The `provider "..." {}` block: its schema, its checks, and what configuring it produces.
#[async_trait]
pub trait ProviderConfig: Send + Sync + 'static {
    type Ctx: Context;
    fn schema(&self) -> Schema;
    /// Checks that need the whole block (attribute validators have run already).
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn configure(&self, config: &Value, stop: Stop) -> Result<Self::Ctx, Diagnostics>;
}

/// A failed create/update: the diagnostics, and the object as far as it exists in AWS, so that
/// Terraform records it (tainted) instead of losing track of it.
pub struct Failed {
    pub diags: Diagnostics,
    pub partial: Option<Value>,
}

impl From<Diagnostics> for Failed {
    fn from(diags: Diagnostics) -> Failed {
        Failed { diags, partial: None }
    }
}

impl Failed {
    pub fn with_partial(diags: Diagnostics, partial: Value) -> Failed {
        Failed { diags, partial: Some(partial) }
    }
}

/// What planning knows when a resource adjusts its plan.
pub struct PlanRequest<'a> {
    pub prior: &'a Value,
    pub config: &'a Value,
    /// No prior object: this plan creates one.
    pub create: bool,
    /// The plan replaces the object (some forces-replacement attribute changed).
    pub replace: bool,
}

/// MoveResourceState, decoded: an object of another resource type (possibly of another provider,
/// such as hashicorp/aws) that a `moved` block turns into one of this resource's type.
pub struct MoveSource<'a> {
    /// e.g. `registry.terraform.io/hashicorp/aws`
    pub provider: &'a str,
    pub type_name: &'a str,
    pub schema_version: i64,
    /// The source object's state as stored (JSON, in the source's schema of `schema_version`).
    pub state: &'a serde_json::Value,
}

#[async_trait]
pub trait Resource<C: Context>: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    /// The attributes that name an object of this type (see [`IdentitySchema`]).
    fn identity(&self) -> IdentitySchema;

    /// Plan-time checks that need no AWS call. Values may be unknown: check only what is known.
    /// Attribute validators in the schema have already run.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Resource-specific planning after the generic rules (which already handled defaults,
    /// forces-replacement and unknown computed values). `ctx` is absent when the provider is not
    /// configured with known values.
    async fn modify_plan(&self, _ctx: Option<&C>, _req: &PlanRequest<'_>, _planned: &mut Value, _diags: &mut Diagnostics) {}

    /// A plan that destroys `prior` (Terraform 1.3+, which asks because the provider declares
    /// `plan_destroy`): an error here stops `terraform plan -destroy` before anything is destroyed.
    async fn plan_destroy(&self, _ctx: Option<&C>, _prior: &Value, _diags: &mut Diagnostics) {}

    /// A stored state written by an older schema `version` (JSON as stored), brought to the current
    /// schema before it is decoded. The default keeps it as it is: attributes added since decode
    /// as null, removed ones are dropped.
    fn upgrade_state(&self, _version: i64, state: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        Ok(state)
    }

    /// The state of an object of this type that `from` describes (`moved` from another type). The
    /// framework fills schema defaults; Terraform refreshes the result right after.
    fn move_state(&self, from: &MoveSource<'_>) -> Result<Value, Diagnostics> {
        Err(Diagnostics::of_error(
            format!("Cannot move a {} to {}", from.type_name, self.type_name()),
            format!(
                "{} takes `moved` blocks only from the resource types its documentation lists. Import the object instead (`import {{ to = ... id = ... }}`) and remove the old resource from state with `terraform state rm`.",
                self.type_name()
            ),
        ))
    }

    async fn create(&self, ctx: &C, planned: &Value) -> Result<Value, Failed>;
    /// `Ok(None)` means the object no longer exists.
    async fn read(&self, ctx: &C, state: &Value) -> Result<Option<Value>, Diagnostics>;
    async fn update(&self, ctx: &C, prior: &Value, planned: &Value) -> Result<Value, Failed>;
    async fn delete(&self, ctx: &C, prior: &Value) -> Result<(), Diagnostics>;
    /// The state for `terraform import ADDR ID`; Terraform reads it right after.
    async fn import(&self, ctx: &C, id: &str) -> Result<Value, Diagnostics>;
}

#[async_trait]
pub trait DataSource<C: Context>: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn read(&self, ctx: &C, config: &Value) -> Result<Value, Diagnostics>;
}
