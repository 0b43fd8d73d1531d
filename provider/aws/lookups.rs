//! Batched look-ups shared by several resources: RDS instances by identifier and security group
//! rules by group. Concurrent calls within the batch window share one AWS call.

use std::collections::HashMap;

use aws_sdk_ec2::types::{Filter as Ec2Filter, SecurityGroup, SecurityGroupRule};
use aws_sdk_rds::types::{DbInstance, Filter as RdsFilter};

use super::errors::describe;
use super::Aws;

impl Aws {
    /// The RDS instance `identifier` names, or None when there is none. RDS identifiers are
    /// case-insensitive (RDS stores them in lower case), so the look-up is too.
    pub async fn db_instance(&self, identifier: &str) -> Result<Option<DbInstance>, String> {
        let rds = &self.rds;
        self.db_instances
            .get("", &identifier.to_ascii_lowercase(), |ids| async move {
                let out = rds
                    .describe_db_instances()
                    .filters(RdsFilter::builder().name("db-instance-id").set_values(Some(ids)).build())
                    .max_records(100)
                    .send()
                    .await
                    .map_err(|e| describe(&e))?;
                Ok(out.db_instances().iter().filter_map(|d| Some((d.db_instance_identifier()?.to_ascii_lowercase(), d.clone()))).collect())
            })
            .await
    }

    /// Every rule (ingress and egress) of security group `group_id`; empty when the group has
    /// none or does not exist.
    pub async fn security_group_rules_of(&self, group_id: &str) -> Result<Vec<SecurityGroupRule>, String> {
        let ec2 = &self.ec2;
        let found = self
            .security_group_rules
            .get("", group_id, |ids| async move {
                let mut by_group: HashMap<String, Vec<SecurityGroupRule>> = HashMap::new();
                let mut token: Option<String> = None;
                loop {
                    let out = ec2
                        .describe_security_group_rules()
                        .filters(Ec2Filter::builder().name("group-id").set_values(Some(ids.clone())).build())
                        .max_results(1000)
                        .set_next_token(token)
                        .send()
                        .await
                        .map_err(|e| describe(&e))?;
                    for r in out.security_group_rules() {
                        if let Some(g) = r.group_id() {
                            by_group.entry(g.to_string()).or_default().push(r.clone());
                        }
                    }
                    token = out.next_token().filter(|t| !t.is_empty()).map(str::to_string);
                    if token.is_none() {
                        break;
                    }
                }
                Ok(by_group)
            })
            .await?;
        Ok(found.unwrap_or_default())
    }

    /// Security group `group_id`, or None when it does not exist. (A filter, not GroupIds: with
    /// GroupIds one missing group fails the whole batch.)
    pub async fn security_group(&self, group_id: &str) -> Result<Option<SecurityGroup>, String> {
        let ec2 = &self.ec2;
        self.security_groups
            .get("", group_id, |ids| async move {
                let mut found = HashMap::new();
                let mut token: Option<String> = None;
                loop {
                    let out = ec2
                        .describe_security_groups()
                        .filters(Ec2Filter::builder().name("group-id").set_values(Some(ids.clone())).build())
                        .set_next_token(token)
                        .send()
                        .await
                        .map_err(|e| describe(&e))?;
                    for g in out.security_groups() {
                        if let Some(id) = g.group_id() {
                            found.insert(id.to_string(), g.clone());
                        }
                    }
                    token = out.next_token().filter(|t| !t.is_empty()).map(str::to_string);
                    if token.is_none() {
                        break;
                    }
                }
                Ok(found)
            })
            .await
    }
}
