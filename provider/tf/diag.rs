//! Diagnostics (what Terraform shows as "Error:" / "Warning:") and attribute paths, which make
//! Terraform point at the offending line of configuration.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Attr(String),
    Key(String),
    Index(i64),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttrPath(pub Vec<Step>);

impl AttrPath {
    pub fn root(name: &str) -> AttrPath {
        AttrPath(vec![Step::Attr(name.to_string())])
    }
    pub fn attr(&self, name: &str) -> AttrPath {
        let mut p = self.clone();
        p.0.push(Step::Attr(name.to_string()));
        p
    }
    pub fn index(&self, i: usize) -> AttrPath {
        let mut p = self.clone();
        p.0.push(Step::Index(i as i64));
        p
    }
    pub fn key(&self, k: &str) -> AttrPath {
        let mut p = self.clone();
        p.0.push(Step::Key(k.to_string()));
        p
    }
}

impl fmt::Display for AttrPath {
    /// HCL-like: `container[0].port_mapping[1].host_port`, `tags["env"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Step::Attr(a) if i == 0 => write!(f, "{a}")?,
                Step::Attr(a) => write!(f, ".{a}")?,
                Step::Key(k) => write!(f, "[{k:?}]")?,
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttrPath>,
    /// The failure may pass by itself (a throttled or unanswered call): a wait treats it as "not
    /// yet" rather than an answer. Never sent to Terraform.
    pub transient: bool,
}

/// A list of diagnostics; an RPC fails when it holds an error.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics(Vec::new())
    }
    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, summary, detail, None);
    }
    pub fn error_at(&mut self, path: AttrPath, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, summary, detail, Some(path));
    }
    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, summary, detail, None);
    }
    pub fn warning_at(&mut self, path: AttrPath, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, summary, detail, Some(path));
    }
    fn push(&mut self, severity: Severity, summary: impl Into<String>, detail: impl Into<String>, path: Option<AttrPath>) {
        self.0.push(Diagnostic { severity, summary: summary.into(), detail: detail.into(), path, transient: false });
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Marks every diagnostic as one that may pass by itself (see [`Diagnostic::transient`]).
    pub fn transient(mut self) -> Diagnostics {
        for d in &mut self.0 {
            d.transient = true;
        }
        self
    }
    /// Whether there are errors and each of them may pass by itself.
    pub fn is_transient(&self) -> bool {
        self.has_errors() && self.0.iter().filter(|d| d.severity == Severity::Error).all(|d| d.transient)
    }
    /// One error, as a value (for `Result<_, Diagnostics>`).
    pub fn of_error(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostics {
        let mut d = Diagnostics::new();
        d.error(summary, detail);
        d
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_like_hcl() {
        let p = AttrPath::root("container").index(0).attr("port_mapping").index(1).attr("host_port");
        assert_eq!(p.to_string(), "container[0].port_mapping[1].host_port");
        assert_eq!(AttrPath::root("tags").key("env").to_string(), "tags[\"env\"]");
    }

    #[test]
    fn errors_and_warnings_are_told_apart() {
        let mut d = Diagnostics::new();
        d.warning("w", "");
        assert!(!d.has_errors());
        d.error_at(AttrPath::root("name"), "e", "");
        assert!(d.has_errors());
    }
}
