//! The `timeouts` block: its schema, durations written as Go/Terraform duration strings ("30s",
//! "10m", "1h30m"), and the rule that the block lives only in Terraform (AWS knows nothing of it),
//! so it carries over from the prior state or the plan into every new state.

use std::time::Duration;

use crate::tf::{Attribute, Block, NestedBlock, Type, Value};

/// The block's name in every resource that has one.
pub const BLOCK: &str = "timeouts";

/// Longer than any apply: a duration past this is refused rather than overflowing.
const MAX: Duration = Duration::from_secs(366 * 24 * 3600);

/// The `timeouts { create = "10m" ... }` block that resources which wait share.
pub fn timeouts_block(operations: &[&'static str]) -> NestedBlock {
    let mut b = Block::new("How long to wait for each operation, as a duration such as `\"10m\"` or `\"1h30m\"`.");
    for op in operations {
        b = b.attr(
            Attribute::optional(op, Type::String)
                .describe(format!("How long `{op}` may wait."))
                .validate(|v| parse_duration(v.as_str().unwrap_or("")).map(|_| ())),
        );
    }
    NestedBlock::single(BLOCK, b)
}

/// Copies the `timeouts` block of `from` into `to`, when the resource has one.
pub fn carry_over(block: &Block, from: &Value, to: &mut Value) {
    if block.blocks.iter().any(|b| b.name == BLOCK) {
        to.set(BLOCK, from.get(BLOCK).clone());
    }
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration: write a number with a unit, such as \"30s\", \"10m\" or \"1h30m\"");
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    let mut num = String::new();
    let mut chars = t.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push(chars.next().unwrap_or('s'));
        }
        let n: f64 = num.parse().map_err(|_| bad())?;
        num.clear();
        total += n * match unit.as_str() {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return Err(bad()),
        };
        any = true;
    }
    if !num.is_empty() || !any {
        return Err(bad());
    }
    match Duration::try_from_secs_f64(total) {
        Ok(d) if d <= MAX => Ok(d),
        _ => Err(format!("{text:?} is longer than any apply can wait: use at most \"8784h\" (a year).")),
    }
}

/// `timeouts.<operation>` from a resource value, when set and valid.
pub fn from_state(state: &Value, operation: &str) -> Option<Duration> {
    state.get(BLOCK).get(operation).as_str().and_then(|s| parse_duration(s).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_terraform() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("1.5m").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        for bad in ["", "10", "m", "10x", "ten minutes"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn huge_durations_are_an_error_not_a_panic() {
        for huge in ["10000000000000000h", "1e400s", "99999999999999999999999999999999999999999h", "9000h"] {
            let e = parse_duration(huge).expect_err(huge);
            assert!(e.contains("longer than any apply") || e.contains("not a duration"), "{huge}: {e}");
        }
        assert!(parse_duration("8784h").is_ok());
    }
}
