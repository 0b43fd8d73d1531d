//! The resources and data sources, one file each: schema, validation, planning and CRUD together.

pub mod cluster;
pub mod rds_instance;
pub mod rds_link;
pub mod tags;

use crate::framework::{DataSource, Resource};

pub fn all_resources() -> Vec<Box<dyn Resource>> {
    vec![Box::new(cluster::ClusterResource), Box::new(rds_link::RdsLinkResource)]
}

pub fn all_data_sources() -> Vec<Box<dyn DataSource>> {
    vec![Box::new(rds_instance::RdsInstanceDataSource)]
}
