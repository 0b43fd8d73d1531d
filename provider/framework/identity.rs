//! Resource identities (protocol 6.9 / 5.9, Terraform 1.12+): a small, versioned object that names
//! a managed object, stored beside its state and usable in `import { identity = {...} }`.
//!
//! Each resource declares its identity as a few of its own state attributes; the identity of an
//! object is those attributes read from its state, and an import by identity becomes the import ID
//! the resource already understands (the required attributes joined with `/`).

use crate::tf::{Diagnostics, Type, Value};

#[derive(Clone, Debug)]
pub struct IdentityAttribute {
    /// Also the state attribute the value comes from.
    pub name: &'static str,
    pub ty: Type,
    pub required_for_import: bool,
    pub description: &'static str,
}

#[derive(Clone, Debug)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
    /// How an identity becomes an import ID when joining the required attributes with `/` is not
    /// it (None: the identity lacks what the ID needs).
    pub import_id_from: Option<fn(&Value) -> Option<String>>,
}

impl IdentitySchema {
    /// Version 0, every attribute a string required for import, in import-ID order.
    pub fn strings(attributes: &[(&'static str, &'static str)]) -> IdentitySchema {
        IdentitySchema {
            version: 0,
            attributes: attributes
                .iter()
                .map(|(name, description)| IdentityAttribute { name, ty: Type::String, required_for_import: true, description })
                .collect(),
            import_id_from: None,
        }
    }

    /// The same with its own identity-to-import-ID rule.
    pub fn with_import_id(mut self, f: fn(&Value) -> Option<String>) -> IdentitySchema {
        self.import_id_from = Some(f);
        self
    }

    pub fn ty(&self) -> Type {
        Type::Object(self.attributes.iter().map(|a| (a.name.to_string(), a.ty.clone())).collect())
    }

    /// The identity of the object `state` describes; None while any part of it is unknown or null
    /// (a plan that creates the object: its identity exists only after the apply).
    pub fn of_state(&self, state: &Value) -> Option<Value> {
        if state.is_null() {
            return None;
        }
        let mut out = Value::object([]);
        for a in &self.attributes {
            let v = state.get(a.name);
            if !v.is_wholly_known() || (a.required_for_import && v.is_null()) {
                return None;
            }
            out.set(a.name, v.clone());
        }
        Some(out)
    }

    /// The import ID an identity stands for.
    pub fn import_id(&self, type_name: &str, identity: &Value) -> Result<String, Diagnostics> {
        if let Some(f) = self.import_id_from {
            return f(identity).ok_or_else(|| {
                Diagnostics::of_error(
                    format!("Cannot import {type_name}: the identity is incomplete"),
                    format!(
                        "An import by identity of {type_name} needs {}.",
                        self.attributes.iter().map(|a| format!("`{}`", a.name)).collect::<Vec<_>>().join(" and ")
                    ),
                )
            });
        }
        let mut parts = Vec::new();
        for a in self.attributes.iter().filter(|a| a.required_for_import) {
            match identity.get(a.name).as_str() {
                Some(s) if !s.is_empty() => parts.push(s.to_string()),
                _ => {
                    return Err(Diagnostics::of_error(
                        format!("Cannot import {type_name}: identity attribute {:?} is missing", a.name),
                        format!(
                            "An import by identity of {type_name} needs {}.",
                            self.attributes
                                .iter()
                                .filter(|a| a.required_for_import)
                                .map(|a| format!("`{}`", a.name))
                                .collect::<Vec<_>>()
                                .join(" and ")
                        ),
                    ))
                }
            }
        }
        Ok(parts.join("/"))
    }

    /// An identity stored by an older provider version, as JSON, in the current shape. There has
    /// been one version so far: anything else is refused rather than guessed.
    pub fn upgrade(&self, type_name: &str, version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        if version > self.version {
            return Err(Diagnostics::of_error(
                format!("The stored identity of a {type_name} is newer than this provider"),
                format!("Its identity version is {version}; this provider knows version {}. Upgrade the provider.", self.version),
            ));
        }
        crate::tf::json::decode(raw_json, &self.ty()).map_err(|e| {
            Diagnostics::of_error(
                format!("Cannot read the stored identity of a {type_name}"),
                format!("The state holds an identity this provider cannot decode ({e})."),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> IdentitySchema {
        IdentitySchema::strings(&[("cluster", "The cluster name or ARN."), ("name", "The service name.")])
    }

    #[test]
    fn identity_comes_from_state_and_gives_the_import_id() {
        let s = service();
        let state = Value::object([("cluster", "wp".into()), ("name", "web".into()), ("desired_count", Value::int(1))]);
        let id = s.of_state(&state).expect("known");
        assert_eq!(id, Value::object([("cluster", "wp".into()), ("name", "web".into())]));
        assert_eq!(s.import_id("awsecs_service", &id).unwrap(), "wp/web");
    }

    #[test]
    fn no_identity_while_unknown_and_a_clear_error_when_incomplete() {
        let s = service();
        assert!(s.of_state(&Value::Null).is_none());
        assert!(s.of_state(&Value::object([("cluster", Value::Unknown), ("name", "web".into())])).is_none());
        let err = s.import_id("awsecs_service", &Value::object([("name", "web".into())])).unwrap_err();
        assert!(err.0[0].summary.contains("\"cluster\""), "{:?}", err.0);
        assert!(err.0[0].detail.contains("`cluster` and `name`"), "{:?}", err.0);
    }

    #[test]
    fn stored_identities_upgrade_or_are_refused() {
        let s = service();
        let v = s.upgrade("awsecs_service", 0, br#"{"cluster":"wp","name":"web"}"#).unwrap();
        assert_eq!(v.get("name").as_str(), Some("web"));
        assert!(s.upgrade("awsecs_service", 3, b"{}").unwrap_err().0[0].summary.contains("newer"));
        assert!(s.upgrade("awsecs_service", 0, b"[1]").is_err());
    }
}
