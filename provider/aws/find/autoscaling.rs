//! Reads behind a capacity provider: the ECS capacity provider, its Auto Scaling group, and the
//! launch template version the group launches.

use aws_sdk_autoscaling::types::AutoScalingGroup;
use aws_sdk_ec2::types::LaunchTemplateVersion;
use aws_sdk_ecs::types::{CapacityProvider, CapacityProviderField};

use crate::aws::errors::AwsError;
use crate::aws::Aws;

impl Aws {
    /// The capacity provider `name_or_arn` (with its tags); None when ECS reports it missing or
    /// INACTIVE (deleted).
    pub async fn find_capacity_provider(&self, name_or_arn: &str) -> Result<Option<CapacityProvider>, AwsError> {
        let out = self
            .ecs
            .describe_capacity_providers()
            .capacity_providers(name_or_arn)
            .include(CapacityProviderField::Tags)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(&e))?;
        Ok(out.capacity_providers().iter().find(|c| c.status().map(|s| s.as_str()) != Some("INACTIVE")).cloned())
    }

    /// The Auto Scaling group `name` (with its instances); None when it does not exist. A group
    /// being deleted is still returned (its status says so).
    pub async fn find_auto_scaling_group(&self, name: &str) -> Result<Option<AutoScalingGroup>, AwsError> {
        let out = self
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(&e))?;
        Ok(out.auto_scaling_groups().iter().find(|g| g.auto_scaling_group_name() == Some(name)).cloned())
    }

    /// One version of a launch template (`version`: a number, `$Latest` or `$Default`); None when the
    /// template or the version does not exist.
    pub async fn find_launch_template_version(&self, template_id: &str, version: &str) -> Result<Option<LaunchTemplateVersion>, AwsError> {
        match self.ec2.describe_launch_template_versions().launch_template_id(template_id).versions(version).send().await {
            Ok(out) => Ok(out.launch_template_versions().first().cloned()),
            Err(e) => {
                let e = AwsError::from_sdk(&e);
                if e.has_code("InvalidLaunchTemplateId.NotFound")
                    || e.has_code("InvalidLaunchTemplateName.NotFoundException")
                    || e.has_code("InvalidLaunchTemplateId.VersionNotFound")
                {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// Whether the launch template `name` exists (its id when it does).
    pub async fn find_launch_template_id(&self, name: &str) -> Result<Option<String>, AwsError> {
        match self.ec2.describe_launch_templates().launch_template_names(name).send().await {
            Ok(out) => Ok(out.launch_templates().first().and_then(|t| t.launch_template_id()).map(str::to_string)),
            Err(e) => {
                let e = AwsError::from_sdk(&e);
                if e.has_code("InvalidLaunchTemplateName.NotFoundException") || e.has_code("InvalidLaunchTemplateId.NotFound") {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }
}
