//! Logs to stderr as hclog JSON lines, the form Terraform re-logs under `TF_LOG`:
//! `{"@level":"info","@message":"...","@module":"awsecs","@timestamp":"2026-01-02T03:04:05.000006Z",...}`.
//!
//! The level comes from `TF_LOG_PROVIDER_AWSECS`, `TF_LOG_PROVIDER` or `TF_LOG` (TRACE, DEBUG,
//! INFO, WARN, ERROR, JSON = TRACE, OFF); unset means WARN. The provider's own events use that level;
//! the libraries under it (AWS SDK, HTTP, gRPC) speak only at WARN and above unless it is TRACE.
//! No value from a configuration is ever logged, so secrets never reach the log.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

struct HclogLayer {
    own: Option<Level>,
    deps: Option<Level>,
}

pub fn level_from_env(get: impl Fn(&str) -> Option<String>) -> Option<Level> {
    let raw = ["TF_LOG_PROVIDER_AWSECS", "TF_LOG_PROVIDER", "TF_LOG"]
        .iter()
        .find_map(|k| get(k).filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "WARN".to_string());
    match raw.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => Some(Level::TRACE),
        "DEBUG" => Some(Level::DEBUG),
        "INFO" => Some(Level::INFO),
        "WARN" => Some(Level::WARN),
        "ERROR" => Some(Level::ERROR),
        "OFF" => None,
        _ => Some(Level::TRACE), // Terraform treats any other non-empty value as TRACE
    }
}

pub fn init() {
    let own = level_from_env(|k| std::env::var(k).ok());
    let deps = match own {
        Some(Level::TRACE) => Some(Level::DEBUG),
        Some(l) if l <= Level::WARN => Some(l),
        Some(_) => Some(Level::WARN),
        None => None,
    };
    let subscriber = tracing_subscriber::registry().with(HclogLayer { own, deps });
    let _ = tracing::subscriber::set_global_default(subscriber);
}

impl HclogLayer {
    fn allows(&self, meta: &Metadata<'_>) -> bool {
        let max = if meta.target().starts_with("awsecs") { self.own } else { self.deps };
        max.is_some_and(|max| *meta.level() <= max)
    }
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn enabled(&self, meta: &Metadata<'_>, _: Context<'_, S>) -> bool {
        self.allows(meta)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let meta = event.metadata();
        if !self.allows(meta) {
            return;
        }
        let mut fields = FieldsToJson(Map::new());
        event.record(&mut fields);
        let line = hclog_line(*meta.level(), meta.target(), fields.0, SystemTime::now());
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }
}

struct FieldsToJson(Map<String, Json>);

/// The AWS SDK's debug output prints credentials with the secret redacted but the access key id in
/// clear (`access_key_id: "AKIA..."`); a log line never shows either.
pub fn scrub(text: &str) -> String {
    const KEY: &str = "access_key_id: \"";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        let start = at + KEY.len();
        out.push_str(&rest[..start]);
        out.push_str("** redacted **");
        match rest[start..].find('"') {
            Some(end) => rest = &rest[start + end..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

impl Visit for FieldsToJson {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_string(), Json::String(scrub(&format!("{value:?}"))));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), Json::String(scrub(value)));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_string(), Json::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_string(), Json::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_string(), Json::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_string(), Json::from(value));
    }
}

/// One hclog JSON line. `@level`, `@message` and `@timestamp` are strings (go-plugin requires it).
pub fn hclog_line(level: Level, target: &str, mut fields: Map<String, Json>, at: SystemTime) -> String {
    let message = match fields.remove("message") {
        Some(Json::String(s)) => s,
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let mut obj = Map::new();
    obj.insert("@level".into(), Json::String(level.as_str().to_ascii_lowercase()));
    obj.insert("@message".into(), Json::String(message));
    obj.insert("@module".into(), Json::String(target.split("::").next().unwrap_or(target).to_string()));
    obj.insert("@timestamp".into(), Json::String(timestamp(at)));
    for (k, v) in fields {
        obj.insert(k, v);
    }
    Json::Object(obj).to_string()
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`: exactly six fractional digits, as go-plugin parses it.
pub fn timestamp(at: SystemTime) -> String {
    let d = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z", rem / 3600, (rem % 3600) / 60, rem % 60, d.subsec_micros())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_have_six_fraction_digits() {
        let t = UNIX_EPOCH + Duration::from_micros(1_795_570_184_629_001);
        assert_eq!(timestamp(t), "2026-11-25T01:29:44.629001Z");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        assert_eq!(timestamp(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn lines_are_hclog_json() {
        let mut f = Map::new();
        f.insert("message".into(), Json::String("hello".into()));
        f.insert("cluster".into(), Json::String("wp".into()));
        let line = hclog_line(Level::INFO, "awsecs::resources::cluster", f, UNIX_EPOCH);
        let j: Json = serde_json::from_str(&line).unwrap();
        assert_eq!(j["@level"], "info");
        assert_eq!(j["@message"], "hello");
        assert_eq!(j["@module"], "awsecs");
        assert_eq!(j["cluster"], "wp");
        assert!(j["@timestamp"].is_string());
    }

    #[test]
    fn access_key_ids_never_reach_a_log_line() {
        let sdk =
            r#"Identity { data: Credentials { provider_name: "p", access_key_id: "AKIAEXAMPLE", secret_access_key: "** redacted **" } }"#;
        let clean = scrub(sdk);
        assert!(!clean.contains("AKIAEXAMPLE"), "{clean}");
        assert!(clean.contains("provider_name: \"p\""), "the rest stays: {clean}");
        assert_eq!(scrub("nothing to hide"), "nothing to hide");
        assert!(!scrub("access_key_id: \"AKIA-unterminated").contains("AKIA"));
    }

    #[test]
    fn level_follows_terraform_variables() {
        let env =
            |pairs: &'static [(&'static str, &'static str)]| move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        assert_eq!(level_from_env(env(&[])), Some(Level::WARN));
        assert_eq!(level_from_env(env(&[("TF_LOG", "debug")])), Some(Level::DEBUG));
        assert_eq!(level_from_env(env(&[("TF_LOG", "debug"), ("TF_LOG_PROVIDER", "INFO")])), Some(Level::INFO));
        assert_eq!(level_from_env(env(&[("TF_LOG", "JSON")])), Some(Level::TRACE));
        assert_eq!(level_from_env(env(&[("TF_LOG_PROVIDER", "off")])), None);
    }
}
