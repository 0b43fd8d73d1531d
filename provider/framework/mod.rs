//! The provider framework: resource traits, the registry and RPC core, planning rules, validation,
//! timeouts and waiting. It knows Terraform, not AWS.

pub mod plan;
pub mod provider;
pub mod resource;
pub mod timeouts;
pub mod validate;
pub mod wait;

pub use provider::ProviderCore;
pub use resource::{Ctx, DataSource, Failed, PlanRequest, Resource};
