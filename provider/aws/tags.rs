//! Tags on the wire, for ECS and EC2 alike: AWS's tag lists to and from maps, and the calls that
//! move a resource's tags from one map to another.

use std::collections::BTreeMap;

use super::errors::AwsError;
use super::Aws;

/// ECS's tag list, or None for no tags (ECS rejects an empty list in some calls).
pub fn to_ecs(tags: &BTreeMap<String, String>) -> Option<Vec<aws_sdk_ecs::types::Tag>> {
    (!tags.is_empty()).then(|| tags.iter().map(|(k, v)| aws_sdk_ecs::types::Tag::builder().key(k).value(v).build()).collect())
}

/// EC2's tag list, or None for no tags.
pub fn to_ec2(tags: &BTreeMap<String, String>) -> Option<Vec<aws_sdk_ec2::types::Tag>> {
    (!tags.is_empty()).then(|| tags.iter().map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build()).collect())
}

pub fn from_ecs(tags: &[aws_sdk_ecs::types::Tag]) -> BTreeMap<String, String> {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

pub fn from_ec2(tags: &[aws_sdk_ec2::types::Tag]) -> BTreeMap<String, String> {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

/// What carries tags: an ECS resource (by ARN) or an EC2 resource (by id).
#[derive(Clone, Copy, Debug)]
pub enum Tagged<'a> {
    Ecs(&'a str),
    Ec2(&'a str),
    /// An Auto Scaling group, by name; its tags are passed on to the instances it launches.
    AutoScalingGroup(&'a str),
}

/// Tags of an Auto Scaling group, passed on to the instances it launches.
pub fn to_autoscaling(group: &str, tags: &BTreeMap<String, String>) -> Vec<aws_sdk_autoscaling::types::Tag> {
    tags.iter()
        .map(|(k, v)| {
            aws_sdk_autoscaling::types::Tag::builder()
                .resource_id(group)
                .resource_type("auto-scaling-group")
                .key(k)
                .value(v)
                .propagate_at_launch(true)
                .build()
        })
        .collect()
}

impl Aws {
    /// Removes the `remove` keys, then sets `add` (nothing is called for an empty change).
    pub async fn change_tags(&self, on: Tagged<'_>, add: &BTreeMap<String, String>, remove: Vec<String>) -> Result<(), AwsError> {
        match on {
            Tagged::Ecs(arn) => {
                if !remove.is_empty() {
                    self.ecs
                        .untag_resource()
                        .resource_arn(arn)
                        .set_tag_keys(Some(remove))
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk(&e))?;
                }
                if !add.is_empty() {
                    self.ecs.tag_resource().resource_arn(arn).set_tags(to_ecs(add)).send().await.map_err(|e| AwsError::from_sdk(&e))?;
                }
            }
            Tagged::AutoScalingGroup(name) => {
                if !remove.is_empty() {
                    let keys: Vec<_> = remove
                        .iter()
                        .map(|k| {
                            aws_sdk_autoscaling::types::Tag::builder().resource_id(name).resource_type("auto-scaling-group").key(k).build()
                        })
                        .collect();
                    self.autoscaling.delete_tags().set_tags(Some(keys)).send().await.map_err(|e| AwsError::from_sdk(&e))?;
                }
                if !add.is_empty() {
                    self.autoscaling
                        .create_or_update_tags()
                        .set_tags(Some(to_autoscaling(name, add)))
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk(&e))?;
                }
            }
            Tagged::Ec2(id) => {
                if !remove.is_empty() {
                    let keys = remove.iter().map(|k| aws_sdk_ec2::types::Tag::builder().key(k).build()).collect();
                    self.ec2.delete_tags().resources(id).set_tags(Some(keys)).send().await.map_err(|e| AwsError::from_sdk(&e))?;
                }
                if !add.is_empty() {
                    self.ec2.create_tags().resources(id).set_tags(to_ec2(add)).send().await.map_err(|e| AwsError::from_sdk(&e))?;
                }
            }
        }
        Ok(())
    }
}
