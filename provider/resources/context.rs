//! What every resource call gets besides its values: the AWS clients, the provider's default tags,
//! and the signal that Terraform asked the provider to stop.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::aws::Aws;
use crate::framework::{timeouts, Context, Stop};
use crate::tf::Value;

#[derive(Clone)]
pub struct Ctx {
    pub aws: Arc<Aws>,
    pub default_tags: BTreeMap<String, String>,
    pub stop: Stop,
}

impl Context for Ctx {
    fn default_tags(&self) -> &BTreeMap<String, String> {
        &self.default_tags
    }
    fn stop(&self) -> &Stop {
        &self.stop
    }
}

impl Ctx {
    /// The duration set in the resource's `timeouts` block for `operation`, or `default`.
    pub fn timeout(&self, state: &Value, operation: &str, default: Duration) -> Duration {
        timeouts::from_state(state, operation).unwrap_or(default)
    }

    /// A context whose clients are never called, for unit tests of code that only carries one.
    #[cfg(test)]
    pub fn for_tests() -> Ctx {
        Ctx { aws: Arc::new(Aws::unconfigured_for_tests()), default_tags: BTreeMap::new(), stop: Stop::channel().0 }
    }
}
