//! The msgpack encoding of Terraform values (`DynamicValue.msgpack`), driven by the schema's type.
//!
//! Decoding accepts every form Terraform (or a newer one) may write: ints of any width, floats,
//! decimal strings for numbers, bin for strings, and any extension value as "unknown" (newer
//! Terraform sends ext 12 with refinements, which are dropped). Encoding writes exactly one entry per
//! object attribute and the 3 bytes `d4 00 00` for unknown. Malformed input is an error, never a panic.

use std::collections::BTreeMap;

use rmpv::Value as Mp;

use super::types::Type;
use super::value::{Number, Value};

/// Decodes `bytes` as a value of type `ty`. Empty input is null (Terraform's "absent" value).
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, String> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let mut rd = bytes;
    let mp = rmpv::decode::read_value(&mut rd).map_err(|e| format!("malformed msgpack: {e}"))?;
    if !rd.is_empty() {
        return Err(format!("malformed msgpack: {} trailing bytes", rd.len()));
    }
    from_mp(mp, ty, &mut String::new())
}

pub fn encode(v: &Value, ty: &Type) -> Vec<u8> {
    let mp = to_mp(v, ty);
    let mut out = Vec::with_capacity(64);
    // Writing into a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut out, &mp);
    out
}

fn err(path: &str, msg: impl std::fmt::Display) -> String {
    if path.is_empty() {
        msg.to_string()
    } else {
        format!("at {path}: {msg}")
    }
}

fn from_mp(mp: Mp, ty: &Type, path: &mut String) -> Result<Value, String> {
    match mp {
        Mp::Nil => return Ok(Value::Null),
        Mp::Ext(_, _) => return Ok(Value::Unknown),
        _ => {}
    }
    match ty {
        Type::String => match mp {
            Mp::String(s) => s.into_str().map(Value::String).ok_or_else(|| err(path, "string is not UTF-8")),
            Mp::Binary(b) => String::from_utf8(b).map(Value::String).map_err(|_| err(path, "string is not UTF-8")),
            other => Err(err(path, format!("expected a string, found {}", kind(&other)))),
        },
        Type::Number => match mp {
            Mp::Integer(i) => match (i.as_i64(), i.as_u64()) {
                (Some(v), _) => Ok(Value::Number(Number::Int(v))),
                (None, Some(u)) => Ok(Value::Number(Number::Big(u.to_string()))),
                _ => Err(err(path, "integer out of range")),
            },
            Mp::F32(f) => Ok(Value::Number(Number::Float(f as f64))),
            Mp::F64(f) => Ok(Value::Number(Number::Float(f))),
            Mp::String(s) => s.as_str().and_then(Number::parse).map(Value::Number).ok_or_else(|| err(path, "number text is not a number")),
            other => Err(err(path, format!("expected a number, found {}", kind(&other)))),
        },
        Type::Bool => match mp {
            Mp::Boolean(b) => Ok(Value::Bool(b)),
            other => Err(err(path, format!("expected a bool, found {}", kind(&other)))),
        },
        Type::List(e) | Type::Set(e) => {
            let items = match mp {
                Mp::Array(a) => a,
                other => return Err(err(path, format!("expected a collection, found {}", kind(&other)))),
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                out.push(from_mp(item, e, path)?);
                path.truncate(len);
            }
            Ok(if matches!(ty, Type::List(_)) { Value::List(out) } else { Value::Set(out) })
        }
        Type::Tuple(elems) => {
            let items = match mp {
                Mp::Array(a) if a.len() == elems.len() => a,
                other => return Err(err(path, format!("expected a tuple of {}, found {}", elems.len(), kind(&other)))),
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, t)) in items.into_iter().zip(elems).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                out.push(from_mp(item, t, path)?);
                path.truncate(len);
            }
            Ok(Value::Tuple(out))
        }
        Type::Map(e) => {
            let entries = string_keyed(mp, path)?;
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let len = path.len();
                path.push_str(&format!("[{k:?}]"));
                let val = from_mp(v, e, path)?;
                path.truncate(len);
                out.insert(k, val);
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs) => {
            let mut given: BTreeMap<String, Mp> = string_keyed(mp, path)?.into_iter().collect();
            let mut out = BTreeMap::new();
            for (name, t) in attrs {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
                let val = match given.remove(name) {
                    Some(v) => from_mp(v, t, path)?,
                    None => Value::Null,
                };
                path.truncate(len);
                out.insert(name.clone(), val);
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => {
            // [type JSON, value]
            let mut items = match mp {
                Mp::Array(a) if a.len() == 2 => a,
                other => return Err(err(path, format!("expected a dynamic value pair, found {}", kind(&other)))),
            };
            let inner = items.pop().unwrap_or(Mp::Nil);
            let type_json = match items.pop() {
                Some(Mp::Binary(b)) => b,
                Some(Mp::String(s)) => s.into_bytes(),
                _ => return Err(err(path, "dynamic value without a type")),
            };
            let j: serde_json::Value = serde_json::from_slice(&type_json).map_err(|e| err(path, format!("dynamic type: {e}")))?;
            let t = Type::from_json(&j).map_err(|e| err(path, e))?;
            from_mp(inner, &t, path)
        }
    }
}

fn string_keyed(mp: Mp, path: &str) -> Result<Vec<(String, Mp)>, String> {
    match mp {
        Mp::Map(entries) => entries
            .into_iter()
            .map(|(k, v)| match k {
                Mp::String(s) => s.into_str().map(|s| (s, v)).ok_or_else(|| err(path, "key is not UTF-8")),
                other => Err(err(path, format!("map key is {}, not a string", kind(&other)))),
            })
            .collect(),
        other => Err(err(path, format!("expected a map, found {}", kind(&other)))),
    }
}

fn kind(mp: &Mp) -> &'static str {
    match mp {
        Mp::Nil => "nil",
        Mp::Boolean(_) => "a bool",
        Mp::Integer(_) => "an integer",
        Mp::F32(_) | Mp::F64(_) => "a float",
        Mp::String(_) => "a string",
        Mp::Binary(_) => "binary",
        Mp::Array(_) => "an array",
        Mp::Map(_) => "a map",
        Mp::Ext(_, _) => "an extension",
    }
}

fn to_mp(v: &Value, ty: &Type) -> Mp {
    match (v, ty) {
        (Value::Null, _) => Mp::Nil,
        (Value::Unknown, _) => Mp::Ext(0, vec![0]),
        (_, Type::Dynamic) => {
            let t = infer_type(v);
            Mp::Array(vec![Mp::Binary(t.to_json_bytes()), to_mp(v, &t)])
        }
        (Value::Bool(b), _) => Mp::Boolean(*b),
        (Value::Number(n), _) => match n {
            Number::Int(i) => Mp::Integer((*i).into()),
            Number::Float(f) => Mp::F64(*f),
            Number::Big(s) => Mp::String(s.clone().into()),
        },
        (Value::String(s), _) => Mp::String(s.clone().into()),
        (Value::List(items) | Value::Set(items), Type::List(e) | Type::Set(e)) => Mp::Array(items.iter().map(|i| to_mp(i, e)).collect()),
        (Value::List(items) | Value::Set(items) | Value::Tuple(items), Type::Tuple(elems)) => {
            Mp::Array(items.iter().zip(elems).map(|(i, t)| to_mp(i, t)).collect())
        }
        (Value::Map(m) | Value::Object(m), Type::Map(e)) => {
            Mp::Map(m.iter().map(|(k, v)| (Mp::String(k.clone().into()), to_mp(v, e))).collect())
        }
        (Value::Map(m) | Value::Object(m), Type::Object(attrs)) => {
            Mp::Map(attrs.iter().map(|(k, t)| (Mp::String(k.clone().into()), m.get(k).map(|v| to_mp(v, t)).unwrap_or(Mp::Nil))).collect())
        }
        // A value that does not fit its type: null is the only safe answer.
        _ => Mp::Nil,
    }
}

/// The type a dynamic value is sent with.
fn infer_type(v: &Value) -> Type {
    match v {
        Value::Null | Value::Unknown => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => Type::list(items.first().map(infer_type).unwrap_or(Type::Dynamic)),
        Value::Set(items) => Type::set(items.first().map(infer_type).unwrap_or(Type::Dynamic)),
        Value::Map(m) => Type::map(m.values().next().map(infer_type).unwrap_or(Type::Dynamic)),
        Value::Object(m) => Type::Object(m.iter().map(|(k, v)| (k.clone(), infer_type(v))).collect()),
        Value::Tuple(items) => Type::Tuple(items.iter().map(infer_type).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj_type(fields: &[(&str, Type)]) -> Type {
        Type::Object(fields.iter().map(|(k, t)| (k.to_string(), t.clone())).collect())
    }

    #[test]
    fn every_type_round_trips() {
        let inner = obj_type(&[("port", Type::Number), ("proto", Type::String)]);
        let ty = obj_type(&[
            ("s", Type::String),
            ("n", Type::Number),
            ("f", Type::Number),
            ("big", Type::Number),
            ("b", Type::Bool),
            ("l", Type::list(Type::String)),
            ("set", Type::set(inner.clone())),
            ("m", Type::map(Type::Bool)),
            ("t", Type::Tuple(vec![Type::String, Type::Number])),
            ("nil", Type::String),
            ("unk", Type::list(Type::String)),
            ("single", inner.clone()),
            ("d", Type::Dynamic),
        ]);
        let block = Value::object([("port", Value::int(80)), ("proto", Value::string("tcp"))]);
        let v = Value::object([
            ("s", Value::string("héllo")),
            ("n", Value::int(-42)),
            ("f", Value::Number(Number::Float(1.5))),
            ("big", Value::Number(Number::Big("18446744073709551615".into()))),
            ("b", Value::Bool(true)),
            ("l", Value::List(vec![Value::string("a"), Value::Unknown, Value::Null])),
            ("set", Value::Set(vec![block.clone()])),
            ("m", Value::Map([("k".to_string(), Value::Bool(false))].into())),
            ("t", Value::Tuple(vec![Value::string("x"), Value::int(1)])),
            ("nil", Value::Null),
            ("unk", Value::Unknown),
            ("single", block),
            ("d", Value::List(vec![Value::string("dyn")])),
        ]);
        let bytes = encode(&v, &ty);
        assert_eq!(decode(&bytes, &ty).unwrap(), v);
    }

    #[test]
    fn unknown_is_written_as_d40000_and_any_ext_reads_as_unknown() {
        assert_eq!(encode(&Value::Unknown, &Type::String), vec![0xd4, 0x00, 0x00]);
        // ext type 12 with a refinement payload (newer Terraform)
        let refined = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2];
        assert_eq!(decode(&refined, &Type::String).unwrap(), Value::Unknown);
        assert_eq!(decode(&[0xc7, 0x00, 0x00], &Type::Number).unwrap(), Value::Unknown);
    }

    #[test]
    fn numbers_in_every_width() {
        let cases: &[(&[u8], Number)] = &[
            (&[0x05], Number::Int(5)),
            (&[0xff], Number::Int(-1)),
            (&[0xcc, 0xc8], Number::Int(200)),
            (&[0xcd, 0x01, 0x00], Number::Int(256)),
            (&[0xce, 0x00, 0x01, 0x00, 0x00], Number::Int(65536)),
            (&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], Number::Big("18446744073709551615".into())),
            (&[0xd0, 0x80], Number::Int(-128)),
            (&[0xd1, 0x80, 0x00], Number::Int(-32768)),
            (&[0xd2, 0x80, 0x00, 0x00, 0x00], Number::Int(-2147483648)),
            (&[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0], Number::Int(i64::MIN)),
            (&[0xca, 0x3f, 0xc0, 0x00, 0x00], Number::Float(1.5)),
            (&[0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0], Number::Float(1.5)),
            (&[0xa4, b'1', b'0', b'.', b'5'], Number::Float(10.5)),
        ];
        for (bytes, want) in cases {
            assert_eq!(decode(bytes, &Type::Number).unwrap(), Value::Number(want.clone()), "{bytes:02x?}");
        }
    }

    #[test]
    fn objects_always_carry_every_attribute() {
        let ty = obj_type(&[("a", Type::String), ("b", Type::String)]);
        // encode: missing attribute becomes nil, extra attribute is dropped
        let v = Value::object([("a", Value::string("x")), ("zzz", Value::Bool(true))]);
        let back = decode(&encode(&v, &ty), &ty).unwrap();
        assert_eq!(back, Value::object([("a", Value::string("x")), ("b", Value::Null)]));
        // decode: an attribute missing on the wire reads as null
        let wire = [0x81, 0xa1, b'a', 0xa1, b'y'];
        assert_eq!(decode(&wire, &ty).unwrap(), Value::object([("a", Value::string("y")), ("b", Value::Null)]));
    }

    #[test]
    fn nested_block_shapes() {
        let blk = obj_type(&[("x", Type::Number)]);
        let ty = obj_type(&[("list", Type::list(blk.clone())), ("single", blk.clone()), ("map", Type::map(blk))]);
        let v = Value::object([
            ("list", Value::List(vec![])),
            ("single", Value::Null),
            ("map", Value::Map([("k".into(), Value::object([("x", Value::int(1))]))].into())),
        ]);
        let bytes = encode(&v, &ty);
        assert_eq!(decode(&bytes, &ty).unwrap(), v);
        // empty list block is an empty array, not nil
        assert!(bytes.windows(5).any(|w| w == [0xa4, b'l', b'i', b's', b't']));
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let wire = {
            let mut out = Vec::new();
            let mp = Mp::Array(vec![Mp::Binary(br#"["list","string"]"#.to_vec()), Mp::Array(vec![Mp::String("a".into())])]);
            rmpv::encode::write_value(&mut out, &mp).unwrap();
            out
        };
        assert_eq!(decode(&wire, &Type::Dynamic).unwrap(), Value::List(vec![Value::string("a")]));
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let ty = obj_type(&[("a", Type::list(Type::String))]);
        for bad in [
            &[0x81u8][..],                               // map missing its entry
            &[0x92, 0xa1, b'x'],                         // array cut short
            &[0x81, 0x01, 0x02],                         // non-string key
            &[0x81, 0xa1, b'a', 0xa1, b'x'],             // string where a list belongs
            &[0x81, 0xa1, b'a', 0x91, 0xc3],             // bool in a list of strings
            &[0xdd, 0xff, 0xff, 0xff, 0xff],             // array claiming 4G elements
            &[0x80, 0x00],                               // trailing bytes
            &[0x81, 0xa1, b'a', 0x91, 0xa2, 0xff, 0xfe], // invalid UTF-8
        ] {
            assert!(decode(bad, &ty).is_err(), "{bad:02x?} should fail");
        }
        assert!(decode(&[0x92, 0xc4, 0x01, b'[', 0xc0], &Type::Dynamic).is_err());
        assert!(decode(&[0xa1, b'x'], &Type::Number).is_err());
    }

    #[test]
    fn empty_bytes_are_null() {
        assert_eq!(decode(&[], &Type::String).unwrap(), Value::Null);
    }
}
