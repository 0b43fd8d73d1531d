//! ECS's naming rules, shared by the resources that name ECS objects.

use crate::tf::Value;

/// Validator: 1-`max` characters, each a letter, digit, `-` or `_` (ECS names).
pub fn ecs_name(max: usize) -> impl Fn(&Value) -> Result<(), String> + Send + Sync + 'static {
    move |v| {
        let s = v.as_str().unwrap_or("");
        if s.is_empty() || s.chars().count() > max {
            return Err(format!("Must be 1 to {max} characters long; {:?} has {}.", s, s.chars().count()));
        }
        if let Some(bad) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
            return Err(format!(
                "{s:?} contains {bad:?}. Only letters (A-Z, a-z), digits (0-9), hyphens (-) and underscores (_) are allowed."
            ));
        }
        Ok(())
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        let v = ecs_name(255);
        assert!(v(&"wordpress_1-a".into()).is_ok());
        assert!(v(&"".into()).is_err());
        assert!(v(&"a".repeat(256).as_str().into()).is_err());
        assert!(v(&"wp.site".into()).is_err());
    }
}
