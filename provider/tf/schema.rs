//! Schema descriptions: what a resource, data source or the provider accepts.
//!
//! One description serves three purposes: it is sent to Terraform (GetProviderSchema), it gives the
//! type used to decode and encode values, and it drives planning (forces replacement, defaults,
//! computed values) and generic validation (validators run on known values only).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::types::Type;
use super::value::Value;

/// Checks one known, non-null value; `Err` holds a message that says how to fix it.
pub type Validator = Arc<dyn Fn(&Value) -> Result<(), String> + Send + Sync>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Required,
    Optional,
    Computed,
    OptionalComputed,
}

#[derive(Clone)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: Type,
    pub description: String,
    pub mode: Mode,
    pub sensitive: bool,
    /// A change needs a new object.
    pub force_new: bool,
    /// Value planned when the configuration leaves it out (the attribute is optional+computed).
    pub default: Option<Value>,
    /// Computed value AWS may change on any update (counters, timestamps): unknown in update plans.
    pub volatile: bool,
    pub validators: Vec<Validator>,
    /// Two spellings of the same thing (a name and its ARN): a change between them is planned in
    /// place instead of forcing replacement.
    pub equivalent: Option<fn(&Value, &Value) -> bool>,
}

impl Attribute {
    fn new(name: &'static str, ty: Type, mode: Mode) -> Attribute {
        Attribute {
            name,
            ty,
            description: String::new(),
            mode,
            sensitive: false,
            force_new: false,
            default: None,
            volatile: false,
            validators: Vec::new(),
            equivalent: None,
        }
    }
    pub fn required(name: &'static str, ty: Type) -> Attribute {
        Attribute::new(name, ty, Mode::Required)
    }
    pub fn optional(name: &'static str, ty: Type) -> Attribute {
        Attribute::new(name, ty, Mode::Optional)
    }
    pub fn computed(name: &'static str, ty: Type) -> Attribute {
        Attribute::new(name, ty, Mode::Computed)
    }
    /// Optional; when left out, the value comes from AWS (shown as "known after apply").
    pub fn optional_computed(name: &'static str, ty: Type) -> Attribute {
        Attribute::new(name, ty, Mode::OptionalComputed)
    }
    pub fn describe(mut self, markdown: impl Into<String>) -> Attribute {
        self.description = markdown.into();
        self
    }
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }
    pub fn force_new(mut self) -> Attribute {
        self.force_new = true;
        self
    }
    pub fn volatile(mut self) -> Attribute {
        self.volatile = true;
        self
    }
    /// Sets a default; the attribute becomes optional+computed so the plan can carry the default.
    pub fn default(mut self, v: impl Into<Value>) -> Attribute {
        self.default = Some(v.into());
        self.mode = Mode::OptionalComputed;
        self
    }
    pub fn validate(mut self, f: impl Fn(&Value) -> Result<(), String> + Send + Sync + 'static) -> Attribute {
        self.validators.push(Arc::new(f));
        self
    }
    /// Values `same` calls equal never force replacement (see [`Attribute::equivalent`]).
    pub fn equivalent_when(mut self, same: fn(&Value, &Value) -> bool) -> Attribute {
        self.equivalent = Some(same);
        self
    }
    pub fn is_computed(&self) -> bool {
        matches!(self.mode, Mode::Computed | Mode::OptionalComputed)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
}

#[derive(Clone)]
pub struct NestedBlock {
    pub name: &'static str,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
    pub force_new: bool,
}

impl NestedBlock {
    pub fn single(name: &'static str, block: Block) -> NestedBlock {
        NestedBlock { name, nesting: Nesting::Single, block, min_items: 0, max_items: 0, force_new: false }
    }
    pub fn list(name: &'static str, block: Block) -> NestedBlock {
        NestedBlock { name, nesting: Nesting::List, block, min_items: 0, max_items: 0, force_new: false }
    }
    pub fn set(name: &'static str, block: Block) -> NestedBlock {
        NestedBlock { name, nesting: Nesting::Set, block, min_items: 0, max_items: 0, force_new: false }
    }
    pub fn min_items(mut self, n: i64) -> NestedBlock {
        self.min_items = n;
        self
    }
    pub fn max_items(mut self, n: i64) -> NestedBlock {
        self.max_items = n;
        self
    }
    pub fn force_new(mut self) -> NestedBlock {
        self.force_new = true;
        self
    }
    pub fn value_type(&self) -> Type {
        let obj = self.block.implied_type();
        match self.nesting {
            Nesting::Single => obj,
            Nesting::List => Type::list(obj),
            Nesting::Set => Type::set(obj),
            Nesting::Map => Type::map(obj),
        }
    }
}

#[derive(Clone, Default)]
pub struct Block {
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
}

impl Block {
    pub fn new(description: impl Into<String>) -> Block {
        Block { description: description.into(), attributes: Vec::new(), blocks: Vec::new() }
    }
    pub fn attr(mut self, a: Attribute) -> Block {
        self.attributes.push(a);
        self
    }
    pub fn block(mut self, b: NestedBlock) -> Block {
        self.blocks.push(b);
        self
    }
    /// The object type of this block's values: one entry per attribute and per nested block.
    pub fn implied_type(&self) -> Type {
        let mut fields = BTreeMap::new();
        for a in &self.attributes {
            fields.insert(a.name.to_string(), a.ty.clone());
        }
        for b in &self.blocks {
            fields.insert(b.name.to_string(), b.value_type());
        }
        Type::Object(fields)
    }
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

/// A resource or data source schema, with the version recorded in state.
#[derive(Clone)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Schema {
        Schema { version, block }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implied_type_has_one_entry_per_attribute_and_block() {
        let b = Block::new("")
            .attr(Attribute::required("name", Type::String))
            .attr(Attribute::computed("arn", Type::String))
            .block(NestedBlock::list("rule", Block::new("").attr(Attribute::optional("port", Type::Number))))
            .block(NestedBlock::single("cfg", Block::new("")));
        let Type::Object(fields) = b.implied_type() else { panic!("not an object") };
        assert_eq!(fields.keys().cloned().collect::<Vec<_>>(), vec!["arn", "cfg", "name", "rule"]);
        assert!(matches!(fields["rule"], Type::List(_)));
        assert!(matches!(fields["cfg"], Type::Object(_)));
    }

    #[test]
    fn a_default_makes_an_attribute_optional_and_computed() {
        let a = Attribute::optional("essential", Type::Bool).default(true);
        assert_eq!(a.mode, Mode::OptionalComputed);
        assert!(a.is_computed());
    }
}
