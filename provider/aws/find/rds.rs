//! RDS reads.

use aws_sdk_rds::types::{DbInstance, Filter};

use crate::aws::errors::AwsError;
use crate::aws::Aws;

impl Aws {
    /// The RDS instance `identifier` names, or None when there is none. RDS identifiers are
    /// case-insensitive (RDS stores them in lower case), so the look-up is too. A filter (not
    /// DBInstanceIdentifier), so that concurrent reads share one call and a missing one is simply
    /// absent from the answer.
    pub async fn find_db_instance(&self, identifier: &str) -> Result<Option<DbInstance>, AwsError> {
        let rds = self.rds.clone();
        self.db_instances
            .get("", &identifier.to_ascii_lowercase(), move |ids| {
                let rds = rds.clone();
                async move {
                    let found: Vec<DbInstance> = rds
                        .describe_db_instances()
                        .filters(Filter::builder().name("db-instance-id").set_values(Some(ids)).build())
                        .max_records(100)
                        .into_paginator()
                        .items()
                        .send()
                        .try_collect()
                        .await
                        .map_err(|e| AwsError::from_sdk(&e))?;
                    Ok(found.into_iter().filter_map(|d| Some((d.db_instance_identifier()?.to_ascii_lowercase(), d))).collect())
                }
            })
            .await
    }
}
