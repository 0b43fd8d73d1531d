//! What every resource call gets besides its values: the AWS clients, the provider's default tags,
//! and the signal that Terraform asked the provider to stop.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::aws::Aws;
use crate::framework::{timeouts, Context, Stop};
use crate::tf::Value;

#[derive(Clone)]
pub struct Ctx {
    pub aws: Arc<Aws>,
    /// The provider's default tags (empty while unknown; see `default_tags_known`).
    pub default_tags: BTreeMap<String, String>,
    pub default_tags_known: bool,
    /// Whether the region, credentials and endpoints are known (false during a plan whose provider
    /// block depends on resources not yet applied: the clients then point nowhere).
    pub settings_known: bool,
    pub stop: Stop,
    /// What the destroy plans of this provider process have planned to destroy so far (ARNs of
    /// services, container instances and tasks): a cluster's destroy plan does not count those as
    /// blockers, since Terraform destroys them before the cluster that holds them.
    pub destroying: Arc<Mutex<BTreeSet<String>>>,
}

impl Context for Ctx {
    fn default_tags(&self) -> Option<&BTreeMap<String, String>> {
        self.default_tags_known.then_some(&self.default_tags)
    }
    fn can_read_at_plan(&self) -> bool {
        self.settings_known
    }
    fn stop(&self) -> &Stop {
        &self.stop
    }
}

impl Ctx {
    /// Notes that this run's plan destroys the object `arn`.
    pub fn planned_destroy(&self, arn: &str) {
        if let Ok(mut set) = self.destroying.lock() {
            set.insert(arn.to_string());
        }
    }

    pub fn destroy_is_planned(&self, arn: &str) -> bool {
        self.destroying.lock().map(|s| s.contains(arn)).unwrap_or(false)
    }

    /// The duration set in the resource's `timeouts` block for `operation`, or `default`.
    pub fn timeout(&self, state: &Value, operation: &str, default: Duration) -> Duration {
        timeouts::from_state(state, operation).unwrap_or(default)
    }

    /// A context whose clients are never called, for unit tests of code that only carries one.
    #[cfg(test)]
    pub fn for_tests() -> Ctx {
        Ctx {
            aws: Arc::new(Aws::unconfigured_for_tests()),
            default_tags: BTreeMap::new(),
            default_tags_known: true,
            settings_known: true,
            stop: Stop::channel().0,
            destroying: Arc::default(),
        }
    }
}
