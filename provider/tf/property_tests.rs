//! Property tests of the value decoders (a fuzz target that CI runs): random types and values
//! round-trip through msgpack, and random or mutated bytes never make a decoder panic. A fixed seed
//! and a bounded count keep the run the same every time and short (well under a second).

use std::collections::BTreeMap;

use super::types::Type;
use super::value::Value;
use super::{json, msgpack};

/// xorshift64*: small, deterministic, good enough to spread cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        (0..self.below(max as u64)).map(|_| self.next() as u8).collect()
    }
}

fn random_type(r: &mut Rng, depth: u32) -> Type {
    let leaf = depth >= 3;
    match r.below(if leaf { 3 } else { 8 }) {
        0 => Type::String,
        1 => Type::Number,
        2 => Type::Bool,
        3 => Type::list(random_type(r, depth + 1)),
        4 => Type::set(random_type(r, depth + 1)),
        5 => Type::map(random_type(r, depth + 1)),
        6 => Type::Object((0..r.below(4)).map(|i| (format!("a{i}"), random_type(r, depth + 1))).collect()),
        _ => Type::Tuple((0..r.below(3)).map(|_| random_type(r, depth + 1)).collect()),
    }
}

fn random_string(r: &mut Rng) -> String {
    let pool = ["", "web", "ärger", "a\"b", "line\nbreak", "🦀", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"];
    pool[r.below(pool.len() as u64) as usize].to_string()
}

fn random_value(r: &mut Rng, ty: &Type) -> Value {
    match r.below(12) {
        0 => return Value::Null,
        1 => return Value::Unknown,
        _ => {}
    }
    match ty {
        Type::String => Value::String(random_string(r)),
        Type::Number => match r.below(3) {
            0 => Value::int(r.next() as i64),
            1 => Value::int(r.below(1000) as i64 - 500),
            _ => Value::int(0),
        },
        Type::Bool => Value::Bool(r.below(2) == 0),
        Type::Dynamic => Value::Null,
        Type::List(t) => Value::List((0..r.below(3)).map(|_| random_value(r, t)).collect()),
        Type::Set(t) => {
            // Sets hold distinct known elements.
            let mut items: Vec<Value> = Vec::new();
            for _ in 0..r.below(3) {
                let v = random_value(r, t);
                if v.is_wholly_known() && !v.is_null() && !items.contains(&v) {
                    items.push(v);
                }
            }
            Value::Set(items)
        }
        Type::Map(t) => Value::Map((0..r.below(3)).map(|i| (format!("k{i}"), random_value(r, t))).collect::<BTreeMap<_, _>>()),
        Type::Object(fields) => Value::Object(fields.iter().map(|(k, t)| (k.clone(), random_value(r, t))).collect()),
        Type::Tuple(ts) => Value::Tuple(ts.iter().map(|t| random_value(r, t)).collect()),
    }
}

#[test]
fn random_values_round_trip_through_msgpack() {
    let mut r = Rng(0x5eed_1234_abcd_0001);
    for case in 0..2000 {
        let ty = random_type(&mut r, 0);
        let v = random_value(&mut r, &ty);
        let bytes = msgpack::encode(&v, &ty);
        let back = msgpack::decode(&bytes, &ty).unwrap_or_else(|e| panic!("case {case}: {v:?} of {ty:?} did not decode: {e}"));
        assert_eq!(back, v, "case {case}: {ty:?}");
    }
}

#[test]
fn mutated_and_random_bytes_never_panic() {
    let mut r = Rng(0x5eed_1234_abcd_0002);
    for _ in 0..3000 {
        let ty = random_type(&mut r, 0);
        let v = random_value(&mut r, &ty);
        let mut bytes = msgpack::encode(&v, &ty);
        // Flip, cut or extend the valid encoding, or replace it with noise.
        match r.below(4) {
            0 if !bytes.is_empty() => {
                let i = r.below(bytes.len() as u64) as usize;
                bytes[i] ^= 1 << r.below(8);
            }
            1 => bytes.truncate(r.below(bytes.len() as u64 + 1) as usize),
            2 => bytes.extend(r.bytes(8)),
            _ => bytes = r.bytes(64),
        }
        let other = random_type(&mut r, 0);
        let _ = msgpack::decode(&bytes, &ty);
        let _ = msgpack::decode(&bytes, &other);
        let _ = msgpack::decode(&bytes, &Type::Dynamic);
        let _ = json::decode(&bytes, &ty);
    }
}

#[test]
fn json_shapes_never_panic() {
    let mut r = Rng(0x5eed_1234_abcd_0003);
    let pieces = [
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"a0\"",
        "\"k0\"",
        "1",
        "-1e400",
        "1.5",
        "true",
        "null",
        "\"x\"",
        "{\"a0\":",
        "9999999999999999999999",
    ];
    for _ in 0..3000 {
        let text: String = (0..r.below(12)).map(|_| pieces[r.below(pieces.len() as u64) as usize]).collect();
        let ty = random_type(&mut r, 0);
        let _ = json::decode(text.as_bytes(), &ty);
        let _ = json::decode(text.as_bytes(), &Type::Dynamic);
    }
}
