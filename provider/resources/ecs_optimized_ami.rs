//! Data source `awsecs_ecs_optimized_ami`: the newest ECS-optimized Amazon Linux image, and the
//! lookup `awsecs_container_instance` uses when `ami_id` is left out.
//!
//! The image is chosen by the release date embedded in its name (`amzn2-ami-ecs-hvm-2.0.20240101-
//! x86_64-ebs`, `al2023-ami-ecs-hvm-2023.0.20240101-kernel-6.1-x86_64`), not by CreationDate, which
//! emulators (and copied images) do not keep meaningful.

use async_trait::async_trait;

use crate::framework::validate::one_of;
use crate::framework::DataSource;
use crate::resources::Ctx;
use crate::tf::{Attribute, Block, Diagnostics, Schema, Type, Value};

pub struct EcsOptimizedAmiDataSource;

pub const FAMILIES: &[&str] = &["amazon-linux-2", "amazon-linux-2023"];
pub const ARCHITECTURES: &[&str] = &["x86_64", "arm64"];

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

/// (image id, name) of the newest ECS-optimized image of `family` for `architecture`.
pub async fn lookup(ctx: &Ctx, family: &str, architecture: &str) -> Result<(String, String), Diagnostics> {
    let pattern = name_pattern(family, architecture);
    tracing::debug!(%pattern, "looking up the newest ECS-optimized AMI");
    let images = ctx
        .aws
        .find_images("amazon", &pattern)
        .await
        .map_err(|e| Diagnostics::of_error("Cannot look up the ECS-optimized AMI", e.to_string()))?;
    let found = newest(images.iter().filter_map(|i| Some((i.image_id()?, i.name()?))));
    match found {
        Some((id, name)) => Ok((id.to_string(), name.to_string())),
        None => Err(Diagnostics::of_error(
            format!("No ECS-optimized {family} image for {architecture} in region {}", ctx.aws.region),
            format!("DescribeImages with owner \"amazon\" and name {pattern:?} found no image with a date in its name. Set `ami_id` explicitly."),
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
            Block::new("The newest ECS-optimized Amazon Linux image (published by Amazon) in the provider's region, chosen by the release date in its name.")
                .attr(
                    Attribute::optional("family", Type::String)
                        .validate(one_of(FAMILIES))
                        .describe("`amazon-linux-2` (the default) or `amazon-linux-2023`."),
                )
                .attr(
                    Attribute::optional("architecture", Type::String)
                        .validate(one_of(ARCHITECTURES))
                        .describe("`x86_64` (the default) or `arm64`."),
                )
                .attr(Attribute::computed("id", Type::String).describe("The image id (`ami-...`)."))
                .attr(Attribute::computed("name", Type::String).describe("The image name, such as `amzn2-ami-ecs-hvm-2.0.20240101-x86_64-ebs`.")),
        )
    }

    async fn read(&self, ctx: &Ctx, config: &Value) -> Result<Value, Diagnostics> {
        let family = config.get("family").as_str().unwrap_or("amazon-linux-2").to_string();
        let arch = config.get("architecture").as_str().unwrap_or("x86_64").to_string();
        let (id, name) = lookup(ctx, &family, &arch).await?;
        Ok(Value::object([("family", family.into()), ("architecture", arch.into()), ("id", id.into()), ("name", name.into())]))
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
    fn patterns_exclude_gpu_and_other_architectures() {
        assert_eq!(name_pattern("amazon-linux-2", "arm64"), "amzn2-ami-ecs-hvm-2.0.*-arm64-ebs");
        assert_eq!(name_pattern("amazon-linux-2023", "x86_64"), "al2023-ami-ecs-hvm-2023.0.*-x86_64");
    }
}
