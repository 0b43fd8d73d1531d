//! Terraform's side of things, independent of AWS and of the protocol version: values and their
//! encodings, types, schemas, diagnostics and attribute paths.

pub mod diag;
pub mod json;
pub mod msgpack;
pub mod schema;
pub mod types;
pub mod value;

#[cfg(test)]
mod property_tests;

pub use diag::{AttrPath, Diagnostic, Diagnostics, Severity, Step};
pub use schema::{Attribute, Block, Mode, NestedBlock, Nesting, Schema};
pub use types::Type;
pub use value::{Number, Value};
