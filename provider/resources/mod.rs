//! The resources and data sources, one file each: schema, validation, planning and CRUD together.

pub mod cluster;
pub mod service;
pub mod tags;
pub mod task;

use crate::framework::{DataSource, Resource};

pub fn all_resources() -> Vec<Box<dyn Resource>> {
    vec![Box::new(cluster::ClusterResource), Box::new(service::ServiceResource), Box::new(task::TaskResource)]
}

pub fn all_data_sources() -> Vec<Box<dyn DataSource>> {
    vec![]
}
