//! The wire side: the generated protocol messages, and the gRPC services that translate them into
//! calls on the protocol-neutral `ProviderCore`. This is the only place that knows two protocol
//! versions exist.

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
