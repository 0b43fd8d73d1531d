//! Turning SDK errors into something a person can act on.

use std::error::Error;
use std::fmt::Debug;

use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};

/// "Code: message" when AWS answered; otherwise why no answer came (connection refused, timeout,
/// no credentials), as the chain of causes without the SDK's debug dump.
pub fn describe<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + Error + 'static,
    R: Debug + 'static,
{
    match (err.code(), err.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        _ => {
            let chain = cause_chain(err);
            match err {
                SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => format!(
                    "{chain}\n\nThe request did not reach AWS. Check the network, the provider's `region` and `endpoints`, and AWS_ENDPOINT_URL if set."
                ),
                _ => chain,
            }
        }
    }
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

/// The AWS error code, when AWS answered with one.
pub fn code<E, R>(err: &SdkError<E, R>) -> Option<&str>
where
    E: ProvideErrorMetadata,
{
    err.code()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(Inner);
    #[derive(Debug)]
    struct Inner;
    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("dispatch failure")
        }
    }
    impl std::fmt::Display for Inner {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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
}
