//! What a resource or data source implements. Everything protocol-shaped (msgpack, planning rules,
//! state upgrades, timeouts block bookkeeping) is done by the framework around these calls.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::aws::Aws;
use crate::tf::{Diagnostics, Schema, Value};

/// What a resource call gets besides its values: AWS clients, provider-wide settings, and the
/// signal that Terraform asked the provider to stop (waits end early on it).
#[derive(Clone)]
pub struct Ctx {
    pub aws: Arc<Aws>,
    pub default_tags: BTreeMap<String, String>,
    pub stop: watch::Receiver<bool>,
}

impl Ctx {
    /// The duration set in the resource's `timeouts` block for `operation`, or `default`.
    pub fn timeout(&self, state: &Value, operation: &str, default: Duration) -> Duration {
        super::timeouts::from_state(state, operation).unwrap_or(default)
    }
    pub fn stopped(&self) -> bool {
        *self.stop.borrow()
    }
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

#[tonic::async_trait]
pub trait Resource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// Plan-time checks that need no AWS call. Values may be unknown: check only what is known.
    /// Attribute validators in the schema have already run.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Resource-specific planning after the generic rules (which already handled defaults,
    /// forces-replacement and unknown computed values). `ctx` is absent when the provider is not
    /// configured with known values.
    async fn modify_plan(&self, _ctx: Option<&Ctx>, _req: &PlanRequest<'_>, _planned: &mut Value, _diags: &mut Diagnostics) {}

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, Failed>;
    /// `Ok(None)` means the object no longer exists.
    async fn read(&self, ctx: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics>;
    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, Failed>;
    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), Diagnostics>;
    /// The state for `terraform import ADDR ID`; Terraform reads it right after.
    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Value, Diagnostics>;
}

#[tonic::async_trait]
pub trait DataSource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn read(&self, ctx: &Ctx, config: &Value) -> Result<Value, Diagnostics>;
}
