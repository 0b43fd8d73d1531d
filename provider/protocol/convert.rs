//! Core types <-> tfplugin6 messages (tfplugin5 goes through the same messages, see v5.rs).

use super::proto::tfplugin6 as pb;
use crate::framework::IdentitySchema;
use crate::tf::{json, msgpack, AttrPath, Attribute, Block, Diagnostics, Mode, NestedBlock, Nesting, Schema, Severity, Step, Type, Value};

pub fn schema(s: &Schema) -> pb::Schema {
    pb::Schema { version: s.version, block: Some(block(&s.block)) }
}

fn block(b: &Block) -> pb::schema::Block {
    pb::schema::Block {
        version: 0,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b.blocks.iter().map(nested_block).collect(),
        description: b.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: false,
        deprecation_message: String::new(),
    }
}

fn attribute(a: &Attribute) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: a.name.to_string(),
        r#type: a.ty.to_json_bytes(),
        nested_type: None,
        description: a.description.clone(),
        required: a.mode == Mode::Required,
        optional: matches!(a.mode, Mode::Optional | Mode::OptionalComputed),
        computed: a.is_computed(),
        sensitive: a.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: false,
        write_only: false,
        deprecation_message: String::new(),
    }
}

fn nested_block(n: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    // A single block holds at most one object by its nature; Terraform (1.3+ checks it) wants its
    // MinItems and MaxItems equal: both 0, or both 1 for a required block.
    let (min_items, max_items) = match n.nesting {
        Nesting::Single if n.min_items >= 1 => (1, 1),
        Nesting::Single => (0, 0),
        _ => (n.min_items, n.max_items),
    };
    pb::schema::NestedBlock {
        type_name: n.name.to_string(),
        block: Some(block(&n.block)),
        nesting: match n.nesting {
            Nesting::Single => NestingMode::Single,
            Nesting::List => NestingMode::List,
            Nesting::Set => NestingMode::Set,
            Nesting::Map => NestingMode::Map,
        } as i32,
        min_items,
        max_items,
    }
}

pub fn identity_schema(i: &IdentitySchema) -> pb::ResourceIdentitySchema {
    pb::ResourceIdentitySchema {
        version: i.version,
        identity_attributes: i
            .attributes
            .iter()
            .map(|a| pb::resource_identity_schema::IdentityAttribute {
                name: a.name.to_string(),
                r#type: a.ty.to_json_bytes(),
                required_for_import: a.required_for_import,
                optional_for_import: !a.required_for_import,
                description: a.description.to_string(),
            })
            .collect(),
    }
}

/// An identity for Terraform (None: no identity to send).
pub fn identity_data(v: Option<Value>, i: Option<&IdentitySchema>) -> Option<pb::ResourceIdentityData> {
    let (v, i) = (v?, i?);
    Some(pb::ResourceIdentityData { identity_data: encode(&v, &i.ty()) })
}

/// An identity from Terraform; None when it sent none.
pub fn decode_identity(d: Option<&pb::ResourceIdentityData>, i: &IdentitySchema) -> Result<Option<Value>, Diagnostics> {
    match d.and_then(|d| d.identity_data.as_ref()) {
        None => Ok(None),
        Some(dv) => decode(Some(dv), &i.ty(), "resource identity").map(|v| (!v.is_null()).then_some(v)),
    }
}

pub fn diagnostics(d: &Diagnostics) -> Vec<pb::Diagnostic> {
    d.0.iter()
        .map(|d| pb::Diagnostic {
            severity: match d.severity {
                Severity::Error => pb::diagnostic::Severity::Error,
                Severity::Warning => pb::diagnostic::Severity::Warning,
            } as i32,
            summary: d.summary.clone(),
            detail: d.detail.clone(),
            attribute: d.path.as_ref().map(path),
        })
        .collect()
}

pub fn path(p: &AttrPath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: p
            .0
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    Step::Attr(a) => Selector::AttributeName(a.clone()),
                    Step::Key(k) => Selector::ElementKeyString(k.clone()),
                    Step::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

/// A value from Terraform: msgpack (what Terraform always sends), else JSON, else null.
pub fn decode(dv: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostics> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    let res = if !dv.msgpack.is_empty() {
        msgpack::decode(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        json::decode(&dv.json, ty)
    } else {
        Ok(Value::Null)
    };
    res.map_err(|e| {
        Diagnostics::of_error(
            format!("Cannot decode the {what} Terraform sent"),
            format!("{e}. This is a bug in the provider or in Terraform; please report it with the Terraform version."),
        )
    })
}

/// A value for Terraform, always as msgpack (JSON cannot carry unknowns).
pub fn encode(v: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue { msgpack: msgpack::encode(v, ty), json: Vec::new() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tf::Block;

    /// Terraform 1.3+ refuses a schema whose single blocks have MinItems != MaxItems ("MinItems and
    /// MaxItems must match in NestingSingle mode"): a single block is sent 0/0 (the docs tests check
    /// every schema the provider serves).
    #[test]
    fn single_blocks_are_sent_with_matching_item_counts() {
        let n = NestedBlock::single("opts", Block::new("")).max_items(1);
        let sent = nested_block(&n);
        assert_eq!((sent.min_items, sent.max_items), (0, 0));
    }
}
