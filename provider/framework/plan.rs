//! Planning rules shared by every resource, and the reconciliation of an apply result with its plan.
//!
//! Terraform checks a plan strictly: non-computed attributes must equal the configuration, only
//! computed ones may be unknown, and the apply-time re-plan must agree with the first plan. These
//! rules are deterministic functions of (schema, prior, proposed, config, default tags).

use std::collections::BTreeMap;

use crate::tf::{AttrPath, Block, Nesting, Value};

pub struct Planned {
    pub value: Value,
    pub requires_replace: Vec<AttrPath>,
    pub create: bool,
}

impl Planned {
    pub fn replace(&self) -> bool {
        !self.requires_replace.is_empty()
    }
}

/// Plans `proposed` (Terraform's merge of config and prior state) against `prior`.
pub fn plan(block: &Block, prior: &Value, proposed: &Value, config: &Value, default_tags: Option<&BTreeMap<String, String>>) -> Planned {
    let create = prior.is_null();
    let mut value = proposed.clone();
    if value.is_null() {
        return Planned { value, requires_replace: Vec::new(), create };
    }
    fill_computed(block, &mut value, config, create);
    plan_tags_all(block, &mut value, default_tags);
    // A single block the configuration leaves out is planned absent (Terraform insists on it,
    // whatever the prior state held).
    if !config.is_null() {
        for b in block.blocks.iter().filter(|b| b.nesting == Nesting::Single) {
            if config.get(b.name).is_null() && !value.get(b.name).is_null() {
                value.set(b.name, Value::Null);
            }
        }
    }

    let mut requires_replace = Vec::new();
    if !create {
        for a in block.attributes.iter().filter(|a| a.force_new) {
            let (now, before) = (value.get(a.name), prior.get(a.name));
            let same_thing = a.equivalent.is_some_and(|same| now.is_wholly_known() && same(before, now));
            if now != before && !same_thing {
                requires_replace.push(AttrPath::root(a.name));
            }
        }
        for b in block.blocks.iter().filter(|b| b.force_new) {
            if value.get(b.name) != prior.get(b.name) {
                requires_replace.push(AttrPath::root(b.name));
            }
        }
    }
    if !requires_replace.is_empty() {
        // A new object comes: whatever AWS computes for it is unknown until then.
        for a in block.attributes.iter().filter(|a| a.is_computed() && a.default.is_none()) {
            if config.get(a.name).is_null() && a.name != "tags_all" {
                value.set(a.name, Value::Unknown);
            }
        }
    } else if !create && value != *prior {
        // An in-place update: values AWS changes on any update are not known before it.
        for a in block.attributes.iter().filter(|a| a.volatile) {
            value.set(a.name, Value::Unknown);
        }
    }
    Planned { value, requires_replace, create }
}

/// Computed attributes the configuration leaves out: the default when there is one, unknown when
/// the object (or nested block element) is new, and otherwise the prior value Terraform proposed.
fn fill_computed(block: &Block, value: &mut Value, config: &Value, create: bool) {
    for a in block.attributes.iter().filter(|a| a.is_computed()) {
        if !config.get(a.name).is_null() {
            continue;
        }
        if let Some(d) = &a.default {
            value.set(a.name, d.clone());
        } else if create && value.get(a.name).is_null() {
            value.set(a.name, Value::Unknown);
        }
    }
    for b in &block.blocks {
        let cfg = config.get(b.name).clone();
        let Value::Object(fields) = value else { return };
        let Some(v) = fields.get_mut(b.name) else { continue };
        match (b.nesting, v) {
            (Nesting::Single, v @ Value::Object(_)) => fill_computed(&b.block, v, &cfg, create),
            (Nesting::List | Nesting::Set, Value::List(items) | Value::Set(items)) => {
                let cfg_items = cfg.as_list().unwrap_or(&[]);
                for (i, item) in items.iter_mut().enumerate() {
                    let c = match b.nesting {
                        Nesting::List => cfg_items.get(i).cloned().unwrap_or(Value::Null),
                        // Set elements have no stable position: find the configured twin.
                        _ => cfg_items.iter().find(|c| same_configured(&b.block, c, item)).cloned().unwrap_or(Value::Null),
                    };
                    fill_computed(&b.block, item, &c, create);
                }
            }
            (Nesting::Map, Value::Map(items)) => {
                for (k, item) in items.iter_mut() {
                    let c = cfg.as_map().and_then(|m| m.get(k)).cloned().unwrap_or(Value::Null);
                    fill_computed(&b.block, item, &c, create);
                }
            }
            _ => {}
        }
    }
}

/// Whether a set element carries the same non-computed values as a configured element.
fn same_configured(block: &Block, config: &Value, item: &Value) -> bool {
    block.attributes.iter().filter(|a| !a.is_computed()).all(|a| config.get(a.name) == item.get(a.name))
}

/// `tags_all` = provider `default_tags` overlaid with the resource's `tags`, known at plan time
/// when both are (`None`: the provider's default tags are not known yet).
fn plan_tags_all(block: &Block, value: &mut Value, default_tags: Option<&BTreeMap<String, String>>) {
    if block.attribute("tags_all").is_none() || block.attribute("tags").is_none() {
        return;
    }
    let tags = value.get("tags").clone();
    let Some(default_tags) = default_tags else {
        value.set("tags_all", Value::Unknown);
        return;
    };
    let all = match &tags {
        Value::Unknown => Value::Unknown,
        Value::Map(m) if m.values().any(|v| !v.is_wholly_known()) => Value::Unknown,
        _ => {
            let mut merged = default_tags.clone();
            merged.extend(tags.to_string_map());
            Value::string_map(merged.iter())
        }
    };
    value.set("tags_all", all);
}

/// The state to hand back after apply: every value the plan knew stays exactly as planned
/// (Terraform requires it); unknowns are filled from what AWS returned. A difference between AWS and
/// a known planned value shows up in the next refresh instead of failing the apply.
pub fn reconcile(planned: &Value, actual: &Value) -> Value {
    match (planned, actual) {
        (Value::Unknown, a) => without_unknowns(a),
        (Value::Object(p), Value::Object(a)) => {
            Value::Object(p.iter().map(|(k, pv)| (k.clone(), reconcile(pv, a.get(k).unwrap_or(&Value::Null)))).collect())
        }
        (Value::List(p), Value::List(a)) if p.len() == a.len() => Value::List(p.iter().zip(a).map(|(pv, av)| reconcile(pv, av)).collect()),
        (p, a) if p.is_wholly_known() => {
            let _ = a;
            p.clone()
        }
        // Partly unknown collections that changed shape: AWS's answer is the best we have.
        (_, a) => without_unknowns(a),
    }
}

/// Unknown values replaced by null (a state must be wholly known).
pub fn without_unknowns(v: &Value) -> Value {
    match v {
        Value::Unknown => Value::Null,
        Value::List(items) => Value::List(items.iter().map(without_unknowns).collect()),
        Value::Set(items) => Value::Set(items.iter().map(without_unknowns).collect()),
        Value::Tuple(items) => Value::Tuple(items.iter().map(without_unknowns).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), without_unknowns(v))).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), without_unknowns(v))).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tf::{Attribute, NestedBlock, Type};

    fn schema() -> Block {
        Block::new("")
            .attr(Attribute::required("name", Type::String).force_new())
            .attr(Attribute::optional("note", Type::String))
            .attr(Attribute::optional("essential", Type::Bool).default(true))
            .attr(Attribute::computed("arn", Type::String))
            .attr(Attribute::computed("count", Type::Number).volatile())
            .attr(Attribute::optional("tags", Type::map(Type::String)))
            .attr(Attribute::computed("tags_all", Type::map(Type::String)))
            .block(NestedBlock::list(
                "rule",
                Block::new("").attr(Attribute::required("port", Type::Number)).attr(Attribute::computed("id", Type::String)),
            ))
    }

    fn obj(pairs: &[(&'static str, Value)]) -> Value {
        Value::object(pairs.iter().cloned())
    }

    fn no_tags() -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    fn prior() -> Value {
        obj(&[
            ("name", "a".into()),
            ("note", Value::Null),
            ("essential", true.into()),
            ("arn", "arn:1".into()),
            ("count", Value::int(3)),
            ("tags", Value::Null),
            ("tags_all", Value::Map(BTreeMap::new())),
            ("rule", Value::List(vec![obj(&[("port", Value::int(80)), ("id", "r1".into())])])),
        ])
    }

    fn config_of(v: &Value) -> Value {
        let mut c = v.clone();
        for k in ["essential", "arn", "count", "tags_all"] {
            c.set(k, Value::Null);
        }
        c.set("rule", Value::List(vec![obj(&[("port", Value::int(80)), ("id", Value::Null)])]));
        c
    }

    #[test]
    fn create_plans_unknown_computed_values_and_defaults() {
        let cfg = config_of(&prior());
        let p = plan(&schema(), &Value::Null, &cfg, &cfg, Some(&no_tags()));
        assert!(p.create && !p.replace());
        assert_eq!(p.value.get("arn"), &Value::Unknown);
        assert_eq!(p.value.get("essential"), &Value::Bool(true));
        assert_eq!(p.value.get("rule").as_list().unwrap()[0].get("id"), &Value::Unknown);
        assert_eq!(p.value.get("tags_all"), &Value::Map(BTreeMap::new()));
    }

    #[test]
    fn unchanged_config_plans_exactly_the_prior_state() {
        let prior = prior();
        let cfg = config_of(&prior);
        // Terraform's proposed value: config for non-computed, prior for computed.
        let proposed = prior.clone();
        let p = plan(&schema(), &prior, &proposed, &cfg, Some(&no_tags()));
        assert_eq!(p.value, prior, "a no-op must plan no change");
        assert!(!p.replace());
    }

    #[test]
    fn forces_replacement_only_for_changed_force_new_attributes() {
        let prior = prior();
        let mut proposed = prior.clone();
        proposed.set("name", "b".into());
        let mut cfg = config_of(&prior);
        cfg.set("name", "b".into());
        let p = plan(&schema(), &prior, &proposed, &cfg, Some(&no_tags()));
        assert_eq!(p.requires_replace, vec![AttrPath::root("name")]);
        assert_eq!(p.value.get("arn"), &Value::Unknown);
        // the same plan twice gives the same answer (Terraform re-plans at apply)
        let again = plan(&schema(), &prior, &proposed, &cfg, Some(&no_tags()));
        assert_eq!(again.value, p.value);
    }

    #[test]
    fn in_place_update_makes_volatile_values_unknown_and_keeps_the_rest() {
        let prior = prior();
        let mut proposed = prior.clone();
        proposed.set("note", "hello".into());
        let mut cfg = config_of(&prior);
        cfg.set("note", "hello".into());
        let p = plan(&schema(), &prior, &proposed, &cfg, Some(&no_tags()));
        assert!(!p.replace());
        assert_eq!(p.value.get("count"), &Value::Unknown);
        assert_eq!(p.value.get("arn"), &Value::string("arn:1"));
    }

    #[test]
    fn unknown_default_tags_leave_tags_all_unknown() {
        let cfg = Value::object([("name", "c".into()), ("tags", Value::Map([("app".into(), "wp".into())].into()))]);
        let p = plan(&schema(), &Value::Null, &cfg, &cfg, None);
        assert!(p.value.get("tags_all").is_unknown(), "the provider's default tags come later: {:?}", p.value);
        let known = plan(&schema(), &Value::Null, &cfg, &cfg, Some(&no_tags()));
        assert_eq!(known.value.get("tags_all").to_string_map().get("app").map(String::as_str), Some("wp"));
    }

    #[test]
    fn default_tags_flow_into_tags_all_and_a_change_there_is_an_update() {
        let prior = prior();
        let cfg = config_of(&prior);
        let defaults: BTreeMap<String, String> = [("owner".to_string(), "ops".to_string())].into();
        let p = plan(&schema(), &prior, &prior, &cfg, Some(&defaults));
        assert_eq!(p.value.get("tags_all").to_string_map(), defaults);
        assert_eq!(p.value.get("count"), &Value::Unknown, "tags_all changed, so this is an update");

        let mut proposed = prior.clone();
        proposed.set("tags", Value::Map([("owner".to_string(), Value::string("me")), ("x".to_string(), Value::Unknown)].into()));
        let p = plan(&schema(), &prior, &proposed, &cfg, Some(&defaults));
        assert_eq!(p.value.get("tags_all"), &Value::Unknown);
    }

    #[test]
    fn reconcile_keeps_planned_values_and_fills_unknowns() {
        let planned = obj(&[("a", "x".into()), ("b", Value::Unknown), ("c", Value::List(vec![Value::Unknown]))]);
        let actual = obj(&[("a", "X".into()), ("b", "y".into()), ("c", Value::List(vec![Value::int(1)]))]);
        let r = reconcile(&planned, &actual);
        assert_eq!(r, obj(&[("a", "x".into()), ("b", "y".into()), ("c", Value::List(vec![Value::int(1)]))]));
        assert!(reconcile(&Value::Unknown, &Value::Unknown).is_wholly_known());
    }

    #[test]
    fn an_equivalent_spelling_is_an_update_not_a_replacement() {
        let block = Block::new("").attr(
            Attribute::required("cluster", Type::String)
                .force_new()
                .equivalent_when(|a, b| a.as_str().map(|x| x.rsplit('/').next()) == b.as_str().map(|y| y.rsplit('/').next())),
        );
        let prior = obj(&[("cluster", "wp".into())]);
        let arn = obj(&[("cluster", "arn:aws:ecs:r:1:cluster/wp".into())]);
        let p = plan(&block, &prior, &arn, &arn, Some(&no_tags()));
        assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
        assert_eq!(p.value, arn, "the configured spelling is planned");
        let other = obj(&[("cluster", "arn:aws:ecs:r:1:cluster/other".into())]);
        let p = plan(&block, &prior, &other, &other, Some(&no_tags()));
        assert_eq!(p.requires_replace.len(), 1, "another cluster still replaces");
    }
}
