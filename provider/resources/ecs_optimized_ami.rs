//! Data source `awsecs_ecs_optimized_ami`: the ECS-optimized Amazon Linux image AWS recommends, and
//! the lookup `awsecs_container_instance` uses when `ami_id` is left out.
//!
//! AWS names the recommended image of each region in a public Systems Manager parameter
//! (`/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id`, and `.../arm64/...`).
//! In a region that lacks the parameter, the newest image Amazon published is taken instead, by the
//! release date embedded in its name (`al2023-ami-ecs-hvm-2023.0.20240101-kernel-6.1-x86_64`,
//! `amzn2-ami-ecs-hvm-2.0.20240101-x86_64-ebs`), not by CreationDate, which emulators (and copied
//! images) do not keep meaningful.

use async_trait::async_trait;
use aws_sdk_ec2::types::Image;

use crate::framework::validate::one_of;
use crate::framework::DataSource;
use crate::resources::Ctx;
use crate::tf::{Attribute, Block, Diagnostics, Schema, Type, Value};

pub struct EcsOptimizedAmiDataSource;

pub const FAMILIES: &[&str] = &["amazon-linux-2023", "amazon-linux-2"];
pub const ARCHITECTURES: &[&str] = &["x86_64", "arm64"];
/// Amazon Linux 2 reached the end of its support on 2026-06-30; `amazon-linux-2` stays selectable.
pub const DEFAULT_FAMILY: &str = "amazon-linux-2023";
pub const DEFAULT_ARCHITECTURE: &str = "x86_64";

/// The public SSM parameter holding the id of the recommended plain (not GPU, not Neuron) image.
pub fn recommended_parameter(family: &str, architecture: &str) -> String {
    let arch = if architecture == "arm64" { "/arm64" } else { "" };
    format!("/aws/service/ecs/optimized-ami/{family}{arch}/recommended/image_id")
}

/// The DescribeImages name pattern of the plain (not GPU, not Neuron) ECS-optimized images.
pub fn name_pattern(family: &str, architecture: &str) -> String {
    match family {
        "amazon-linux-2023" => format!("al2023-ami-ecs-hvm-2023.0.*-{architecture}"),
        _ => format!("amzn2-ami-ecs-hvm-2.0.*-{architecture}-ebs"),
    }
}

/// The release date (YYYYMMDD) in an image name: the first run of exactly 8 digits.
pub fn date_in_name(name: &str) -> Option<&str> {
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 8 {
                return Some(&name[start..i]);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// The newest of (id, name) pairs by the date in the name; ties broken by the name itself.
pub fn newest<'a>(images: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<(&'a str, &'a str)> {
    images.into_iter().filter_map(|(id, name)| date_in_name(name).map(|d| (d, name, id))).max().map(|(_, name, id)| (id, name))
}

/// The recommended ECS-optimized image of `family` for `architecture`: the one the public SSM
/// parameter names; in a region without that parameter, the newest by the date in its name.
pub async fn lookup(ctx: &Ctx, family: &str, architecture: &str) -> Result<Image, Diagnostics> {
    let parameter = recommended_parameter(family, architecture);
    let region = &ctx.aws.region;
    let named = ctx.aws.find_parameter(&parameter).await.map_err(|e| {
        Diagnostics::of_error(
            format!("Cannot read SSM parameter {parameter}"),
            format!("{e}\n\nAWS names its recommended ECS-optimized image there. Allow ssm:GetParameter on arn:aws:ssm:{region}::parameter{parameter}, or set `ami_id`."),
        )
    })?;
    let Some(id) = named else {
        tracing::debug!(%parameter, %region, "the public SSM parameter does not exist in this region: taking the newest image by the date in its name");
        return newest_by_name(ctx, family, architecture).await;
    };
    tracing::debug!(%parameter, image = %id, "recommended ECS-optimized AMI");
    match ctx.aws.find_image(&id).await {
        Ok(Some(image)) => Ok(image),
        Ok(None) => Err(Diagnostics::of_error(
            format!("The recommended ECS-optimized image {id} does not exist in region {region}"),
            format!("SSM parameter {parameter} names {id}, but DescribeImages does not list it. Set `ami_id` explicitly."),
        )),
        Err(e) => Err(Diagnostics::of_error(format!("Cannot read image {id}"), e.to_string())),
    }
}

/// The newest image Amazon published of `family` for `architecture`, by the date in its name.
async fn newest_by_name(ctx: &Ctx, family: &str, architecture: &str) -> Result<Image, Diagnostics> {
    let pattern = name_pattern(family, architecture);
    let images = ctx
        .aws
        .find_images("amazon", &pattern)
        .await
        .map_err(|e| Diagnostics::of_error("Cannot look up the ECS-optimized AMI", e.to_string()))?;
    let newest_id = newest(images.iter().filter_map(|i| Some((i.image_id()?, i.name()?)))).map(|(id, _)| id.to_string());
    match newest_id.and_then(|id| images.iter().find(|i| i.image_id() == Some(id.as_str())).cloned()) {
        Some(image) => Ok(image),
        None => Err(Diagnostics::of_error(
            format!("No ECS-optimized {family} image for {architecture} in region {}", ctx.aws.region),
            format!(
                "The region has no SSM parameter {}, and DescribeImages with owner \"amazon\" and name {pattern:?} found no image with a date in its name. Set `ami_id` explicitly.",
                recommended_parameter(family, architecture)
            ),
        )),
    }
}

#[async_trait]
impl DataSource<Ctx> for EcsOptimizedAmiDataSource {
    fn type_name(&self) -> &'static str {
        "awsecs_ecs_optimized_ami"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("The ECS-optimized Amazon Linux image AWS recommends in the provider's region: the one the public SSM parameter `/aws/service/ecs/optimized-ami/FAMILY/recommended/image_id` (`.../FAMILY/arm64/recommended/image_id` for arm64) names. In a region without that parameter, the newest image Amazon published, by the release date in its name.")
                .attr(
                    Attribute::optional("family", Type::String)
                        .validate(one_of(FAMILIES))
                        .describe("`amazon-linux-2023` (the default) or `amazon-linux-2` (Amazon Linux 2 reached the end of its support on 2026-06-30)."),
                )
                .attr(
                    Attribute::optional("architecture", Type::String)
                        .validate(one_of(ARCHITECTURES))
                        .describe("`x86_64` (the default) or `arm64` (Graviton instance types such as `t4g` or `m7g`)."),
                )
                .attr(Attribute::computed("id", Type::String).describe("The image id (`ami-...`)."))
                .attr(Attribute::computed("name", Type::String).describe("The image name, such as `al2023-ami-ecs-hvm-2023.0.20240101-kernel-6.1-x86_64`.")),
        )
    }

    async fn read(&self, ctx: &Ctx, config: &Value) -> Result<Value, Diagnostics> {
        let family = config.get("family").as_str().unwrap_or(DEFAULT_FAMILY).to_string();
        let arch = config.get("architecture").as_str().unwrap_or(DEFAULT_ARCHITECTURE).to_string();
        let image = lookup(ctx, &family, &arch).await?;
        let (id, name) = (Value::opt_string(image.image_id()), Value::opt_string(image.name()));
        Ok(Value::object([("family", family.into()), ("architecture", arch.into()), ("id", id), ("name", name)]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_come_from_the_name() {
        assert_eq!(date_in_name("amzn2-ami-ecs-hvm-2.0.20240101-x86_64-ebs"), Some("20240101"));
        assert_eq!(date_in_name("al2023-ami-ecs-hvm-2023.0.20241010-kernel-6.1-x86_64"), Some("20241010"));
        assert_eq!(date_in_name("my-image"), None);
    }

    #[test]
    fn newest_is_by_date_not_by_order() {
        let imgs = [
            ("ami-2", "amzn2-ami-ecs-hvm-2.0.20260922-x86_64-ebs"),
            ("ami-3", "amzn2-ami-ecs-hvm-2.0.20260924-x86_64-ebs"),
            ("ami-1", "amzn2-ami-ecs-hvm-2.0.20241001-x86_64-ebs"),
            ("ami-x", "undated"),
        ];
        assert_eq!(newest(imgs), Some(("ami-3", "amzn2-ami-ecs-hvm-2.0.20260924-x86_64-ebs")));
        assert_eq!(newest([("ami-x", "undated")]), None);
    }

    #[test]
    fn recommended_parameters_are_the_public_ones() {
        assert_eq!(
            recommended_parameter("amazon-linux-2023", "x86_64"),
            "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
        );
        assert_eq!(
            recommended_parameter("amazon-linux-2023", "arm64"),
            "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
        );
        assert_eq!(recommended_parameter("amazon-linux-2", "x86_64"), "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id");
        assert_eq!(
            recommended_parameter("amazon-linux-2", "arm64"),
            "/aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended/image_id"
        );
        assert!(FAMILIES.contains(&DEFAULT_FAMILY) && ARCHITECTURES.contains(&DEFAULT_ARCHITECTURE));
    }

    #[test]
    fn patterns_exclude_gpu_and_other_architectures() {
        assert_eq!(name_pattern("amazon-linux-2", "arm64"), "amzn2-ami-ecs-hvm-2.0.*-arm64-ebs");
        assert_eq!(name_pattern("amazon-linux-2023", "x86_64"), "al2023-ami-ecs-hvm-2023.0.*-x86_64");
    }
}
