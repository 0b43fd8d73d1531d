//! The launch and its pre-checks: the cluster must exist and be ACTIVE, and the subnet and the
//! security groups be in one VPC, before RunInstances starts the instance with the user data that
//! joins the cluster. The image is chosen here too (the configured one, or AWS's recommended
//! ECS-optimized Amazon Linux 2023 image for the instance type's architecture), at create time.

use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, IamInstanceProfileSpecification, Image, InstanceNetworkInterfaceSpecification, InstanceType,
    ResourceType, TagSpecification, VolumeType,
};
use base64::Engine as _;

use super::user_data::user_data;
use super::{read_failed, Config};
use crate::aws::errors::{describe, AwsError};
use crate::aws::tags as aws_tags;
use crate::resources::ecs_optimized_ami::{self, DEFAULT_FAMILY};
use crate::resources::Ctx;
use crate::tf::{AttrPath, Diagnostics};

/// The architecture of an instance type's processor, as the image parameters name it: `arm64` for
/// AWS Graviton (`a1`, and the families with a `g` among the letters after the generation number:
/// `t4g`, `m6g`, `m7gd`, `c7gn`, `im4gn`, `is4gen`, `g5g`, `hpc7g`), `x86_64` for the rest.
pub(crate) fn architecture(instance_type: &str) -> &'static str {
    let family = instance_type.split('.').next().unwrap_or_default();
    // "m7gd" -> "gd", "g5g" -> "g", "u7i-12tb" -> "i", "g4dn" -> "dn".
    let attributes = family.trim_start_matches(|c: char| c.is_ascii_lowercase()).trim_start_matches(|c: char| c.is_ascii_digit());
    let attributes = attributes.split('-').next().unwrap_or_default();
    if family == "a1" || attributes.contains('g') {
        "arm64"
    } else {
        "x86_64"
    }
}

/// The image to launch: `ami_id` when set, else the ECS-optimized Amazon Linux 2023 image AWS
/// recommends now for the instance type's architecture.
pub(super) async fn image_to_launch(ctx: &Ctx, cfg: &Config) -> Result<Image, Diagnostics> {
    let Some(id) = &cfg.ami_id else {
        return ecs_optimized_ami::lookup(ctx, DEFAULT_FAMILY, architecture(&cfg.instance_type)).await;
    };
    match ctx.aws.find_image(id).await {
        Ok(Some(image)) => Ok(image),
        Ok(None) => {
            let mut d = Diagnostics::new();
            d.error_at(
                AttrPath::root("ami_id"),
                format!("Image {id} does not exist"),
                format!("DescribeImages in region {} does not list {id}. Check the id, the region, and that the image is shared with this account.", ctx.aws.region),
            );
            Err(d)
        }
        Err(e) => Err(read_failed(format!("image {id}"))(e)),
    }
}

/// The root volume's mapping, when the launch asks for more than the image gives: a size, or
/// encryption (what a new instance gets unless `root_volume_encrypted = false`), with a KMS key. It
/// names the image's root device and, without a configured size, carries the image's own (the
/// volume EC2 would make anyway, stated so that the mapping reads as the root volume and not as a
/// new, empty one).
pub(super) fn root_volume_mapping(cfg: &Config, image: &Image) -> Option<BlockDeviceMapping> {
    let encrypted = cfg.root_volume_encrypted.unwrap_or(true);
    if cfg.root_volume_size.is_none() && !encrypted {
        return None;
    }
    let device = image.root_device_name().unwrap_or("/dev/xvda");
    let image_size = image.block_device_mappings().iter().find(|b| b.device_name() == Some(device)).and_then(|b| b.ebs()?.volume_size());
    let size = cfg.root_volume_size.map(|s| s as i32).or(image_size);
    let mut ebs = EbsBlockDevice::builder().set_volume_size(size).delete_on_termination(true);
    if cfg.root_volume_size.is_some() {
        ebs = ebs.volume_type(VolumeType::Gp3);
    }
    if encrypted {
        ebs = ebs.encrypted(true).set_kms_key_id(cfg.root_volume_kms_key_id.clone());
    }
    Some(BlockDeviceMapping::builder().device_name(device).ebs(ebs.build()).build())
}

/// The cluster's name, after checking that it exists and is ACTIVE.
pub(crate) async fn active_cluster(ctx: &Ctx, cluster: &str) -> Result<String, Diagnostics> {
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

/// RunInstances: the user data that joins the cluster, the metadata options (the block's, or the
/// hardened defaults when it is left out), the network, the root volume, the tags.
pub(super) async fn run_instance(ctx: &Ctx, cfg: &Config, cluster: &str, image: &Image) -> Result<String, Diagnostics> {
    let ami = image.image_id().unwrap_or_default();
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
        .set_key_name(cfg.key_name.clone())
        .metadata_options(cfg.metadata_options.clone().unwrap_or_default().request());
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
    if let Some(mapping) = root_volume_mapping(cfg, image) {
        req = req.block_device_mappings(mapping);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tf::Value;

    #[test]
    fn graviton_types_are_arm64() {
        let graviton = ["a1.large", "t4g.small", "m6g.large", "m6gd.xlarge", "c6gn.16xlarge", "c7g.medium", "c7gn.large", "r7gd.2xlarge"];
        let graviton_too = ["x2gd.large", "im4gn.large", "is4gen.xlarge", "g5g.xlarge", "hpc7g.16xlarge", "m8g.large", "i8g.large"];
        for t in graviton.iter().chain(&graviton_too) {
            assert_eq!(architecture(t), "arm64", "{t}");
        }
        let x86 = ["t3.small", "t2.micro", "m5.large", "c5n.large", "g4dn.xlarge", "g5.xlarge", "gr6.4xlarge", "p4d.24xlarge"];
        let x86_too = ["inf2.xlarge", "m7i-flex.large", "u-6tb1.metal", "u7i-12tb.224xlarge", "m6a.large", "d3en.xlarge", "z1d.large", ""];
        for t in x86.iter().chain(&x86_too) {
            assert_eq!(architecture(t), "x86_64", "{t}");
        }
    }

    fn config(size: Option<i64>, encrypted: Option<bool>, key: Option<&str>) -> Config {
        let mut v = Value::object([("cluster", "c".into()), ("instance_type", "t3.small".into())]);
        v.set("root_volume_size", Value::opt_int(size));
        v.set("root_volume_encrypted", encrypted.map(Value::Bool).unwrap_or(Value::Null));
        v.set("root_volume_kms_key_id", Value::opt_string(key));
        Config::from(&v)
    }

    fn image() -> Image {
        let root = BlockDeviceMapping::builder()
            .device_name("/dev/xvda")
            .ebs(EbsBlockDevice::builder().snapshot_id("snap-1").volume_size(30).build())
            .build();
        Image::builder().image_id("ami-1").root_device_name("/dev/xvda").block_device_mappings(root).build()
    }

    #[test]
    fn a_new_root_volume_is_encrypted_at_the_image_root_device_and_size() {
        let m = root_volume_mapping(&config(None, None, None), &image()).expect("a mapping");
        assert_eq!(m.device_name(), Some("/dev/xvda"));
        let ebs = m.ebs().unwrap();
        assert_eq!((ebs.encrypted(), ebs.kms_key_id(), ebs.volume_size()), (Some(true), None, Some(30)));
        assert_eq!(ebs.delete_on_termination(), Some(true));
        assert_eq!(ebs.volume_type(), None, "the image's volume type stays");
        assert_eq!(ebs.snapshot_id(), None, "the image's snapshot is implied by the root device");

        let m = root_volume_mapping(&config(Some(50), None, Some("k-1")), &image()).unwrap();
        let ebs = m.ebs().unwrap();
        assert_eq!((ebs.encrypted(), ebs.kms_key_id(), ebs.volume_size()), (Some(true), Some("k-1"), Some(50)));
        assert_eq!(ebs.volume_type(), Some(&VolumeType::Gp3));
    }

    #[test]
    fn an_unencrypted_root_volume_of_the_image_size_needs_no_mapping() {
        assert!(root_volume_mapping(&config(None, Some(false), None), &image()).is_none());
        let m = root_volume_mapping(&config(Some(40), Some(false), None), &image()).unwrap();
        assert_eq!(m.ebs().and_then(|e| e.encrypted()), None);
    }
}
