//! The finder layer: one `find_*` (or `list_*`) per AWS object the provider reads, on [`Aws`].
//!
//! Each finder decides in one place what "not there" means for its object (a not-found error, an
//! empty answer, an INACTIVE status), returns `Ok(None)` for it, and batches concurrent reads where
//! AWS takes a list of ids. Lists go through the SDK's paginators, so no caller reads only the first
//! page. Resources call finders; they do not call the SDK for reads.
//!
//! [`Aws`]: super::Aws

pub mod autoscaling;
pub mod ec2;
pub mod ecs;
pub mod rds;
pub mod ssm;
