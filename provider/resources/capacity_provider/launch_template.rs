//! The launch template the group launches from: image, instance type, security groups, profile,
//! key, root volume, metadata options, instance tags, and the user data that joins the cluster. A
//! change of any of them is a new version, which the group then launches.

use aws_sdk_ec2::types::{HttpTokensState, Image, InstanceMetadataEndpointState, InstanceType};
use aws_sdk_ec2::types::{
    LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateEbsBlockDeviceRequest, LaunchTemplateHttpTokensState,
    LaunchTemplateIamInstanceProfileSpecificationRequest, LaunchTemplateInstanceMetadataEndpointState,
    LaunchTemplateInstanceMetadataOptionsRequest, LaunchTemplateTagSpecificationRequest, RequestLaunchTemplateData, ResourceType,
    VolumeType,
};
use base64::Engine as _;

use super::Config;
use crate::aws::errors::describe;
use crate::aws::tags as aws_tags;
use crate::resources::container_instance::user_data::user_data;
use crate::resources::Ctx;
use crate::tf::Diagnostics;

/// The arguments that go into the launch template (a change of one is a new version).
pub(super) const TEMPLATE_ARGUMENTS: &[&str] = &[
    "instance_type",
    "ami_id",
    "security_group_ids",
    "iam_instance_profile",
    "key_name",
    "root_volume_size",
    "root_volume_encrypted",
    "root_volume_kms_key_id",
    "user_data_extra",
    "metadata_options",
    "tags_all",
];

pub(super) fn data(cfg: &Config, cluster: &str, image: &Image) -> RequestLaunchTemplateData {
    let m = cfg.metadata_options.clone().unwrap_or_default();
    let tokens = if m.http_tokens == HttpTokensState::Optional {
        LaunchTemplateHttpTokensState::Optional
    } else {
        LaunchTemplateHttpTokensState::Required
    };
    let endpoint = if m.http_endpoint == InstanceMetadataEndpointState::Disabled {
        LaunchTemplateInstanceMetadataEndpointState::Disabled
    } else {
        LaunchTemplateInstanceMetadataEndpointState::Enabled
    };
    let mut d = RequestLaunchTemplateData::builder()
        .image_id(image.image_id().unwrap_or_default())
        .instance_type(InstanceType::from(cfg.instance_type.as_str()))
        .user_data(base64::engine::general_purpose::STANDARD.encode(user_data(cluster, cfg.user_data_extra.as_deref())))
        .set_key_name(cfg.key_name.clone())
        .set_security_group_ids((!cfg.security_group_ids.is_empty()).then(|| cfg.security_group_ids.clone()))
        .metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_tokens(tokens)
                .http_put_response_hop_limit(m.hop_limit)
                .http_endpoint(endpoint)
                .build(),
        );
    if let Some(p) = &cfg.iam_instance_profile {
        let spec = LaunchTemplateIamInstanceProfileSpecificationRequest::builder();
        d = d.iam_instance_profile(if p.starts_with("arn:") { spec.arn(p).build() } else { spec.name(p).build() });
    }
    if cfg.root_volume_size.is_some() || cfg.root_volume_encrypted {
        let device = image.root_device_name().unwrap_or("/dev/xvda");
        let image_size =
            image.block_device_mappings().iter().find(|b| b.device_name() == Some(device)).and_then(|b| b.ebs()?.volume_size());
        let mut ebs = LaunchTemplateEbsBlockDeviceRequest::builder()
            .set_volume_size(cfg.root_volume_size.map(|s| s as i32).or(image_size))
            .delete_on_termination(true);
        if cfg.root_volume_size.is_some() {
            ebs = ebs.volume_type(VolumeType::Gp3);
        }
        if cfg.root_volume_encrypted {
            ebs = ebs.encrypted(true).set_kms_key_id(cfg.root_volume_kms_key_id.clone());
        }
        d = d.block_device_mappings(LaunchTemplateBlockDeviceMappingRequest::builder().device_name(device).ebs(ebs.build()).build());
    }
    if let Some(tags) = aws_tags::to_ec2(&cfg.tags_all) {
        d = d.tag_specifications(
            LaunchTemplateTagSpecificationRequest::builder().resource_type(ResourceType::Instance).set_tags(Some(tags)).build(),
        );
    }
    d.build()
}

/// CreateLaunchTemplate: (id, version 1).
pub(super) async fn create(ctx: &Ctx, name: &str, data: RequestLaunchTemplateData) -> Result<(String, i64), Diagnostics> {
    tracing::info!(launch_template = name, "creating launch template");
    let out = ctx
        .aws
        .ec2
        .create_launch_template()
        .launch_template_name(name)
        .launch_template_data(data)
        .send()
        .await
        .map_err(|e| Diagnostics::of_error(format!("Cannot create launch template {name:?}"), describe(&e)))?;
    let t = out.launch_template();
    let id = t.and_then(|t| t.launch_template_id()).unwrap_or_default().to_string();
    Ok((id, t.and_then(|t| t.latest_version_number()).unwrap_or(1)))
}

/// CreateLaunchTemplateVersion: the new version's number.
pub(super) async fn new_version(ctx: &Ctx, id: &str, data: RequestLaunchTemplateData) -> Result<i64, Diagnostics> {
    tracing::info!(launch_template = id, "creating a launch template version");
    let out = ctx
        .aws
        .ec2
        .create_launch_template_version()
        .launch_template_id(id)
        .launch_template_data(data)
        .send()
        .await
        .map_err(|e| Diagnostics::of_error(format!("Cannot create a new version of launch template {id}"), describe(&e)))?;
    Ok(out.launch_template_version().and_then(|v| v.version_number()).unwrap_or(1))
}
