//! Schema-driven validation: runs each attribute's validators on the known, non-null values of a
//! configuration, and reports failures at the attribute's path.

use crate::tf::{AttrPath, Block, Diagnostics, Nesting, Value};

pub fn run_validators(block: &Block, config: &Value, path: &AttrPath, diags: &mut Diagnostics) {
    for a in &block.attributes {
        let v = config.get(a.name);
        if v.is_null() || !v.is_wholly_known() {
            continue;
        }
        for check in &a.validators {
            if let Err(msg) = check(v) {
                let p = path.attr(a.name);
                diags.error_at(p.clone(), format!("Invalid value for {p}"), msg);
            }
        }
    }
    for b in &block.blocks {
        let v = config.get(b.name);
        let p = path.attr(b.name);
        match (b.nesting, v) {
            (Nesting::Single, Value::Object(_)) => run_validators(&b.block, v, &p, diags),
            (Nesting::List, Value::List(items)) => {
                for (i, item) in items.iter().enumerate() {
                    run_validators(&b.block, item, &p.index(i), diags);
                }
            }
            // Set elements have no index Terraform understands: point at the block.
            (Nesting::Set, Value::Set(items)) => {
                for item in items {
                    run_validators(&b.block, item, &p, diags);
                }
            }
            (Nesting::Map, Value::Map(items)) => {
                for (k, item) in items {
                    run_validators(&b.block, item, &p.key(k), diags);
                }
            }
            _ => {}
        }
    }
}

/// Validator: an integer in `min..=max`.
pub fn int_between(min: i64, max: i64) -> impl Fn(&Value) -> Result<(), String> + Send + Sync + 'static {
    move |v| match v.as_i64() {
        Some(n) if (min..=max).contains(&n) => Ok(()),
        Some(n) => Err(format!("Must be between {min} and {max}; got {n}.")),
        None => Err(format!("Must be a whole number between {min} and {max}.")),
    }
}

/// Validator: one of the listed strings.
pub fn one_of(options: &'static [&'static str]) -> impl Fn(&Value) -> Result<(), String> + Send + Sync + 'static {
    move |v| {
        let s = v.as_str().unwrap_or("");
        if options.contains(&s) {
            Ok(())
        } else {
            Err(format!("{s:?} is not allowed; use one of: {}.", options.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tf::{Attribute, NestedBlock, Type};

    #[test]
    fn errors_carry_the_attribute_path_and_skip_unknowns() {
        let b = Block::new("")
            .attr(Attribute::required("name", Type::String).validate(one_of(&["ok"])))
            .block(NestedBlock::list("port", Block::new("").attr(Attribute::required("n", Type::Number).validate(int_between(1, 65535)))));
        let cfg = Value::object([
            ("name", "bad name".into()),
            ("port", Value::List(vec![Value::object([("n", Value::int(80))]), Value::object([("n", Value::int(0))])])),
        ]);
        let mut d = Diagnostics::new();
        run_validators(&b, &cfg, &AttrPath::default(), &mut d);
        assert_eq!(d.0.len(), 2, "{:?}", d.0);
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "name");
        assert!(d.0[0].detail.contains("bad name"), "{}", d.0[0].detail);
        assert_eq!(d.0[1].path.as_ref().unwrap().to_string(), "port[1].n");

        let unknown = Value::object([("name", Value::Unknown), ("port", Value::Unknown)]);
        let mut d = Diagnostics::new();
        run_validators(&b, &unknown, &AttrPath::default(), &mut d);
        assert!(d.is_empty());
    }

    #[test]
    fn choice_rules() {
        assert!(one_of(&["tcp", "udp"])(&"sctp".into()).is_err());
        assert!(one_of(&["tcp", "udp"])(&"udp".into()).is_ok());
        assert!(int_between(1, 3)(&Value::int(4)).is_err());
    }
}
