//! The `metadata_options` block: the instance metadata service (IMDS) settings, sent at launch
//! (RunInstances), changed in place (ModifyInstanceMetadataOptions) and read back from
//! DescribeInstances.
//!
//! A block left out means "not managed": a new instance still gets the hardened defaults at launch,
//! but the state keeps the block null and nothing is read back or changed, so that an instance
//! created before the block existed plans no change when the provider is upgraded. (A nested block
//! cannot be computed: Terraform plans an absent block as null, so EC2's values could only show up
//! as a diff.)

use aws_sdk_ec2::types::{HttpTokensState, Instance, InstanceMetadataEndpointState, InstanceMetadataOptionsRequest};

use crate::aws::errors::describe;
use crate::resources::Ctx;
use crate::tf::{Diagnostics, Value};

pub(crate) const BLOCK: &str = "metadata_options";
pub(crate) const HTTP_TOKENS: &[&str] = &["required", "optional"];
pub(crate) const HTTP_ENDPOINT: &[&str] = &["enabled", "disabled"];
/// Two hops: containers in `bridge` network mode, one hop behind the instance, still reach IMDSv2.
pub(crate) const DEFAULT_HOP_LIMIT: i32 = 2;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MetadataOptions {
    pub http_tokens: HttpTokensState,
    pub hop_limit: i32,
    pub http_endpoint: InstanceMetadataEndpointState,
}

impl Default for MetadataOptions {
    /// What a new instance gets when the block is left out: IMDSv2 only, two hops, enabled.
    fn default() -> MetadataOptions {
        MetadataOptions {
            http_tokens: HttpTokensState::Required,
            hop_limit: DEFAULT_HOP_LIMIT,
            http_endpoint: InstanceMetadataEndpointState::Enabled,
        }
    }
}

impl MetadataOptions {
    /// The settings of a written block (a setting left out takes its default); None when the block
    /// is left out.
    pub(crate) fn from_block(block: &Value) -> Option<MetadataOptions> {
        if !matches!(block, Value::Object(_)) {
            return None;
        }
        let d = MetadataOptions::default();
        Some(MetadataOptions {
            http_tokens: block.get("http_tokens").as_str().map(HttpTokensState::from).unwrap_or(d.http_tokens),
            hop_limit: block.get("http_put_response_hop_limit").as_i64().and_then(|n| i32::try_from(n).ok()).unwrap_or(d.hop_limit),
            http_endpoint: block.get("http_endpoint").as_str().map(InstanceMetadataEndpointState::from).unwrap_or(d.http_endpoint),
        })
    }

    /// The RunInstances form.
    pub(super) fn request(&self) -> InstanceMetadataOptionsRequest {
        InstanceMetadataOptionsRequest::builder()
            .http_tokens(self.http_tokens.clone())
            .http_put_response_hop_limit(self.hop_limit)
            .http_endpoint(self.http_endpoint.clone())
            .build()
    }
}

/// The block from what EC2 reports, when the prior value has the block (a setting missing from
/// EC2's answer keeps its prior value); null when the block is left out (not managed).
pub(super) fn flatten(prior: &Value, i: &Instance) -> Value {
    if !matches!(prior, Value::Object(_)) {
        return Value::Null;
    }
    let Some(m) = i.metadata_options() else { return prior.clone() };
    let or_prior = |k: &str, v: Option<Value>| v.unwrap_or_else(|| prior.get(k).clone());
    let tokens = m.http_tokens().map(|t| Value::string(t.as_str()));
    let hops = m.http_put_response_hop_limit().map(|n| Value::int(i64::from(n)));
    let endpoint = m.http_endpoint().map(|e| Value::string(e.as_str()));
    Value::object([
        ("http_tokens", or_prior("http_tokens", tokens)),
        ("http_put_response_hop_limit", or_prior("http_put_response_hop_limit", hops)),
        ("http_endpoint", or_prior("http_endpoint", endpoint)),
    ])
}

/// Changes the settings in place, all three in one call (a setting left out of the call would keep
/// whatever the instance has, not the block's value).
pub(super) async fn modify(ctx: &Ctx, instance_id: &str, m: &MetadataOptions) -> Result<(), Diagnostics> {
    tracing::info!(instance_id, http_tokens = m.http_tokens.as_str(), hop_limit = m.hop_limit, "changing the instance metadata options");
    ctx.aws
        .ec2
        .modify_instance_metadata_options()
        .instance_id(instance_id)
        .http_tokens(m.http_tokens.clone())
        .http_put_response_hop_limit(m.hop_limit)
        .http_endpoint(m.http_endpoint.clone())
        .send()
        .await
        .map_err(|e| Diagnostics::of_error(format!("Cannot change the metadata options of EC2 instance {instance_id}"), describe(&e)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::InstanceMetadataOptionsResponse;

    fn block(tokens: Value, hops: Value, endpoint: Value) -> Value {
        Value::object([("http_tokens", tokens), ("http_put_response_hop_limit", hops), ("http_endpoint", endpoint)])
    }

    #[test]
    fn a_left_out_block_is_not_managed_and_new_instances_get_the_hardened_defaults() {
        assert_eq!(MetadataOptions::from_block(&Value::Null), None);
        let d = MetadataOptions::default();
        assert_eq!((d.http_tokens.as_str(), d.hop_limit, d.http_endpoint.as_str()), ("required", 2, "enabled"));
        let r = d.request();
        assert_eq!(r.http_tokens(), Some(&HttpTokensState::Required));
        assert_eq!(r.http_put_response_hop_limit(), Some(2));
        assert_eq!(r.http_endpoint(), Some(&InstanceMetadataEndpointState::Enabled));
    }

    #[test]
    fn a_written_block_sets_what_it_says_and_defaults_the_rest() {
        let m = MetadataOptions::from_block(&block("optional".into(), Value::int(1), Value::Null)).unwrap();
        assert_eq!(m.http_tokens, HttpTokensState::Optional);
        assert_eq!(m.hop_limit, 1);
        assert_eq!(m.http_endpoint, InstanceMetadataEndpointState::Enabled);
        let m = MetadataOptions::from_block(&block(Value::Null, Value::Null, "disabled".into())).unwrap();
        assert_eq!((m.http_tokens, m.hop_limit, m.http_endpoint), (HttpTokensState::Required, 2, InstanceMetadataEndpointState::Disabled));
    }

    #[test]
    fn ec2_values_are_read_back_only_for_a_managed_block() {
        let options = InstanceMetadataOptionsResponse::builder()
            .http_tokens(HttpTokensState::Optional)
            .http_put_response_hop_limit(3)
            .http_endpoint(InstanceMetadataEndpointState::Enabled)
            .build();
        let instance = Instance::builder().metadata_options(options).build();
        assert_eq!(flatten(&Value::Null, &instance), Value::Null, "an unmanaged block stays out of the state");
        let prior = block("required".into(), Value::int(2), "enabled".into());
        assert_eq!(flatten(&prior, &instance), block("optional".into(), Value::int(3), "enabled".into()));

        // A setting EC2 leaves out of its answer keeps the prior value.
        let partial = InstanceMetadataOptionsResponse::builder().http_tokens(HttpTokensState::Optional).build();
        let instance = Instance::builder().metadata_options(partial).build();
        assert_eq!(flatten(&prior, &instance), block("optional".into(), Value::int(2), "enabled".into()));
        assert_eq!(flatten(&prior, &Instance::builder().build()), prior);
    }
}
