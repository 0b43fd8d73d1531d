//! terraform-provider-awsecs: a Terraform provider for the WordPress-on-Amazon-ECS stack.
//!
//! Layers, from the wire inwards, each using only the ones below it:
//!
//! - `plugin`: handshake, mutual TLS, the gRPC server; it wires the provider block and the
//!   resources into the framework.
//! - `protocol`: tfplugin6/5 messages <-> framework calls.
//! - `resources`: the provider block, one file or folder per resource and data source; this is
//!   where the framework meets `aws`.
//! - `framework`: resource traits, the RPC core, planning rules, validation, timeouts, waiting. It
//!   knows Terraform, not AWS.
//! - `tf`: Terraform values, types, schemas, diagnostics.
//! - `aws`: SDK clients, finders, tags, error classes. It knows nothing of Terraform.
//!
//! `log` and `docs` stand aside (logging set-up, and the docs pages generated from the schemas).

pub mod aws;
pub mod docs;
pub mod framework;
pub mod log;
pub mod plugin;
pub mod protocol;
pub mod resources;
pub mod tf;
