//! The `provider "awsecs" { ... }` block: its schema, its checks, and how it becomes the AWS
//! clients and settings every resource call gets ([`Ctx`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use super::Ctx;
use crate::aws::{Aws, Endpoints, Settings};
use crate::framework::validate::int_between;
use crate::framework::{ProviderConfig, Stop};
use crate::tf::{AttrPath, Attribute, Block, Diagnostics, NestedBlock, Schema, Type, Value};

/// The provider block of `awsecs`.
pub struct AwsEcsProvider;

#[async_trait]
impl ProviderConfig for AwsEcsProvider {
    type Ctx = Ctx;

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate(config, diags)
    }

    async fn configure(&self, config: &Value, stop: Stop) -> Result<Ctx, Diagnostics> {
        let (settings, default_tags) = parse(config);
        match Aws::connect(&settings).await {
            Ok(aws) => {
                tracing::debug!(region = %aws.region, "provider configured");
                Ok(Ctx { aws: Arc::new(aws), default_tags, stop })
            }
            Err(e) => Err(Diagnostics::of_error("Cannot set up the AWS clients", e)),
        }
    }
}

pub fn schema() -> Schema {
    let endpoint = |name: &'static str, svc: &str| {
        Attribute::optional(name, Type::String)
            .describe(format!("URL of the {svc} API to use instead of AWS's public endpoint (a VPC endpoint, or an emulator such as moto: `http://127.0.0.1:5000`)."))
            .validate(|v| {
                let s = v.as_str().unwrap_or("");
                if s.starts_with("http://") || s.starts_with("https://") {
                    Ok(())
                } else {
                    Err(format!("{s:?} is not a URL: write it with its scheme, such as \"https://ecs.ap-northeast-1.amazonaws.com\"."))
                }
            })
    };
    Schema::new(
        0,
        Block::new("The `awsecs` provider manages the WordPress-on-ECS stack: clusters, container instances, task definitions, services, one-off tasks and the link to an existing RDS database. Anything not set here falls back to the standard AWS environment variables (`AWS_REGION`, `AWS_PROFILE`, `AWS_ACCESS_KEY_ID`, ...) and shared config files.")
            .attr(Attribute::optional("region", Type::String).describe("AWS region, such as `ap-northeast-1`. Default: `AWS_REGION` / `AWS_DEFAULT_REGION`, then the profile's region."))
            .attr(Attribute::optional("profile", Type::String).describe("Named profile from the shared AWS config and credentials files."))
            .attr(Attribute::optional("access_key", Type::String).sensitive().describe("Access key id. Set together with `secret_key`; prefer the environment or a profile."))
            .attr(Attribute::optional("secret_key", Type::String).sensitive().describe("Secret access key. Set together with `access_key`."))
            .attr(
                Attribute::optional("max_retries", Type::Number)
                    .describe("How many times a throttled or failed AWS call (throttling, AWS-side errors, lost answers, an attempt over 30 s) is retried, with exponential backoff and jitter from 0.25 s up to 20 s between attempts. Refused requests are never retried. Default: 25.")
                    .validate(int_between(0, 100)),
            )
            .block(
                NestedBlock::single(
                    "endpoints",
                    Block::new("Custom service endpoints.")
                        .attr(endpoint("ecs", "ECS"))
                        .attr(endpoint("ec2", "EC2"))
                        .attr(endpoint("rds", "RDS"))
                        .attr(endpoint("ssm", "SSM (Systems Manager)")),
                )
                .max_items(1),
            )
            .block(
                NestedBlock::single(
                    "default_tags",
                    Block::new("Tags added to every resource that has `tags`; a resource's own tags win on the same key. The merged result is each resource's `tags_all`.")
                        .attr(Attribute::optional("tags", Type::map(Type::String)).describe("The tags.")),
                )
                .max_items(1),
            ),
    )
}

/// Checks that need the whole block.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let ak = config.get("access_key");
    let sk = config.get("secret_key");
    if ak.is_null() != sk.is_null() && !ak.is_unknown() && !sk.is_unknown() {
        let missing = if ak.is_null() { "access_key" } else { "secret_key" };
        diags.error_at(
            AttrPath::root(missing),
            "access_key and secret_key go together",
            format!("Set `{missing}` too, or remove both and let the provider use the environment or a profile."),
        );
    }
}

/// Settings for the AWS clients, and the default tags. Unknown values (a provider block that
/// depends on resources not yet created) count as unset.
pub fn parse(config: &Value) -> (Settings, BTreeMap<String, String>) {
    let s = |v: &Value| v.as_str().map(str::to_string);
    let ep = config.get("endpoints");
    let settings = Settings {
        region: s(config.get("region")),
        profile: s(config.get("profile")),
        access_key: s(config.get("access_key")),
        secret_key: s(config.get("secret_key")),
        endpoints: Endpoints { ecs: s(ep.get("ecs")), ec2: s(ep.get("ec2")), rds: s(ep.get("rds")), ssm: s(ep.get("ssm")) },
        max_retries: config.get("max_retries").as_i64().and_then(|n| u32::try_from(n).ok()),
    };
    (settings, config.get("default_tags").get("tags").to_string_map())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_every_setting() {
        let cfg = Value::object([
            ("region", "ap-northeast-1".into()),
            ("profile", Value::Null),
            ("access_key", "AK".into()),
            ("secret_key", "SK".into()),
            ("max_retries", Value::int(1)),
            ("endpoints", Value::object([("ecs", "http://127.0.0.1:1".into()), ("rds", Value::Unknown), ("ssm", "http://ssm:2".into())])),
            ("default_tags", Value::object([("tags", Value::Map([("team".into(), "web".into())].into()))])),
        ]);
        let (s, tags) = parse(&cfg);
        assert_eq!(s.region.as_deref(), Some("ap-northeast-1"));
        assert_eq!(s.endpoints.ecs.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(s.endpoints.rds, None);
        assert_eq!(s.endpoints.ssm.as_deref(), Some("http://ssm:2"));
        assert_eq!(s.endpoints.ec2, None);
        assert_eq!(s.max_retries, Some(1));
        assert_eq!(tags.get("team").map(String::as_str), Some("web"));
    }

    #[test]
    fn half_a_key_pair_is_an_error_at_the_missing_attribute() {
        let cfg = Value::object([("access_key", "AK".into()), ("secret_key", Value::Null)]);
        let mut d = Diagnostics::new();
        validate(&cfg, &mut d);
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "secret_key");
    }

    #[test]
    fn secrets_are_sensitive() {
        let s = schema();
        assert!(s.block.attribute("secret_key").unwrap().sensitive);
        assert!(s.block.attribute("access_key").unwrap().sensitive);
    }
}
