//! terraform-provider-awsecs: a Terraform provider for the WordPress-on-Amazon-ECS stack.
//!
//! Layers, from the wire inwards: `plugin` (handshake, mutual TLS, gRPC server), `protocol`
//! (tfplugin6/5 messages <-> core types), `framework` (resource traits, planning rules, waiting),
//! `resources` (one file per resource), with `tf` (Terraform values, schemas, diagnostics) and
//! `aws` (SDK clients, errors) underneath; `tf` knows nothing of AWS and `aws` nothing of Terraform.

pub mod aws;
pub mod config;
pub mod docs;
pub mod framework;
pub mod log;
pub mod plugin;
pub mod protocol;
pub mod resources;
pub mod tf;
