//! A TEST DOUBLE, not a provider: `awsecs-test-double-aws` stands in for hashicorp/aws
//! (registry.terraform.io/hashicorp/aws) in the migration acceptance test, where Terraform must load
//! a state holding `aws_ecs_cluster`, `aws_ecs_service` and `aws_ecs_task_definition` objects before
//! `moved` blocks hand them to awsecs, and hashicorp's binary cannot be fetched.
//!
//! It serves the published schemas of exactly those three types (`schemas.json`, hashicorp/aws
//! 6.47.0, facts in FACTS.md), built on this repository's own framework and plugin server, and
//! nothing else: reads hand the stored state back unchanged, and every create, update, delete or
//! import is an error. Terraform is pointed at it through `dev_overrides` only in that test.

use std::collections::BTreeMap;

use async_trait::async_trait;
use awsecs::framework::{Context, Failed, IdentitySchema, ProviderConfig, ProviderCore, Resource, Stop};
use awsecs::tf::{Attribute, Block, Diagnostics, NestedBlock, Schema, Type, Value};
use serde_json::Value as Json;

const SCHEMAS: &str = include_str!("schemas.json");

#[derive(Clone)]
struct DoubleCtx(Stop);

impl Context for DoubleCtx {
    fn default_tags(&self) -> Option<&BTreeMap<String, String>> {
        None
    }
    fn stop(&self) -> &Stop {
        &self.0
    }
}

struct DoubleProvider;

#[async_trait]
impl ProviderConfig for DoubleProvider {
    type Ctx = DoubleCtx;
    fn schema(&self) -> Schema {
        Schema::new(0, Block::new("Schema-only test double of hashicorp/aws (no provider arguments)."))
    }
    async fn configure(&self, _config: &Value, stop: Stop) -> Result<DoubleCtx, Diagnostics> {
        Ok(DoubleCtx(stop))
    }
}

struct SchemaOnly {
    name: &'static str,
    schema: Schema,
}

fn refuse(what: &str, name: &str) -> Diagnostics {
    Diagnostics::of_error(
        format!("The hashicorp/aws test double cannot {what} a {name}"),
        "This binary only serves schemas, for the migration acceptance test. Move the object to awsecs with a `moved` block.",
    )
}

#[async_trait]
impl Resource<DoubleCtx> for SchemaOnly {
    fn type_name(&self) -> &'static str {
        self.name
    }
    fn schema(&self) -> Schema {
        self.schema.clone()
    }
    fn identity(&self) -> IdentitySchema {
        IdentitySchema::strings(&[("id", "The object's id as hashicorp/aws stores it.")])
    }
    async fn create(&self, _: &DoubleCtx, _: &Value) -> Result<Value, Failed> {
        Err(refuse("create", self.name).into())
    }
    async fn read(&self, _: &DoubleCtx, state: &Value) -> Result<Option<Value>, Diagnostics> {
        Ok(Some(state.clone()))
    }
    async fn update(&self, _: &DoubleCtx, _: &Value, _: &Value) -> Result<Value, Failed> {
        Err(refuse("update", self.name).into())
    }
    async fn delete(&self, _: &DoubleCtx, _: &Value) -> Result<(), Diagnostics> {
        Err(refuse("delete", self.name))
    }
    async fn import(&self, _: &DoubleCtx, _: &str) -> Result<Value, Diagnostics> {
        Err(refuse("import", self.name))
    }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// A block in `terraform providers schema -json` form as a framework block.
fn block(j: &Json) -> Result<Block, String> {
    let mut b = Block::new("");
    for (name, a) in j["attributes"].as_object().into_iter().flatten() {
        let ty = Type::from_json(&a["type"]).map_err(|e| format!("{name}: {e}"))?;
        let flag = |k: &str| a[k].as_bool().unwrap_or(false);
        let name = leak(name);
        let mut attr = match (flag("required"), flag("optional"), flag("computed")) {
            (true, _, _) => Attribute::required(name, ty),
            (_, true, true) => Attribute::optional_computed(name, ty),
            (_, true, false) => Attribute::optional(name, ty),
            _ => Attribute::computed(name, ty),
        };
        if flag("sensitive") {
            attr = attr.sensitive();
        }
        b = b.attr(attr);
    }
    for (name, nb) in j["block_types"].as_object().into_iter().flatten() {
        let inner = block(&nb["block"])?;
        let name = leak(name);
        let mut n = match nb["nesting_mode"].as_str() {
            Some("single") => NestedBlock::single(name, inner),
            Some("list") => NestedBlock::list(name, inner),
            Some("set") => NestedBlock::set(name, inner),
            other => return Err(format!("{name}: nesting mode {other:?} is not used by these types")),
        };
        n = n.min_items(nb["min_items"].as_i64().unwrap_or(0)).max_items(nb["max_items"].as_i64().unwrap_or(0));
        b = b.block(n);
    }
    Ok(b)
}

fn resources() -> Vec<Box<dyn Resource<DoubleCtx>>> {
    let doc: Json = serde_json::from_str(SCHEMAS).expect("schemas.json is JSON");
    doc["resource_schemas"]
        .as_object()
        .expect("resource_schemas")
        .iter()
        .map(|(name, s)| {
            let b = block(&s["block"]).unwrap_or_else(|e| panic!("schemas.json, {name}: {e}"));
            Box::new(SchemaOnly { name: leak(name), schema: Schema::new(s["version"].as_i64().unwrap_or(0), b) })
                as Box<dyn Resource<DoubleCtx>>
        })
        .collect()
}

fn main() {
    std::process::exit(awsecs::plugin::run_plugin(|| ProviderCore::new(DoubleProvider, resources(), Vec::new())));
}
