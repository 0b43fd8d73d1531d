//! Acceptance tests for terraform-provider-awsecs.
//!
//! Every test drives the real Terraform CLI (v1.0.3, from `.tools/`) against the provider binary that
//! cargo just built, pointed at it through a `dev_overrides` CLI config, and uses a private moto
//! server (from `.tools/venv`) on loopback as the AWS endpoint. Results are checked twice: in
//! Terraform's state (`terraform show -json`) and in "AWS" (moto, through the AWS SDK). After every
//! successful apply, a second plan must report no changes.
//!
//! Run: `cargo test --test acceptance` (the tools are installed on first use by
//! `scripts/install-tools.sh`). A failing test keeps its temp dir (main.tf, moto.log, plan files)
//! and prints its path.

mod capacity_provider;
mod cluster;
mod container_instance;
mod faults;
mod generate_config;
mod harness;
mod install;
mod migrate;
mod plan_destroy;
mod plugin_tls;
mod provider_config;
mod rds_link;
mod secrets;
mod service;
mod service_production;
mod task;
mod task_definition;
mod task_definition_settings;
