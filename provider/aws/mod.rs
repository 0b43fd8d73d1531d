//! AWS access: SDK clients built from the provider settings, the finders (every read the provider
//! makes), tags on the wire, batching, and error classes. Nothing here knows about Terraform.

pub mod batch;
pub mod errors;
pub mod find;
pub mod tags;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// Where and how to reach AWS, from the provider block (anything unset falls back to the standard
/// AWS environment variables and shared config files).
#[derive(Clone, Default)]
pub struct Settings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub endpoints: Endpoints,
    pub max_retries: Option<u32>,
}

/// The keys never show, not even in a debug log.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |k: &Option<String>| k.as_ref().map(|_| "(set, not shown)");
        f.debug_struct("Settings")
            .field("region", &self.region)
            .field("profile", &self.profile)
            .field("access_key", &hidden(&self.access_key))
            .field("secret_key", &hidden(&self.secret_key))
            .field("endpoints", &self.endpoints)
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

#[derive(Clone, Debug, Default)]
pub struct Endpoints {
    pub ecs: Option<String>,
    pub ec2: Option<String>,
    pub rds: Option<String>,
    pub ssm: Option<String>,
    pub sts: Option<String>,
    pub autoscaling: Option<String>,
}

pub struct Aws {
    pub ecs: aws_sdk_ecs::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub rds: aws_sdk_rds::Client,
    /// Where the clients get their credentials (checked once, when the provider is configured).
    credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
    /// STS: only GetCallerIdentity, to check the credentials when the provider is configured.
    pub sts: aws_sdk_sts::Client,
    /// Systems Manager: only the public parameters that name AWS's recommended images.
    pub ssm: aws_sdk_ssm::Client,
    /// EC2 Auto Scaling: the groups behind capacity providers.
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub region: String,
    /// Concurrent cluster reads, answered by one DescribeClusters of up to 100.
    pub clusters: batch::Batcher<aws_sdk_ecs::types::Cluster>,
    /// Concurrent container instance reads in one cluster, answered by one
    /// DescribeContainerInstances of up to 100.
    pub container_instances: batch::Batcher<aws_sdk_ecs::types::ContainerInstance>,
    /// Concurrent EC2 instance reads, answered by one DescribeInstances of up to 100 ids.
    pub ec2_instances: batch::Batcher<aws_sdk_ec2::types::Instance>,
    /// Concurrent EBS volume reads (instances' root volumes), answered by one DescribeVolumes of up
    /// to 100 ids.
    pub volumes: batch::Batcher<aws_sdk_ec2::types::Volume>,
    /// Concurrent service reads, per cluster: one DescribeServices of up to 10.
    pub services: batch::Batcher<aws_sdk_ecs::types::Service>,
    /// Concurrent task reads, per cluster: one DescribeTasks of up to 100.
    pub tasks: batch::Batcher<aws_sdk_ecs::types::Task>,
    /// Concurrent RDS instance reads (keyed by lower-case identifier), answered by one
    /// DescribeDBInstances of up to 100.
    pub db_instances: batch::Batcher<aws_sdk_rds::types::DbInstance>,
    /// Concurrent reads of security group rules (keyed by group id), answered by one
    /// DescribeSecurityGroupRules filtered on up to 100 groups.
    pub security_group_rules: batch::Batcher<Vec<aws_sdk_ec2::types::SecurityGroupRule>>,
    /// Concurrent security group reads (keyed by group id), answered by one DescribeSecurityGroups.
    pub security_groups: batch::Batcher<aws_sdk_ec2::types::SecurityGroup>,
}

/// How long a batched read waits for company before it calls AWS.
pub const BATCH_WINDOW: Duration = Duration::from_millis(25);

/// Retries of a throttled or failed call when `max_retries` is not set: infrastructure runs ride
/// out throttling storms (hashicorp's AWS provider retries 25 times too). Client errors (a refused
/// request) are never retried; the SDK's standard mode classifies them.
pub const DEFAULT_MAX_RETRIES: u32 = 25;
/// First backoff before a retry; it doubles per attempt, with full jitter, up to [`MAX_BACKOFF`].
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(250);
pub const MAX_BACKOFF: Duration = Duration::from_secs(20);
/// One attempt of one call may take this long before it is abandoned (and retried): a call that
/// never answers cannot hold an apply, or Ctrl-C, for long.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The credential error: what was tried, and the three usual ways to give credentials.
fn no_credentials(s: &Settings, why: &str) -> String {
    let profile = s.profile.as_deref().map(|p| format!(" (profile {p:?})")).unwrap_or_default();
    format!(
        "No AWS credentials could be found ({why}).\n\nTried, in order: `access_key`/`secret_key` in the provider block; the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); the shared config and credentials files{profile} (~/.aws/config, ~/.aws/credentials, or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE); web identity (AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN); the ECS container credentials endpoint; the EC2 instance metadata service.\n\nSet one: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a `profile` (or AWS_PROFILE) from ~/.aws/credentials, or set `access_key` and `secret_key` in the provider block (a variable marked sensitive)."
    )
}

/// The retry policy for `max_retries` (None: [`DEFAULT_MAX_RETRIES`]).
pub fn retry_config(max_retries: Option<u32>) -> RetryConfig {
    let retries = max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
    RetryConfig::standard().with_max_attempts(retries.saturating_add(1)).with_initial_backoff(INITIAL_BACKOFF).with_max_backoff(MAX_BACKOFF)
}

pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder().operation_attempt_timeout(ATTEMPT_TIMEOUT).connect_timeout(CONNECT_TIMEOUT).build()
}

impl Aws {
    pub async fn connect(s: &Settings) -> Result<Aws, String> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(r) = &s.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(p) = &s.profile {
            loader = loader.profile_name(p);
        }
        match (&s.access_key, &s.secret_key) {
            (Some(ak), Some(sk)) => {
                loader = loader.credentials_provider(Credentials::new(ak, sk, None, None, "awsecs-provider-block"));
            }
            (None, None) => {}
            _ => return Err("`access_key` and `secret_key` go together: set both or neither.".into()),
        }
        loader = loader.retry_config(retry_config(s.max_retries)).timeout_config(timeout_config());
        let conf = loader.load().await;
        let region = conf
            .region()
            .map(|r| r.to_string())
            .ok_or("No AWS region is set: set `region` in the provider block, or AWS_REGION in the environment.")?;
        Ok(Aws::from_sdk_config(&conf, &s.endpoints, region))
    }

    /// Clients for a provider configuration that is not known yet (it depends on resources not yet
    /// applied): nothing is resolved and nothing may be called at plan time; the apply configures
    /// the provider again with the real values.
    pub fn placeholder(s: &Settings) -> Aws {
        let region = s.region.clone().unwrap_or_else(|| "us-east-1".to_string());
        let conf = SdkConfig::builder().behavior_version(BehaviorVersion::latest()).region(Region::new(region.clone())).build();
        Aws::from_sdk_config(&conf, &s.endpoints, region)
    }

    /// Resolves credentials through the chain the clients use (nothing is sent to AWS); the error
    /// says which sources were tried and how to set one.
    pub async fn check_credentials(&self, s: &Settings) -> Result<(), String> {
        use aws_credential_types::provider::ProvideCredentials as _;
        let Some(provider) = &self.credentials else { return Err(no_credentials(s, "no credentials provider is configured")) };
        match provider.provide_credentials().await {
            Ok(_) => Ok(()),
            Err(e) => Err(no_credentials(s, &errors::cause_chain(&e))),
        }
    }

    /// Asks STS who the credentials belong to (GetCallerIdentity): (account, ARN).
    pub async fn caller_identity(&self) -> Result<(String, String), errors::AwsError> {
        let out = self.sts.get_caller_identity().send().await.map_err(|e| errors::AwsError::from_sdk(&e))?;
        Ok((out.account().unwrap_or_default().to_string(), out.arn().unwrap_or_default().to_string()))
    }

    fn from_sdk_config(conf: &SdkConfig, ep: &Endpoints, region: String) -> Aws {
        // One client per service; an endpoint left unset keeps what the environment says
        // (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL).
        macro_rules! client {
            ($sdk:ident, $url:expr) => {{
                let mut b = $sdk::config::Builder::from(conf);
                if let Some(url) = $url {
                    b.set_endpoint_url(Some(url.clone()));
                }
                $sdk::Client::from_conf(b.build())
            }};
        }
        Aws {
            ecs: client!(aws_sdk_ecs, &ep.ecs),
            ec2: client!(aws_sdk_ec2, &ep.ec2),
            rds: client!(aws_sdk_rds, &ep.rds),
            ssm: client!(aws_sdk_ssm, &ep.ssm),
            sts: client!(aws_sdk_sts, &ep.sts),
            autoscaling: client!(aws_sdk_autoscaling, &ep.autoscaling),
            credentials: conf.credentials_provider(),
            region,
            clusters: batch::Batcher::new(100, BATCH_WINDOW),
            container_instances: batch::Batcher::new(100, BATCH_WINDOW),
            ec2_instances: batch::Batcher::new(100, BATCH_WINDOW),
            volumes: batch::Batcher::new(100, BATCH_WINDOW),
            services: batch::Batcher::new(10, BATCH_WINDOW),
            tasks: batch::Batcher::new(100, BATCH_WINDOW),
            db_instances: batch::Batcher::new(100, BATCH_WINDOW),
            security_group_rules: batch::Batcher::new(100, BATCH_WINDOW),
            security_groups: batch::Batcher::new(100, BATCH_WINDOW),
        }
    }

    /// Clients that are never called: for unit tests of code that only carries a context around.
    #[cfg(test)]
    pub fn unconfigured_for_tests() -> Aws {
        let conf = SdkConfig::builder().behavior_version(BehaviorVersion::latest()).region(Region::new("us-east-1")).build();
        Aws::from_sdk_config(&conf, &Endpoints::default(), "us-east-1".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_keys() {
        let s = Settings { access_key: Some("AKIAQUIETKEY".into()), secret_key: Some("very-secret".into()), ..Settings::default() };
        let text = format!("{s:?}");
        assert!(!text.contains("AKIAQUIETKEY") && !text.contains("very-secret"), "{text}");
        assert!(text.contains("not shown"), "{text}");
    }

    #[test]
    fn the_default_retry_policy_is_long_and_capped() {
        let r = retry_config(None);
        assert_eq!(r.max_attempts(), DEFAULT_MAX_RETRIES + 1);
        assert_eq!(r.max_backoff(), MAX_BACKOFF);
        assert_eq!(retry_config(Some(0)).max_attempts(), 1);
    }
}
