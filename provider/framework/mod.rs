//! The provider framework: resource traits, the registry and RPC core, planning rules, validation,
//! timeouts and waiting. It knows Terraform, not AWS: the provider's own context type comes in
//! through [`ProviderConfig`], the way the resources come in through [`ProviderCore::new`].

pub mod identity;
pub mod plan;
pub mod provider;
pub mod resource;
pub mod timeouts;
pub mod validate;
pub mod wait;

pub use identity::{IdentityAttribute, IdentitySchema};
pub use provider::{ApplyInput, ImportTarget, PlanInput, ProviderCore};
pub use resource::{Context, DataSource, Failed, MoveSource, PlanRequest, ProviderConfig, Resource, Stop};
