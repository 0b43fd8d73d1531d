//! The `provider "awsecs" { ... }` block: its schema, its checks, and how it becomes the AWS
//! clients and settings every resource call gets ([`Ctx`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use super::Ctx;
use crate::aws::errors::{AwsError, ErrorKind};
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
        let p = parse(config);
        let default_tags_known = p.default_tags.is_some();
        let default_tags = p.default_tags.unwrap_or_default();
        if !p.settings_known {
            // The block depends on resources not applied yet: plan without AWS, apply configures again.
            tracing::info!("the provider configuration is not known yet: planning without reading AWS");
            return Ok(Ctx {
                aws: Arc::new(Aws::placeholder(&p.settings)),
                default_tags,
                default_tags_known,
                settings_known: false,
                stop,
                destroying: Default::default(),
            });
        }
        let aws = Aws::connect(&p.settings).await.map_err(|e| Diagnostics::of_error("Cannot set up the AWS clients", e))?;
        aws.check_credentials(&p.settings).await.map_err(|e| Diagnostics::of_error("No AWS credentials", e))?;
        if p.skip_credentials_validation {
            tracing::debug!(region = %aws.region, "provider configured; credentials not checked (skip_credentials_validation)");
        } else {
            match aws.caller_identity().await {
                Ok((account, arn)) => tracing::debug!(region = %aws.region, account = %account, identity = %arn, "provider configured"),
                Err(e) => return Err(identity_error(&e)),
            }
        }
        Ok(Ctx { aws: Arc::new(aws), default_tags, default_tags_known, settings_known: true, stop, destroying: Default::default() })
    }
}

/// GetCallerIdentity failed: say what it means for the credentials, in the error's own class.
fn identity_error(e: &AwsError) -> Diagnostics {
    let (summary, hint) = match e.kind {
        ErrorKind::Credentials => (
            "AWS did not accept the credentials",
            "The access key is unknown, disabled or expired, or the secret does not match. Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the `profile`, or `access_key` / `secret_key`.",
        ),
        ErrorKind::Network => (
            "Cannot reach AWS STS to check the credentials",
            "Check the network, the `region`, and `endpoints.sts` (or AWS_ENDPOINT_URL). Where STS cannot be reached, set `skip_credentials_validation = true`.",
        ),
        _ => ("Cannot check the credentials with AWS STS", "Set `skip_credentials_validation = true` to configure the provider without this check."),
    };
    Diagnostics::of_error(summary, format!("GetCallerIdentity: {e}\n\n{hint}"))
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
            .attr(Attribute::optional("skip_credentials_validation", Type::Bool).describe(
                "Skip the STS GetCallerIdentity call that checks, when the provider is configured, that the credentials work (for endpoints without STS). Missing credentials are still an error.",
            ))
            .block(
                NestedBlock::single(
                    "endpoints",
                    Block::new("Custom service endpoints.")
                        .attr(endpoint("ecs", "ECS"))
                        .attr(endpoint("ec2", "EC2"))
                        .attr(endpoint("rds", "RDS"))
                        .attr(endpoint("ssm", "SSM (Systems Manager)"))
                        .attr(endpoint("sts", "STS (the credentials check)"))
                        .attr(endpoint("autoscaling", "EC2 Auto Scaling (capacity providers)")),
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

/// The provider block, decoded. A provider block may depend on resources not yet created; then
/// some values are unknown until apply, and what depends on them must be too.
pub struct Parsed {
    pub settings: Settings,
    /// Whether every setting that says where and as whom AWS is called is known.
    pub settings_known: bool,
    /// None while any default tag is unknown.
    pub default_tags: Option<BTreeMap<String, String>>,
    pub skip_credentials_validation: bool,
}

pub fn parse(config: &Value) -> Parsed {
    let s = |v: &Value| v.as_str().map(str::to_string);
    let ep = config.get("endpoints");
    let settings = Settings {
        region: s(config.get("region")),
        profile: s(config.get("profile")),
        access_key: s(config.get("access_key")),
        secret_key: s(config.get("secret_key")),
        endpoints: Endpoints {
            ecs: s(ep.get("ecs")),
            ec2: s(ep.get("ec2")),
            rds: s(ep.get("rds")),
            ssm: s(ep.get("ssm")),
            sts: s(ep.get("sts")),
            autoscaling: s(ep.get("autoscaling")),
        },
        max_retries: config.get("max_retries").as_i64().and_then(|n| u32::try_from(n).ok()),
    };
    let where_and_who = ["region", "profile", "access_key", "secret_key", "max_retries", "endpoints", "skip_credentials_validation"];
    let settings_known = where_and_who.iter().all(|k| config.get(k).is_wholly_known());
    let tags = config.get("default_tags");
    let default_tags = tags.is_wholly_known().then(|| tags.get("tags").to_string_map());
    Parsed {
        settings,
        settings_known,
        default_tags,
        skip_credentials_validation: config.get("skip_credentials_validation").as_bool() == Some(true),
    }
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
        let p = parse(&cfg);
        let (s, tags) = (p.settings, p.default_tags.expect("known tags"));
        assert!(!p.settings_known, "an unknown endpoint leaves the settings unknown");
        assert_eq!(s.region.as_deref(), Some("ap-northeast-1"));
        assert_eq!(s.endpoints.ecs.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(s.endpoints.rds, None);
        assert_eq!(s.endpoints.ssm.as_deref(), Some("http://ssm:2"));
        assert_eq!(s.endpoints.ec2, None);
        assert_eq!(s.max_retries, Some(1));
        assert_eq!(tags.get("team").map(String::as_str), Some("web"));
    }

    #[test]
    fn unknown_default_tags_are_not_taken_for_none() {
        let cfg = Value::object([
            ("region", "ap-northeast-1".into()),
            ("default_tags", Value::object([("tags", Value::Map([("owner".into(), Value::Unknown)].into()))])),
        ]);
        let p = parse(&cfg);
        assert!(p.default_tags.is_none(), "an unknown tag is not a missing tag");
        assert!(p.settings_known);
        let whole = Value::object([("region", "ap-northeast-1".into()), ("default_tags", Value::Unknown)]);
        assert!(parse(&whole).default_tags.is_none());
        let none = Value::object([("region", "ap-northeast-1".into()), ("default_tags", Value::Null)]);
        assert_eq!(parse(&none).default_tags, Some(BTreeMap::new()));
        let region = Value::object([("region", Value::Unknown)]);
        assert!(!parse(&region).settings_known, "an unknown region: no plan-time reads");
    }

    #[test]
    fn credential_errors_are_not_called_network_errors() {
        let refused = AwsError { kind: ErrorKind::Credentials, code: Some("InvalidClientTokenId".into()), message: "bad token".into() };
        let d = identity_error(&refused);
        assert!(d.0[0].summary.contains("did not accept the credentials"), "{:?}", d.0);
        assert!(!d.0[0].detail.contains("did not reach AWS"), "{:?}", d.0);
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
