//! `tags` / `tags_all`, shared by every taggable resource: the schema attributes, splitting what AWS
//! holds into configured tags and provider default tags, and the changes to send (through
//! `aws::tags`, which knows ECS's and EC2's tag lists).

use std::collections::BTreeMap;

pub use crate::aws::tags::Tagged;
use crate::resources::Ctx;
use crate::tf::{Attribute, Diagnostics, Type, Value};

pub fn tags_attribute() -> Attribute {
    Attribute::optional("tags", Type::map(Type::String))
        .describe("Tags for this resource. Provider `default_tags` are added to them (see `tags_all`).")
}

pub fn tags_all_attribute() -> Attribute {
    Attribute::computed("tags_all", Type::map(Type::String))
        .describe("All tags of the resource: provider `default_tags` overlaid with `tags`.")
}

/// Splits the tags AWS holds into (`tags`, `tags_all`). A tag counts as configured when it was in
/// the prior `tags`, or when it is not a default tag with the same value. A null prior `tags` stays
/// null when nothing configured is left, so an unset `tags` never shows a diff against `{}`.
pub fn split(aws: &BTreeMap<String, String>, defaults: &BTreeMap<String, String>, prior_tags: &Value) -> (Value, Value) {
    let prior = prior_tags.to_string_map();
    let own: BTreeMap<String, String> =
        aws.iter().filter(|(k, v)| prior.contains_key(*k) || defaults.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let tags = if own.is_empty() && prior_tags.is_null() { Value::Null } else { Value::string_map(own.iter()) };
    (tags, Value::string_map(aws.iter()))
}

/// Tags to set (new or changed) and keys to remove, going from `old` to `new`.
pub fn diff(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> (BTreeMap<String, String>, Vec<String>) {
    let add = new.iter().filter(|(k, v)| old.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let remove = old.keys().filter(|k| !new.contains_key(*k)).cloned().collect();
    (add, remove)
}

/// Moves the tags of `on` from the `old` to the `new` `tags_all` (nothing when they agree).
/// `what` names the resource in errors ("ECS service \"web\"").
pub async fn update(ctx: &Ctx, on: Tagged<'_>, old: &Value, new: &Value, what: &str) -> Result<(), Diagnostics> {
    let (add, remove) = diff(&old.to_string_map(), &new.to_string_map());
    ctx.aws.change_tags(on, &add, remove).await.map_err(|e| crate::resources::aws_failure(format!("Cannot update the tags of {what}"), &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn default_tags_are_not_reported_as_configured() {
        let aws = m(&[("env", "prod"), ("owner", "ops")]);
        let defaults = m(&[("owner", "ops")]);
        let (tags, all) = split(&aws, &defaults, &Value::Map(Default::default()));
        assert_eq!(tags.to_string_map(), m(&[("env", "prod")]));
        assert_eq!(all.to_string_map(), aws);
    }

    #[test]
    fn unset_tags_stay_null() {
        let (tags, all) = split(&m(&[("owner", "ops")]), &m(&[("owner", "ops")]), &Value::Null);
        assert!(tags.is_null());
        assert_eq!(all.to_string_map().len(), 1);
        // but a tag added outside Terraform shows up, so the plan removes it
        let (tags, _) = split(&m(&[("x", "1")]), &BTreeMap::new(), &Value::Null);
        assert_eq!(tags.to_string_map(), m(&[("x", "1")]));
    }

    #[test]
    fn diff_finds_changes_and_removals() {
        let (add, remove) = diff(&m(&[("a", "1"), ("b", "2")]), &m(&[("a", "1"), ("b", "3"), ("c", "4")]));
        assert_eq!(add, m(&[("b", "3"), ("c", "4")]));
        assert!(remove.is_empty());
        let (add, remove) = diff(&m(&[("a", "1")]), &BTreeMap::new());
        assert!(add.is_empty());
        assert_eq!(remove, vec!["a".to_string()]);
    }
}
