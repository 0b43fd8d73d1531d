//! The resources and data sources (one file or folder each: schema, validation, expand, flatten,
//! CRUD), the provider block, and what they share: the call context, tags, ECS names.
//!
//! This is where the framework (Terraform's side) meets `aws` (the clients and finders).

pub mod capacity_provider;
pub mod cluster;
pub mod container_instance;
pub mod context;
pub mod ecs_optimized_ami;
pub mod migrate;
pub mod names;
pub mod network_configuration;
pub mod provider_block;
pub mod rds_instance;
pub mod rds_link;
pub mod service;
pub mod tags;
pub mod task;
pub mod task_definition;

pub use context::Ctx;

use crate::aws::errors::AwsError;
use crate::framework::{DataSource, Resource};
use crate::tf::Diagnostics;

/// An AWS failure as a diagnostic; one that may pass by itself (throttling, no answer) is marked so,
/// and a wait keeps waiting through it.
pub fn aws_failure(summary: impl Into<String>, e: &AwsError) -> Diagnostics {
    let d = Diagnostics::of_error(summary, e.to_string());
    if e.is_retryable() {
        d.transient()
    } else {
        d
    }
}

pub fn all_resources() -> Vec<Box<dyn Resource<Ctx>>> {
    vec![
        Box::new(capacity_provider::CapacityProviderResource),
        Box::new(cluster::ClusterResource),
        Box::new(container_instance::ContainerInstanceResource),
        Box::new(task_definition::TaskDefinitionResource),
        Box::new(service::ServiceResource),
        Box::new(task::TaskResource),
        Box::new(rds_link::RdsLinkResource),
    ]
}

pub fn all_data_sources() -> Vec<Box<dyn DataSource<Ctx>>> {
    vec![Box::new(ecs_optimized_ami::EcsOptimizedAmiDataSource), Box::new(rds_instance::RdsInstanceDataSource)]
}
