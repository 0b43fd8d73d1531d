//! What went wrong with an AWS call, in classes a caller can act on (retry, wait, ask for
//! credentials, give up), and in words a person can act on. Nothing here knows about Terraform.

use std::error::Error;
use std::fmt;

use aws_sdk_ecs::config::http::HttpResponse;
use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};

/// The classes of failure the provider treats differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// AWS asked the caller to slow down (Throttling, ThrottlingException, RequestLimitExceeded, ...).
    Throttling,
    /// AWS failed on its side (5xx), or no answer came in time: the same call may work later.
    Transient,
    /// No credentials could be found, or AWS did not accept them.
    Credentials,
    /// The request never reached AWS (connection refused, name resolution, TLS).
    Network,
    /// AWS answered and refused the request as it was made: trying again will not help.
    Client,
}

/// One failed AWS call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    pub kind: ErrorKind,
    /// AWS's error code, when AWS answered with one.
    pub code: Option<String>,
    /// AWS's message, or the chain of causes when no answer came.
    pub message: String,
}

/// Error codes AWS services use for throttling (as the AWS SDKs classify them).
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Error codes that mean AWS had trouble, whatever the HTTP status.
const TRANSIENT_CODES: &[&str] = &[
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ServerException",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// Error codes that mean the credentials are missing, wrong or expired.
const CREDENTIAL_CODES: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "AuthFailure",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
];

impl AwsError {
    pub fn from_sdk<E>(err: &SdkError<E, HttpResponse>) -> AwsError
    where
        E: ProvideErrorMetadata + Error + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        if let Some(code) = err.code() {
            let kind = classify_code(code, status);
            return AwsError { kind, code: Some(code.to_string()), message: err.message().unwrap_or_default().to_string() };
        }
        let chain = cause_chain(err);
        let kind = match err {
            SdkError::TimeoutError(_) => ErrorKind::Transient,
            SdkError::ResponseError(_) => ErrorKind::Transient,
            SdkError::DispatchFailure(d) if d.is_timeout() => ErrorKind::Transient,
            _ if mentions_credentials(&chain) => ErrorKind::Credentials,
            // The request went out and the connection broke before the answer: AWS may have acted.
            SdkError::DispatchFailure(_) if answer_lost(&chain) => ErrorKind::Transient,
            SdkError::ServiceError(_) if status.is_some_and(|c| c >= 500) => ErrorKind::Transient,
            SdkError::DispatchFailure(_) => ErrorKind::Network,
            _ => ErrorKind::Client,
        };
        AwsError { kind, code: None, message: chain }
    }

    /// A failure of the provider's own making (for example an answer without a field AWS always sends).
    pub fn client(message: impl Into<String>) -> AwsError {
        AwsError { kind: ErrorKind::Client, code: None, message: message.into() }
    }

    /// Whether the same call may succeed later (throttling, AWS-side failures, lost answers).
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttling | ErrorKind::Transient)
    }

    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    pub fn has_code(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// AWS answered, refusing the request, and its message contains `text`.
    pub fn says(&self, text: &str) -> bool {
        self.code.is_some() && self.message.contains(text)
    }
}

fn classify_code(code: &str, status: Option<u16>) -> ErrorKind {
    if THROTTLING_CODES.contains(&code) {
        ErrorKind::Throttling
    } else if CREDENTIAL_CODES.contains(&code) {
        ErrorKind::Credentials
    } else if TRANSIENT_CODES.contains(&code) || status.is_some_and(|s| s >= 500) {
        ErrorKind::Transient
    } else {
        ErrorKind::Client
    }
}

/// A connection that broke after the request was sent (hyper's wording), as opposed to one that
/// never opened (refused, no route, name not resolved).
fn answer_lost(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    ["connection closed before message completed", "connection reset", "broken pipe", "incomplete message", "unexpected eof"]
        .iter()
        .any(|p| t.contains(p))
}

fn mentions_credentials(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("credential") || t.contains("no identity")
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.code, self.message.is_empty()) {
            (Some(c), false) => write!(f, "{c}: {}", self.message),
            (Some(c), true) => f.write_str(c),
            (None, _) => {
                f.write_str(&self.message)?;
                match self.kind {
                    ErrorKind::Network => f.write_str(
                        "\n\nThe request did not reach AWS. Check the network, the provider's `region` and `endpoints`, and AWS_ENDPOINT_URL if set.",
                    ),
                    ErrorKind::Transient => f.write_str("\n\nAWS did not answer (in time, or at all: the call may or may not have taken effect); it was retried as configured (`max_retries`)."),
                    ErrorKind::Credentials => f.write_str(
                        "\n\nNo usable AWS credentials. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a `profile` (or AWS_PROFILE), or set `access_key` and `secret_key` in the provider block.",
                    ),
                    _ => Ok(()),
                }
            }
        }
    }
}

impl Error for AwsError {}

/// "Code: message" when AWS answered; otherwise why no answer came, with a hint for that class.
pub fn describe<E>(err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + Error + 'static,
{
    AwsError::from_sdk(err).to_string()
}

/// The AWS error code, when AWS answered with one.
pub fn code<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<&str> {
    err.code()
}

/// Display of an error and each of its sources, skipping repeats.
pub fn cause_chain(err: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(Inner);
    #[derive(Debug)]
    struct Inner;
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("dispatch failure")
        }
    }
    impl fmt::Display for Inner {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("connection refused")
        }
    }
    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }
    impl Error for Inner {}

    #[test]
    fn chains_read_as_one_sentence() {
        assert_eq!(cause_chain(&Outer(Inner)), "dispatch failure: connection refused");
    }

    #[test]
    fn codes_fall_into_classes() {
        assert_eq!(classify_code("ThrottlingException", Some(400)), ErrorKind::Throttling);
        assert_eq!(classify_code("RequestLimitExceeded", Some(503)), ErrorKind::Throttling);
        assert_eq!(classify_code("Throttling", Some(400)), ErrorKind::Throttling);
        assert_eq!(classify_code("InternalFailure", Some(500)), ErrorKind::Transient);
        assert_eq!(classify_code("Whatever", Some(503)), ErrorKind::Transient);
        assert_eq!(classify_code("UnrecognizedClientException", Some(400)), ErrorKind::Credentials);
        assert_eq!(classify_code("ClientException", Some(400)), ErrorKind::Client);
        assert_eq!(classify_code("InvalidPermission.Duplicate", Some(400)), ErrorKind::Client);
    }

    #[test]
    fn a_broken_connection_is_not_a_refused_one() {
        assert!(answer_lost("dispatch failure: other: client error (SendRequest): connection closed before message completed"));
        assert!(answer_lost("io error: Connection reset by peer (os error 104)"));
        assert!(!answer_lost("io error: Connection refused (os error 111)"));
        assert!(!answer_lost("dns error: failed to lookup address information"));
    }

    #[test]
    fn only_network_failures_are_called_network_failures() {
        let net = AwsError { kind: ErrorKind::Network, code: None, message: "connection refused".into() };
        assert!(net.to_string().contains("did not reach AWS"));
        let cred = AwsError { kind: ErrorKind::Credentials, code: None, message: "no credentials in the chain".into() };
        assert!(!cred.to_string().contains("did not reach AWS"), "{cred}");
        assert!(cred.to_string().contains("AWS_ACCESS_KEY_ID"), "{cred}");
        let refused = AwsError { kind: ErrorKind::Client, code: Some("ClientException".into()), message: "bad".into() };
        assert_eq!(refused.to_string(), "ClientException: bad");
        assert!(!refused.is_retryable());
        assert!(AwsError { kind: ErrorKind::Throttling, code: Some("Throttling".into()), message: String::new() }.is_retryable());
    }
}
