//! Compiles the Terraform plugin protocol (`proto/`) into Rust with tonic and prost.
//!
//! prost needs a `protoc`; the one shipped inside the `protoc-bin-vendored` crate is used, so a fresh
//! machine needs nothing installed beyond cargo.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    std::env::set_var("PROTOC", protoc);

    let protos = ["proto/tfplugin6.proto", "proto/tfplugin5.proto", "proto/plugin.proto"];
    for proto in protos {
        println!("cargo:rerun-if-changed={proto}");
    }
    tonic_prost_build::configure()
        // The client side is only used by the acceptance tests (the mutual-TLS check).
        .build_client(true)
        .build_server(true)
        // Newer protocol versions add RPCs; unknown ones answer UNIMPLEMENTED.
        .generate_default_stubs(true)
        .compile_protos(&protos, &["proto"])?;
    Ok(())
}
