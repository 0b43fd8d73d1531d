//! EC2 reads: instances, subnets, security groups and their rules, volumes, images.

use std::collections::HashMap;

use aws_sdk_ec2::types::{Filter, Image, Instance, InstanceAttributeName, SecurityGroup, SecurityGroupRule, Subnet, Volume};
use base64::Engine as _;

use crate::aws::errors::AwsError;
use crate::aws::Aws;

fn filter(name: &str, values: Vec<String>) -> Filter {
    Filter::builder().name(name).set_values(Some(values)).build()
}

impl Aws {
    /// The EC2 instance, or None when EC2 no longer knows it. A filter (not InstanceIds), so that
    /// a missing id is an empty answer, not an error for the whole batch.
    pub async fn find_instance(&self, id: &str) -> Result<Option<Instance>, AwsError> {
        let ec2 = self.ec2.clone();
        self.ec2_instances
            .get("", id, move |ids| {
                let ec2 = ec2.clone();
                async move {
                    let reservations: Vec<_> = ec2
                        .describe_instances()
                        .filters(filter("instance-id", ids))
                        .into_paginator()
                        .items()
                        .send()
                        .try_collect()
                        .await
                        .map_err(|e| AwsError::from_sdk(&e))?;
                    Ok(reservations
                        .iter()
                        .flat_map(|r| r.instances())
                        .filter_map(|i| Some((i.instance_id()?.to_string(), i.clone())))
                        .collect::<HashMap<_, _>>())
                }
            })
            .await
    }

    /// The subnet, or None when it does not exist.
    pub async fn find_subnet(&self, id: &str) -> Result<Option<Subnet>, AwsError> {
        let found: Vec<Subnet> = self
            .ec2
            .describe_subnets()
            .filters(filter("subnet-id", vec![id.to_string()]))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk(&e))?;
        Ok(found.into_iter().find(|s| s.subnet_id() == Some(id)))
    }

    /// Security group `group_id`, or None when it does not exist. (A filter, not GroupIds: with
    /// GroupIds one missing group fails the whole batch.)
    pub async fn find_security_group(&self, group_id: &str) -> Result<Option<SecurityGroup>, AwsError> {
        let ec2 = self.ec2.clone();
        self.security_groups
            .get("", group_id, move |ids| {
                let ec2 = ec2.clone();
                async move {
                    let groups: Vec<SecurityGroup> = ec2
                        .describe_security_groups()
                        .filters(filter("group-id", ids))
                        .into_paginator()
                        .items()
                        .send()
                        .try_collect()
                        .await
                        .map_err(|e| AwsError::from_sdk(&e))?;
                    Ok(groups.into_iter().filter_map(|g| Some((g.group_id()?.to_string(), g))).collect())
                }
            })
            .await
    }

    /// Every rule (ingress and egress) of security group `group_id`; empty when the group has
    /// none or does not exist.
    pub async fn find_security_group_rules(&self, group_id: &str) -> Result<Vec<SecurityGroupRule>, AwsError> {
        let ec2 = self.ec2.clone();
        let found = self
            .security_group_rules
            .get("", group_id, move |ids| {
                let ec2 = ec2.clone();
                async move {
                    let rules: Vec<SecurityGroupRule> = ec2
                        .describe_security_group_rules()
                        .filters(filter("group-id", ids))
                        .max_results(1000)
                        .into_paginator()
                        .items()
                        .send()
                        .try_collect()
                        .await
                        .map_err(|e| AwsError::from_sdk(&e))?;
                    let mut by_group: HashMap<String, Vec<SecurityGroupRule>> = HashMap::new();
                    for r in rules {
                        if let Some(g) = r.group_id() {
                            by_group.entry(g.to_string()).or_default().push(r.clone());
                        }
                    }
                    Ok(by_group)
                }
            })
            .await?;
        Ok(found.unwrap_or_default())
    }

    /// Decoded user data of an instance: None when the instance does not exist, empty when it has
    /// no user data.
    pub async fn find_instance_user_data(&self, id: &str) -> Result<Option<String>, AwsError> {
        let out = match self.ec2.describe_instance_attribute().instance_id(id).attribute(InstanceAttributeName::UserData).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = AwsError::from_sdk(&e);
                return if e.code().is_some_and(|c| c.starts_with("InvalidInstanceID")) { Ok(None) } else { Err(e) };
            }
        };
        let b64 = out.user_data().and_then(|u| u.value()).unwrap_or_default();
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64.trim()).unwrap_or_default();
        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// The instance's root EBS volume (size, encryption, KMS key), or None when the instance has no
    /// EBS volume at its root device or EC2 no longer lists it. Concurrent reads share one
    /// DescribeVolumes (a filter, so that a missing volume is an empty answer, not an error).
    pub async fn find_root_volume(&self, i: &Instance) -> Result<Option<Volume>, AwsError> {
        let Some(root) = i.root_device_name() else { return Ok(None) };
        let Some(vol) = i.block_device_mappings().iter().find(|b| b.device_name() == Some(root)).and_then(|b| b.ebs()?.volume_id()) else {
            return Ok(None);
        };
        let ec2 = self.ec2.clone();
        self.volumes
            .get("", vol, move |ids| {
                let ec2 = ec2.clone();
                async move {
                    let volumes: Vec<Volume> = ec2
                        .describe_volumes()
                        .filters(filter("volume-id", ids))
                        .into_paginator()
                        .items()
                        .send()
                        .try_collect()
                        .await
                        .map_err(|e| AwsError::from_sdk(&e))?;
                    Ok(volumes.into_iter().filter_map(|v| Some((v.volume_id()?.to_string(), v))).collect())
                }
            })
            .await
    }

    /// Whether EBS encryption by default is on for the account in this region (EC2 then encrypts
    /// every new volume, whatever the request says).
    pub async fn find_ebs_encryption_by_default(&self) -> Result<bool, AwsError> {
        let out = self.ec2.get_ebs_encryption_by_default().send().await.map_err(|e| AwsError::from_sdk(&e))?;
        Ok(out.ebs_encryption_by_default().unwrap_or(false))
    }

    /// Image `id`, or None when EC2 does not know it (deregistered, never shared with this account,
    /// or not an image id at all).
    pub async fn find_image(&self, id: &str) -> Result<Option<Image>, AwsError> {
        match self.ec2.describe_images().image_ids(id).send().await {
            Ok(out) => Ok(out.images().iter().find(|i| i.image_id() == Some(id)).cloned()),
            Err(e) => {
                let e = AwsError::from_sdk(&e);
                if e.code().is_some_and(|c| c.starts_with("InvalidAMIID")) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// Available images of `owner` whose name matches `name_pattern` (EC2 wildcards).
    pub async fn find_images(&self, owner: &str, name_pattern: &str) -> Result<Vec<Image>, AwsError> {
        self.ec2
            .describe_images()
            .owners(owner)
            .filters(filter("name", vec![name_pattern.to_string()]))
            .filters(filter("state", vec!["available".to_string()]))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk(&e))
    }
}
