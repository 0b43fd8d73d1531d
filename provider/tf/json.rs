//! The JSON encoding of Terraform values, as stored in state files (`RawState.json`).
//!
//! Decoding is schema-driven and forgiving in exactly the way state upgrades need: attributes the
//! current schema no longer has are dropped, attributes it added come back as null.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::types::Type;
use super::value::{Number, Value};

pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, String> {
    let j: Json = serde_json::from_slice(bytes).map_err(|e| format!("malformed JSON: {e}"))?;
    from_json(&j, ty, "")
}

fn at(path: &str, msg: impl std::fmt::Display) -> String {
    if path.is_empty() {
        msg.to_string()
    } else {
        format!("at {path}: {msg}")
    }
}

fn from_json(j: &Json, ty: &Type, path: &str) -> Result<Value, String> {
    if j.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        Type::String => match j {
            Json::String(s) => Ok(Value::String(s.clone())),
            // Terraform states written by older providers may hold scalars in string attributes.
            Json::Number(n) => Ok(Value::String(n.to_string())),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(at(path, "expected a string")),
        },
        Type::Number => match j {
            Json::Number(n) => Ok(Value::Number(if let Some(i) = n.as_i64() {
                Number::Int(i)
            } else if let Some(u) = n.as_u64() {
                Number::Big(u.to_string())
            } else {
                Number::Float(n.as_f64().unwrap_or(f64::NAN))
            })),
            Json::String(s) => Number::parse(s).map(Value::Number).ok_or_else(|| at(path, "expected a number")),
            _ => Err(at(path, "expected a number")),
        },
        Type::Bool => match j {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
            _ => Err(at(path, "expected a bool")),
        },
        Type::List(e) | Type::Set(e) => {
            let items = j.as_array().ok_or_else(|| at(path, "expected an array"))?;
            let vals =
                items.iter().enumerate().map(|(i, item)| from_json(item, e, &format!("{path}[{i}]"))).collect::<Result<Vec<_>, _>>()?;
            Ok(if matches!(ty, Type::List(_)) { Value::List(vals) } else { Value::Set(vals) })
        }
        Type::Tuple(elems) => {
            let items = j.as_array().filter(|a| a.len() == elems.len()).ok_or_else(|| at(path, "expected a tuple"))?;
            Ok(Value::Tuple(
                items
                    .iter()
                    .zip(elems)
                    .enumerate()
                    .map(|(i, (item, t))| from_json(item, t, &format!("{path}[{i}]")))
                    .collect::<Result<_, _>>()?,
            ))
        }
        Type::Map(e) => {
            let m = j.as_object().ok_or_else(|| at(path, "expected an object"))?;
            let mut out = BTreeMap::new();
            for (k, v) in m {
                out.insert(k.clone(), from_json(v, e, &format!("{path}[{k:?}]"))?);
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs) => {
            let m = j.as_object().ok_or_else(|| at(path, "expected an object"))?;
            let mut out = BTreeMap::new();
            for (name, t) in attrs {
                let sub = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
                let v = match m.get(name) {
                    Some(v) => from_json(v, t, &sub)?,
                    None => Value::Null,
                };
                out.insert(name.clone(), v);
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => {
            // {"type": <type JSON>, "value": <value>}
            let t = j.get("type").ok_or_else(|| at(path, "dynamic value without a type"))?;
            let t = Type::from_json(t).map_err(|e| at(path, e))?;
            from_json(j.get("value").unwrap_or(&Json::Null), &t, path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_attributes_are_dropped_and_new_ones_are_null() {
        let ty = Type::Object([("name".to_string(), Type::String), ("added".to_string(), Type::list(Type::String))].into());
        let raw = br#"{
            "name": "wp",
            "legacy_field": 12
        }"#;
        let v = decode(raw, &ty).unwrap();
        assert_eq!(v, Value::object([("name", Value::string("wp")), ("added", Value::Null)]));
    }

    #[test]
    fn numbers_and_nested_values() {
        let blk = Type::Object([("port".to_string(), Type::Number)].into());
        let ty = Type::Object(
            [("n".to_string(), Type::Number), ("b".to_string(), Type::set(blk)), ("m".to_string(), Type::map(Type::String))].into(),
        );
        let v = decode(br#"{"n": 1.25, "b": [{"port": 80}], "m": {"a": "b"}}"#, &ty).unwrap();
        assert_eq!(v.get("n"), &Value::Number(Number::Float(1.25)));
        assert_eq!(v.get("b").as_list().unwrap()[0].get("port").as_i64(), Some(80));
        assert_eq!(v.get("m").to_string_map().get("a").map(String::as_str), Some("b"));
    }

    #[test]
    fn wrong_shapes_are_errors() {
        let ty = Type::Object([("l".to_string(), Type::list(Type::String))].into());
        assert!(decode(br#"{"l": "x"}"#, &ty).is_err());
        assert!(decode(br#"{"l": [{}]}"#, &ty).is_err());
        assert!(decode(b"{", &ty).is_err());
    }
}
