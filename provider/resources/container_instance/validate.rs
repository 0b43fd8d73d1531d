//! Checks across the arguments of `awsecs_container_instance` (no AWS calls; values may be unknown).

use super::metadata::BLOCK as METADATA_BLOCK;
use crate::tf::{AttrPath, Diagnostics, Value};

pub(super) fn validate(config: &Value, diags: &mut Diagnostics) {
    check_volume_and_metadata(config, diags);
}

/// The checks an instance's launch settings share, here and in `awsecs_capacity_provider`: a KMS
/// key needs encryption; a disabled metadata service keeps the agent from joining (a warning).
pub(crate) fn check_volume_and_metadata(config: &Value, diags: &mut Diagnostics) {
    if !config.get("root_volume_kms_key_id").is_null() && config.get("root_volume_encrypted").as_bool() == Some(false) {
        diags.error_at(
            AttrPath::root("root_volume_kms_key_id"),
            "A KMS key needs an encrypted root volume",
            "`root_volume_kms_key_id` encrypts the root volume, but `root_volume_encrypted` is false. Remove the key, or set `root_volume_encrypted` to true (or leave it out).",
        );
    }
    if config.get(METADATA_BLOCK).get("http_endpoint").as_str() == Some("disabled") {
        diags.warning_at(
            AttrPath::root(METADATA_BLOCK).attr("http_endpoint"),
            "The instance metadata service is disabled",
            "The ECS agent reads the instance's identity and its role credentials from the instance metadata service: a new instance with the service disabled does not join the cluster, and a running one loses its agent's credentials.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pairs: &[(&'static str, Value)]) -> Diagnostics {
        let mut d = Diagnostics::new();
        validate(&Value::object(pairs.iter().cloned()), &mut d);
        d
    }

    #[test]
    fn a_kms_key_needs_encryption() {
        let d = check(&[("root_volume_kms_key_id", "k-1".into()), ("root_volume_encrypted", false.into())]);
        assert!(d.has_errors());
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "root_volume_kms_key_id");
        assert!(check(&[("root_volume_kms_key_id", "k-1".into()), ("root_volume_encrypted", true.into())]).is_empty());
        assert!(check(&[("root_volume_kms_key_id", "k-1".into()), ("root_volume_encrypted", Value::Null)]).is_empty());
        assert!(check(&[("root_volume_kms_key_id", "k-1".into()), ("root_volume_encrypted", Value::Unknown)]).is_empty());
        assert!(check(&[("root_volume_encrypted", false.into())]).is_empty());
    }

    #[test]
    fn a_disabled_metadata_service_is_a_warning() {
        let block = Value::object([("http_endpoint", "disabled".into())]);
        let d = check(&[(METADATA_BLOCK, block)]);
        assert!(!d.is_empty() && !d.has_errors(), "a warning, not an error");
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "metadata_options.http_endpoint");
        assert!(check(&[(METADATA_BLOCK, Value::object([("http_endpoint", "enabled".into())]))]).is_empty());
        assert!(check(&[(METADATA_BLOCK, Value::Null)]).is_empty());
    }
}
