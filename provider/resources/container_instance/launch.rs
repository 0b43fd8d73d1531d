//! The launch and its pre-checks: the cluster must exist and be ACTIVE, and the subnet and the
//! security groups be in one VPC, before RunInstances starts the instance with the user data that
//! joins the cluster.

use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, IamInstanceProfileSpecification, InstanceNetworkInterfaceSpecification, InstanceType, ResourceType,
    TagSpecification, VolumeType,
};
use base64::Engine as _;

use super::user_data::user_data;
use super::{read_failed, Config};
use crate::aws::errors::{describe, AwsError};
use crate::aws::tags as aws_tags;
use crate::resources::Ctx;
use crate::tf::{AttrPath, Diagnostics};

/// The cluster's name, after checking that it exists and is ACTIVE.
pub(super) async fn active_cluster(ctx: &Ctx, cluster: &str) -> Result<String, Diagnostics> {
    let found = ctx.aws.find_cluster(cluster).await.map_err(read_failed(format!("ECS cluster {cluster:?}")))?;
    match found.as_ref().filter(|c| c.status() == Some("ACTIVE")).and_then(|c| c.cluster_name()) {
        Some(name) => Ok(name.to_string()),
        None => {
            let mut d = Diagnostics::new();
            d.error_at(
                AttrPath::root("cluster"),
                format!("ECS cluster {cluster:?} does not exist"),
                format!("No ACTIVE cluster with that name or ARN in region {}. Create it first (for example with awsecs_cluster) and refer to it.", ctx.aws.region),
            );
            Err(d)
        }
    }
}

/// The subnet and the security groups must be in one VPC; AWS's own error does not say which.
pub(super) async fn check_same_vpc(ctx: &Ctx, cfg: &Config) -> Result<(), Diagnostics> {
    let Some(subnet) = &cfg.subnet_id else { return Ok(()) };
    if cfg.security_group_ids.is_empty() {
        return Ok(());
    }
    let at = |attr: &str, summary: String, e: AwsError| {
        let mut d = Diagnostics::new();
        d.error_at(AttrPath::root(attr), summary, e.to_string());
        d
    };
    let found = ctx.aws.find_subnet(subnet).await.map_err(|e| at("subnet_id", format!("Cannot read subnet {subnet}"), e))?;
    let subnet_vpc = found.as_ref().and_then(|s| s.vpc_id()).unwrap_or_default().to_string();
    let mut groups = Vec::new();
    for id in &cfg.security_group_ids {
        let g =
            ctx.aws.find_security_group(id).await.map_err(|e| at("security_group_ids", format!("Cannot read security group {id}"), e))?;
        groups.extend(g);
    }
    let others: Vec<String> = groups
        .iter()
        .filter(|g| g.vpc_id().unwrap_or_default() != subnet_vpc)
        .map(|g| format!("{} is in {}", g.group_id().unwrap_or("?"), g.vpc_id().unwrap_or("no VPC")))
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    let mut d = Diagnostics::new();
    d.error_at(
        AttrPath::root("security_group_ids"),
        format!("The security groups are not in the subnet's VPC {subnet_vpc}"),
        format!(
            "Subnet {subnet} is in {subnet_vpc}, but {}. An instance can only use security groups of its own VPC: pick groups of {subnet_vpc}, or a subnet of their VPC.",
            others.join(", ")
        ),
    );
    Err(d)
}

pub(super) async fn run_instance(ctx: &Ctx, cfg: &Config, cluster: &str, ami: &str) -> Result<String, Diagnostics> {
    let ud = base64::engine::general_purpose::STANDARD.encode(user_data(cluster, cfg.user_data_extra.as_deref()));
    let mut req = ctx
        .aws
        .ec2
        .run_instances()
        .image_id(ami)
        .instance_type(InstanceType::from(cfg.instance_type.as_str()))
        .min_count(1)
        .max_count(1)
        .user_data(ud)
        .set_key_name(cfg.key_name.clone());
    if let Some(p) = &cfg.iam_instance_profile {
        let spec = if p.starts_with("arn:") {
            IamInstanceProfileSpecification::builder().arn(p).build()
        } else {
            IamInstanceProfileSpecification::builder().name(p).build()
        };
        req = req.iam_instance_profile(spec);
    }
    let groups = (!cfg.security_group_ids.is_empty()).then(|| cfg.security_group_ids.clone());
    if let Some(public) = cfg.associate_public_ip_address {
        // Only a network interface specification can choose the public IP.
        req = req.network_interfaces(
            InstanceNetworkInterfaceSpecification::builder()
                .device_index(0)
                .associate_public_ip_address(public)
                .set_subnet_id(cfg.subnet_id.clone())
                .set_groups(groups)
                .delete_on_termination(true)
                .build(),
        );
    } else {
        req = req.set_subnet_id(cfg.subnet_id.clone()).set_security_group_ids(groups);
    }
    if let Some(size) = cfg.root_volume_size {
        req = req.block_device_mappings(
            BlockDeviceMapping::builder()
                .device_name("/dev/xvda")
                .ebs(EbsBlockDevice::builder().volume_size(size as i32).volume_type(VolumeType::Gp3).delete_on_termination(true).build())
                .build(),
        );
    }
    if let Some(tags) = aws_tags::to_ec2(&cfg.tags_all) {
        req = req.tag_specifications(TagSpecification::builder().resource_type(ResourceType::Instance).set_tags(Some(tags)).build());
    }
    tracing::info!(cluster, instance_type = %cfg.instance_type, ami, "launching EC2 instance for ECS cluster");
    let out = req
        .send()
        .await
        .map_err(|e| Diagnostics::of_error(format!("Cannot launch an EC2 instance for ECS cluster {cluster:?}"), describe(&e)))?;
    out.instances().first().and_then(|i| i.instance_id()).map(str::to_string).ok_or_else(|| {
        Diagnostics::of_error(
            "EC2 launched no instance",
            "RunInstances succeeded but returned no instance id. Check the EC2 console for a stray instance.",
        )
    })
}
