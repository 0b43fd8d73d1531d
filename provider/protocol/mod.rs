//! The wire side: the generated protocol messages, and the gRPC services that translate them into
//! calls on the protocol-neutral `ProviderCore`. This is the only place that knows two protocol
//! versions exist.

use crate::tf::Diagnostics;

pub mod convert;
pub mod v5;
pub mod v6;

/// Code generated from `proto/` by build.rs.
pub mod proto {
    #![allow(clippy::all, missing_docs)]
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    pub mod tfplugin5 {
        tonic::include_proto!("tfplugin5");
    }
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}

/// gRPC message limit both ways (Terraform sends whole states and plans in one message).
pub const MAX_MESSAGE_BYTES: usize = 256 << 20;

/// Runs one RPC's work; a panic inside it becomes an error diagnostic for Terraform instead of
/// ending the plugin process (which Terraform reports as "Plugin did not respond", losing track of
/// whatever the call had created).
pub async fn guard<T>(rpc: &str, work: impl std::future::Future<Output = Result<T, Diagnostics>>) -> Result<T, Diagnostics> {
    use futures_util::FutureExt as _;
    match std::panic::AssertUnwindSafe(work).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(panicked(rpc, panic.as_ref())),
    }
}

/// [`guard`] for work that does not wait.
pub fn guard_sync<T>(rpc: &str, work: impl FnOnce() -> Result<T, Diagnostics>) -> Result<T, Diagnostics> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|panic| Err(panicked(rpc, panic.as_ref())))
}

/// The answer to an RPC for a kind of object this provider has none of (Terraform sends those only
/// for types the provider declared, so this means a stale schema cache or a bug in the caller).
pub fn not_supported(kind: &str, type_name: &str) -> Diagnostics {
    Diagnostics::of_error(
        format!("The awsecs provider has no {kind} {type_name:?}"),
        format!("This provider declares no {kind}s. If the configuration names one, remove it; if Terraform cached an older schema, run `terraform init -upgrade`."),
    )
}

fn panicked(rpc: &str, panic: &(dyn std::any::Any + Send)) -> Diagnostics {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string());
    tracing::error!(rpc, "the provider panicked: {what}");
    Diagnostics::of_error(
        format!("The awsecs provider failed inside {rpc}"),
        format!("This is a bug in the provider; please report it with the log (TF_LOG=debug). The provider is still running, and what AWS already holds is in the state. Panic: {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_a_diagnostic() {
        let got: Result<(), Diagnostics> = guard("PlanResourceChange", async { panic!("index out of bounds") }).await;
        let d = got.expect_err("a diagnostic");
        assert!(d.0[0].summary.contains("PlanResourceChange"), "{:?}", d.0);
        assert!(d.0[0].detail.contains("index out of bounds"), "{:?}", d.0);
        let sync: Result<(), Diagnostics> = guard_sync("ValidateResourceConfig", || panic!("{}", String::from("boom")));
        assert!(sync.expect_err("a diagnostic").0[0].detail.contains("boom"));
        assert_eq!(guard_sync("x", || Ok::<_, Diagnostics>(7)).ok(), Some(7));
    }

    /// Random bytes as a protocol request: prost refuses them or yields a message whose values
    /// then decode or fail, never panic (fixed seed, bounded count).
    #[test]
    fn random_requests_never_panic() {
        use prost::Message as _;
        let ty = crate::tf::Type::Object(
            [("name".to_string(), crate::tf::Type::String), ("tags".to_string(), crate::tf::Type::map(crate::tf::Type::String))].into(),
        );
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let len = (next() % 96) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if next() % 2 == 0 {
                // A plausible start: field 2 (prior_state), length-delimited, then noise.
                bytes.splice(0..0, [0x12, (len.min(120)) as u8, 0x0a, 0x04, 0x81, 0xa4]);
            }
            if let Ok(req) = proto::tfplugin6::apply_resource_change::Request::decode(bytes.as_slice()) {
                let _ = convert::decode(req.prior_state.as_ref(), &ty, "prior state");
                let _ = convert::decode(req.planned_state.as_ref(), &ty, "planned state");
                let _ = convert::decode(req.config.as_ref(), &crate::tf::Type::Dynamic, "configuration");
            }
        }
    }
}
