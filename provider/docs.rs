//! The reference part of the Terraform Registry pages under `docs/`, generated from the schema
//! descriptions, so that the pages cannot drift from what the provider accepts.
//!
//! Each page holds hand-written prose (example, import, timeouts) and, between two marker lines,
//! the argument and attribute reference generated here. The test at the bottom fails when a page is
//! missing, when its generated part differs from the schema, or when a page documents a resource
//! that does not exist. `AWSECS_WRITE_DOCS=1 cargo test --lib docs` rewrites the generated parts.

use crate::tf::schema::{Attribute, Block, Mode, NestedBlock, Nesting};
use crate::tf::{Type, Value};

pub const BEGIN: &str = "<!-- BEGIN SCHEMA: generated from the provider's schema by `AWSECS_WRITE_DOCS=1 cargo test --lib docs`; edit the descriptions in the code, not here -->";
pub const END: &str = "<!-- END SCHEMA -->";

/// The page of resource or data source `type_name` under `docs/`, in the Registry layout.
pub fn page_path(kind: &str, type_name: &str) -> String {
    format!("docs/{kind}/{}.md", type_name.strip_prefix("awsecs_").unwrap_or(type_name))
}

fn type_words(t: &Type) -> String {
    match t {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(e) => format!("List of {}", type_words(e)),
        Type::Set(e) => format!("Set of {}", type_words(e)),
        Type::Map(e) => format!("Map of {}", type_words(e)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

fn value_words(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        other => format!("{other:?}"),
    }
}

fn attribute_line(a: &Attribute) -> String {
    let mut notes = vec![type_words(&a.ty)];
    match a.mode {
        Mode::Required => notes.push("Required".into()),
        Mode::Optional | Mode::OptionalComputed => notes.push("Optional".into()),
        Mode::Computed => {}
    }
    if let Some(d) = &a.default {
        notes.push(format!("default `{}`", value_words(d)));
    }
    if a.force_new {
        notes.push("forces replacement".into());
    }
    if a.sensitive {
        notes.push("sensitive".into());
    }
    format!("- `{}` ({}) {}\n", a.name, notes.join(", "), a.description.replace('\n', " "))
}

fn block_line(b: &NestedBlock) -> String {
    let how = match (b.nesting, b.min_items, b.max_items) {
        (Nesting::Single, _, _) => "Block, at most one".to_string(),
        (_, min, max) if min > 0 && max > 0 => format!("Blocks, {min} to {max}"),
        (_, min, _) if min > 0 => format!("Blocks, at least {min}"),
        (_, _, max) if max > 0 => format!("Blocks, at most {max}"),
        _ => "Blocks".to_string(),
    };
    let mut notes = vec![how];
    if b.force_new {
        notes.push("forces replacement".into());
    }
    format!(
        "- `{}` ({}) {} See [`{}`](#nested-block-{}) below.\n",
        b.name,
        notes.join(", "),
        b.block.description.replace('\n', " "),
        b.name,
        b.name.replace('_', "-")
    )
}

/// The generated reference of one schema: arguments, read-only attributes, then each nested block.
pub fn reference(block: &Block) -> String {
    let mut out = String::from("## Argument Reference\n\n");
    let args: Vec<_> = block.attributes.iter().filter(|a| a.mode != Mode::Computed).collect();
    if args.is_empty() && block.blocks.is_empty() {
        out.push_str("This has no arguments.\n");
    }
    for a in args {
        out.push_str(&attribute_line(a));
    }
    for b in &block.blocks {
        out.push_str(&block_line(b));
    }
    let attrs: Vec<_> = block.attributes.iter().filter(|a| a.is_computed()).collect();
    if !attrs.is_empty() {
        out.push_str("\n## Attribute Reference\n\nBesides the arguments above, these are exported (optional arguments left out show what AWS chose):\n\n");
        for a in attrs.iter().filter(|a| a.mode == Mode::Computed) {
            out.push_str(&attribute_line(a));
        }
    }
    let mut pending: Vec<&NestedBlock> = block.blocks.iter().collect();
    while let Some(b) = pending.first().copied() {
        pending.remove(0);
        out.push_str(&format!("\n### Nested block `{}`\n\n", b.name));
        for a in &b.block.attributes {
            out.push_str(&attribute_line(a));
        }
        for inner in &b.block.blocks {
            out.push_str(&block_line(inner));
        }
        pending.extend(b.block.blocks.iter());
    }
    out
}

/// `page` with its generated part replaced by `generated`, or None when the markers are missing.
pub fn with_reference(page: &str, generated: &str) -> Option<String> {
    let start = page.find(BEGIN)?;
    let end = page[start..].find(END)? + start;
    Some(format!("{}{BEGIN}\n{generated}{}", &page[..start], &page[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{all_data_sources, all_resources};
    use std::path::Path;

    fn pages() -> Vec<(String, Block)> {
        let mut out = vec![("docs/index.md".to_string(), crate::resources::provider_block::schema().block)];
        out.extend(all_resources().iter().map(|r| (page_path("resources", r.type_name()), r.schema().block)));
        out.extend(all_data_sources().iter().map(|d| (page_path("data-sources", d.type_name()), d.schema().block)));
        out
    }

    /// Every resource, data source and the provider block has a page whose reference matches the schema,
    /// and no page describes something the provider does not have.
    /// Every single block of every schema the provider serves goes out with matching MinItems and
    /// MaxItems, which Terraform 1.3+ requires.
    #[test]
    fn served_schemas_have_valid_single_blocks() {
        use crate::protocol::proto::tfplugin6 as pb;
        fn check(b: &pb::schema::Block) {
            for n in &b.block_types {
                if n.nesting == pb::schema::nested_block::NestingMode::Single as i32 {
                    assert_eq!(n.min_items, n.max_items, "single block {} sent {}/{}", n.type_name, n.min_items, n.max_items);
                }
                if let Some(inner) = &n.block {
                    check(inner);
                }
            }
        }
        for (_, block) in pages() {
            let served = crate::protocol::convert::schema(&crate::tf::Schema::new(0, block));
            check(served.block.as_ref().expect("block"));
        }
    }

    #[test]
    fn docs_match_the_schema() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let write = std::env::var_os("AWSECS_WRITE_DOCS").is_some();
        let mut problems = Vec::new();
        let expected = pages();
        for (rel, block) in &expected {
            let path = root.join(rel);
            let Ok(page) = std::fs::read_to_string(&path) else {
                problems.push(format!("{rel} is missing: write its prose with the markers\n{BEGIN}\n{END}\nthen run AWSECS_WRITE_DOCS=1 cargo test --lib docs"));
                continue;
            };
            let generated = reference(block);
            match with_reference(&page, &generated) {
                None => problems.push(format!("{rel} lacks the marker lines {BEGIN:?} / {END:?}")),
                Some(new) if new != page => {
                    if write {
                        std::fs::write(&path, new).expect("write docs page");
                    } else {
                        problems.push(format!("{rel} does not match the schema; run AWSECS_WRITE_DOCS=1 cargo test --lib docs"));
                    }
                }
                Some(_) => {}
            }
        }
        for kind in ["resources", "data-sources"] {
            let Ok(dir) = std::fs::read_dir(root.join("docs").join(kind)) else { continue };
            for entry in dir.flatten() {
                let rel = format!("docs/{kind}/{}", entry.file_name().to_string_lossy());
                if !expected.iter().any(|(p, _)| *p == rel) {
                    problems.push(format!("{rel} documents something the provider does not have"));
                }
            }
        }
        assert!(problems.is_empty(), "docs/ is out of step with the schema:\n- {}", problems.join("\n- "));
    }

    #[test]
    fn the_reference_lists_every_attribute_and_block() {
        let block = Block::new("")
            .attr(Attribute::required("name", Type::String).force_new().describe("The name."))
            .attr(Attribute::computed("arn", Type::String).describe("The ARN."))
            .attr(Attribute::optional("secret", Type::String).sensitive())
            .block(NestedBlock::list("rule", Block::new("A rule.").attr(Attribute::optional("port", Type::Number))).min_items(1));
        let text = reference(&block);
        assert!(text.contains("- `name` (String, Required, forces replacement) The name."), "{text}");
        assert!(text.contains("- `arn` (String) The ARN."), "{text}");
        assert!(text.contains("- `secret` (String, Optional, sensitive)"), "{text}");
        assert!(text.contains("- `rule` (Blocks, at least 1) A rule."), "{text}");
        assert!(text.contains("### Nested block `rule`\n\n- `port` (Number, Optional)"), "{text}");
    }

    #[test]
    fn the_generated_part_is_replaced_and_the_prose_kept() {
        let page = format!("# Title\n\nprose\n\n{BEGIN}\nold\n{END}\n\n## Import\n");
        let new = with_reference(&page, "new\n").unwrap();
        assert_eq!(new, format!("# Title\n\nprose\n\n{BEGIN}\nnew\n{END}\n\n## Import\n"));
        assert!(with_reference("no markers", "x").is_none());
    }
}
