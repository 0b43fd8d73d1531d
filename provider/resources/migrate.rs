//! `moved` from hashicorp/aws: what the three resources that take an `aws_ecs_*` object share. The
//! source state arrives as JSON in hashicorp/aws's schema; each resource maps what it has an
//! equivalent for, and every source attribute that holds a value without an equivalent is named in
//! one error (a move never silently drops a setting: the next apply would remove it from AWS).
//!
//! The moved state is a starting point: Terraform refreshes it (ReadResource) before planning, so
//! AWS fills in whatever is computed.

use serde_json::Value as Json;

use crate::framework::MoveSource;
use crate::tf::{Diagnostics, Value};

/// Checks that `from` is a hashicorp/aws object of `aws_type` stored at a schema version this
/// provider knows (`max_version`), and returns its attributes.
pub fn source<'a>(
    from: &'a MoveSource<'a>,
    aws_type: &'static str,
    max_version: i64,
    target: &'static str,
) -> Result<Source<'a>, Diagnostics> {
    // registry.terraform.io/hashicorp/aws, or an OpenTofu / mirror host with the same namespace and type.
    // OpenTofu 1.10 to 1.12.3 send the provider's local name ("aws") instead of its address.
    let hashicorp_aws =
        from.provider.trim_end_matches('/').ends_with("/hashicorp/aws") || from.provider == "hashicorp/aws" || from.provider == "aws";
    if !hashicorp_aws || from.type_name != aws_type {
        return Err(Diagnostics::of_error(
            format!("Cannot move a {} ({}) to {target}", from.type_name, from.provider),
            format!("{target} takes `moved` blocks from `{aws_type}` of hashicorp/aws only."),
        ));
    }
    if from.schema_version > max_version {
        return Err(Diagnostics::of_error(
            format!("Cannot move this {aws_type} to {target}: its state is of a newer schema"),
            format!(
                "The state holds schema version {} of {aws_type}; this provider reads versions up to {max_version}. Upgrade terraform-provider-awsecs, or tell us the hashicorp/aws version.",
                from.schema_version
            ),
        ));
    }
    match from.state {
        Json::Object(o) => {
            // Terraform shows no address with a MoveResourceState error: name the object itself.
            let named = ["arn", "id", "name", "family"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Json::as_str).filter(|s| !s.is_empty()))
                .unwrap_or("")
                .to_string();
            Ok(Source { type_name: aws_type, target, state: from.state, unmapped: Vec::new(), named })
        }
        _ => Err(Diagnostics::of_error(
            format!("Cannot move this {aws_type}: its state is not an object"),
            "Terraform sent a state that is not a JSON object.",
        )),
    }
}

/// The source object's attributes, and what was found set without an equivalent.
pub struct Source<'a> {
    type_name: &'static str,
    target: &'static str,
    pub state: &'a Json,
    unmapped: Vec<String>,
    /// The source object's ARN (or id), for the error.
    named: String,
}

/// "Not set" in hashicorp/aws's state: null, "", false, 0, [] or {} (and a list of such).
pub fn is_unset(j: &Json) -> bool {
    match j {
        Json::Null => true,
        Json::Bool(b) => !b,
        Json::Number(n) => n.as_f64() == Some(0.0),
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.iter().all(is_unset),
        Json::Object(o) => o.values().all(is_unset),
    }
}

impl<'a> Source<'a> {
    pub fn get(&self, key: &str) -> &'a Json {
        self.state.get(key).unwrap_or(&Json::Null)
    }

    /// Notes `key` (shown as `path`) as set without an equivalent unless it is unset, or `allowed`
    /// says its value is one this provider's resource behaves the same with.
    pub fn no_equivalent(&mut self, key: &str, allowed: impl Fn(&Json) -> bool) {
        let v = self.get(key);
        if !is_unset(v) && !allowed(v) {
            self.unmapped.push(format!("`{key}` = {}", short(v)));
        }
    }

    /// The same for a value found deeper (a container definition's field, a volume's block).
    pub fn no_equivalent_at(&mut self, path: String, v: &Json) {
        if !is_unset(v) {
            self.unmapped.push(format!("`{path}` = {}", short(v)));
        }
    }

    /// Ok with `state`, or the one error naming every unmapped attribute.
    pub fn finish(self, state: Value) -> Result<Value, Diagnostics> {
        if self.unmapped.is_empty() {
            return Ok(state);
        }
        Err(Diagnostics::of_error(
            format!(
                "Cannot move this {}{} to {}: {} setting(s) have no equivalent",
                self.type_name,
                if self.named.is_empty() { String::new() } else { format!(" ({})", self.named) },
                self.target,
                self.unmapped.len()
            ),
            format!(
                "{} does not manage these, so after the move an apply would remove them from AWS:\n  - {}\n\nKeep this object on hashicorp/aws, or remove the settings there first (apply), then move it.",
                self.target,
                self.unmapped.join("\n  - ")
            ),
        ))
    }
}

fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.len() > 120 {
        format!("{}...", &s[..s.char_indices().take_while(|(i, _)| *i < 117).last().map(|(i, c)| i + c.len_utf8()).unwrap_or(0)])
    } else {
        s
    }
}

/// A string attribute; "" (hashicorp/aws's "not set") is null.
pub fn string(j: &Json) -> Value {
    match j.as_str() {
        Some(s) if !s.is_empty() => Value::string(s),
        _ => Value::Null,
    }
}

/// A whole number, also from a string ("512"); "" or null is null.
pub fn int(j: &Json) -> Value {
    match j {
        Json::Number(n) => n.as_i64().map(Value::int).unwrap_or(Value::Null),
        Json::String(s) => s.trim().parse::<i64>().map(Value::int).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

pub fn boolean(j: &Json, default: bool) -> Value {
    Value::Bool(j.as_bool().unwrap_or(default))
}

/// A map of strings; empty or null is null.
pub fn string_map(j: &Json) -> Value {
    match j.as_object() {
        Some(m) if !m.is_empty() => Value::Map(m.iter().map(|(k, v)| (k.clone(), Value::string(v.as_str().unwrap_or_default()))).collect()),
        _ => Value::Null,
    }
}

/// A list (or set) of strings; empty or null is null.
pub fn string_list(j: &Json) -> Value {
    match j.as_array() {
        Some(a) if !a.is_empty() => Value::List(a.iter().map(|v| Value::string(v.as_str().unwrap_or_default())).collect()),
        _ => Value::Null,
    }
}

/// A set of strings; empty or null is null.
pub fn string_set(j: &Json) -> Value {
    match string_list(j) {
        Value::List(items) => Value::Set(items),
        other => other,
    }
}

/// The one object of a list block with at most one item (hashicorp/aws's `MaxItems: 1`).
pub fn only(j: &Json) -> Option<&Json> {
    j.as_array().and_then(|a| a.first())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn from<'a>(state: &'a Json, provider: &'a str, ty: &'a str, version: i64) -> MoveSource<'a> {
        MoveSource { provider, type_name: ty, schema_version: version, state }
    }

    #[test]
    fn only_hashicorp_aws_objects_of_the_named_type_and_a_known_version() {
        let s = json!({});
        let aws = "registry.terraform.io/hashicorp/aws";
        assert!(source(&from(&s, aws, "aws_ecs_cluster", 0), "aws_ecs_cluster", 0, "awsecs_cluster").is_ok());
        assert!(
            source(&from(&s, "registry.opentofu.org/hashicorp/aws", "aws_ecs_cluster", 0), "aws_ecs_cluster", 0, "awsecs_cluster").is_ok()
        );
        let someone = from(&s, "registry.terraform.io/someone/aws", "aws_ecs_cluster", 0);
        let other = source(&someone, "aws_ecs_cluster", 0, "awsecs_cluster");
        assert!(other.err().unwrap().0[0].detail.contains("hashicorp/aws only"));
        assert!(source(&from(&s, aws, "aws_ecs_service", 0), "aws_ecs_cluster", 0, "awsecs_cluster").is_err());
        let v3 = from(&s, aws, "aws_ecs_cluster", 3);
        let newer = source(&v3, "aws_ecs_cluster", 0, "awsecs_cluster");
        assert!(newer.err().unwrap().0[0].summary.contains("newer schema"));
    }

    #[test]
    fn every_setting_without_an_equivalent_is_named_and_unset_ones_are_not() {
        let s = json!({"load_balancer": [{"container_name": "web", "container_port": 80}], "alarms": [], "triggers": {}, "enable_execute_command": false, "propagate_tags": "NONE", "iam_role": "x"});
        let f = from(&s, "registry.terraform.io/hashicorp/aws", "aws_ecs_service", 1);
        let mut src = source(&f, "aws_ecs_service", 1, "awsecs_service").unwrap();
        for k in ["load_balancer", "alarms", "triggers", "enable_execute_command"] {
            src.no_equivalent(k, |_| false);
        }
        src.no_equivalent("propagate_tags", |v| v == "NONE");
        src.no_equivalent("iam_role", |_| false);
        let err = src.finish(Value::Null).unwrap_err();
        let d = &err.0[0];
        assert!(d.summary.contains("2 setting(s) have no equivalent"), "{d:?}");
        assert!(d.detail.contains("`load_balancer` = [{\"container_name\":\"web\",\"container_port\":80}]"), "{d:?}");
        assert!(d.detail.contains("`iam_role` = \"x\""), "{d:?}");
        assert!(!d.detail.contains("alarms") && !d.detail.contains("propagate_tags"), "{d:?}");
    }

    #[test]
    fn values_in_hashicorp_aws_form_become_ours() {
        assert_eq!(string(&json!("")), Value::Null);
        assert_eq!(int(&json!("512")), Value::int(512));
        assert_eq!(int(&json!("")), Value::Null);
        assert_eq!(string_map(&json!({})), Value::Null);
        assert_eq!(string_list(&json!(["a"])), Value::List(vec![Value::string("a")]));
        assert!(short(&json!("x".repeat(500))).ends_with("..."));
    }
}
