//! AWS SDK clients aimed at a moto endpoint, for checking "AWS"'s view and for changing it behind
//! Terraform's back.
//!
//! Tests are plain `#[test]` functions: [`Aws`] owns a tokio runtime, and [`Aws::block_on`] runs one
//! SDK future at a time on it. Terraform is run outside the runtime, so nothing blocks it.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_sdk_ecs::types::{Cluster, ClusterField, ClusterSettingName};

use super::REGION;

/// Shared SDK configuration for a moto endpoint: fixed region, dummy static credentials, two
/// attempts at most (moto answers unimplemented calls with HTTP 500, which the SDK retries), and an
/// operation timeout so a stuck call fails the test instead of hanging it.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .timeout_config(TimeoutConfig::builder().connect_timeout(Duration::from_secs(5)).operation_timeout(Duration::from_secs(60)).build())
        .load()
        .await
}

/// ECS, EC2 and RDS clients for one moto server, plus the runtime they run on.
pub struct Aws {
    pub ecs: aws_sdk_ecs::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub rds: aws_sdk_rds::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    // Last: dropped after the clients.
    rt: tokio::runtime::Runtime,
}

impl Aws {
    pub fn new(endpoint: &str) -> Aws {
        let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
        let conf = rt.block_on(sdk_config(endpoint));
        Aws {
            ecs: aws_sdk_ecs::Client::new(&conf),
            ec2: aws_sdk_ec2::Client::new(&conf),
            rds: aws_sdk_rds::Client::new(&conf),
            autoscaling: aws_sdk_autoscaling::Client::new(&conf),
            rt,
        }
    }

    /// Runs one future (typically an SDK call) to completion.
    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// DescribeClusters (with TAGS and SETTINGS) for one name or ARN. None when ECS reports it as a
    /// failure (MISSING); deleted clusters come back with status INACTIVE.
    pub fn describe_cluster(&self, name_or_arn: &str) -> Option<Cluster> {
        let out = self
            .block_on(self.ecs.describe_clusters().clusters(name_or_arn).include(ClusterField::Tags).include(ClusterField::Settings).send())
            .unwrap_or_else(|e| panic!("DescribeClusters({name_or_arn}): {}", err_text(&e)));
        out.clusters().first().cloned()
    }

    /// The cluster's status ("ACTIVE", "INACTIVE"), or None when it is missing altogether.
    pub fn cluster_status(&self, name_or_arn: &str) -> Option<String> {
        self.describe_cluster(name_or_arn).and_then(|c| c.status().map(str::to_string))
    }

    /// True if the cluster is gone as far as ECS is concerned: INACTIVE or missing.
    pub fn cluster_is_gone(&self, name_or_arn: &str) -> bool {
        matches!(self.cluster_status(name_or_arn).as_deref(), None | Some("INACTIVE"))
    }

    /// All cluster ARNs ListClusters returns (moto includes INACTIVE ones).
    pub fn list_cluster_arns(&self) -> Vec<String> {
        let out = self.block_on(self.ecs.list_clusters().send()).unwrap_or_else(|e| panic!("ListClusters: {}", err_text(&e)));
        out.cluster_arns().to_vec()
    }
}

/// A cluster's tags as a sorted map.
pub fn cluster_tags(cluster: &Cluster) -> BTreeMap<String, String> {
    cluster.tags().iter().map(|t| (t.key().unwrap_or_default().to_string(), t.value().unwrap_or_default().to_string())).collect()
}

/// The value of the cluster's containerInsights setting, if it reports one.
pub fn container_insights(cluster: &Cluster) -> Option<String> {
    cluster.settings().iter().find(|s| s.name() == Some(&ClusterSettingName::ContainerInsights)).and_then(|s| s.value().map(str::to_string))
}

/// An SDK error with its whole source chain (the Display of an SdkError alone is just "service
/// error").
pub fn err_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `[("a","b")]` → a sorted map, for comparing with [`cluster_tags`].
pub fn tag_map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}
