//! The resources and data sources, one file each: schema, validation, planning and CRUD together.

pub mod cluster;
pub mod container_instance;
pub mod ecs_optimized_ami;
pub mod rds_instance;
pub mod rds_link;
pub mod service;
pub mod tags;
pub mod task;
pub mod task_definition;

use crate::framework::{DataSource, Resource};

pub fn all_resources() -> Vec<Box<dyn Resource>> {
    vec![
        Box::new(cluster::ClusterResource),
        Box::new(container_instance::ContainerInstanceResource),
        Box::new(task_definition::TaskDefinitionResource),
        Box::new(service::ServiceResource),
        Box::new(task::TaskResource),
        Box::new(rds_link::RdsLinkResource),
    ]
}

pub fn all_data_sources() -> Vec<Box<dyn DataSource>> {
    vec![Box::new(ecs_optimized_ami::EcsOptimizedAmiDataSource), Box::new(rds_instance::RdsInstanceDataSource)]
}
