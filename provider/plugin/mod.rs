//! The plugin process: go-plugin's handshake, TLS, the gRPC server and shutdown.
//!
//! Terraform starts the binary with a magic cookie and the protocol versions it speaks, reads one
//! handshake line from stdout (`1|VERSION|tcp|ADDR|grpc|CERT`), connects over mutual TLS, and ends the
//! process with `GRPCController.Shutdown`. Nothing but that line ever goes to stdout; stdin is never
//! read (it belongs to Terraform's prompts).

#[cfg(test)]
mod rpc_tests;
pub mod tls;

use std::collections::BTreeSet;
use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tokio_stream::StreamExt;
use tonic::transport::server::{Connected, Router};
use tonic::{Request, Response, Status};

use crate::framework::{ProviderConfig, ProviderCore};
use crate::protocol::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use crate::protocol::proto::plugin::Empty;
use crate::protocol::proto::tfplugin5::provider_server::ProviderServer as ProviderServerV5;
use crate::protocol::proto::tfplugin6::provider_server::ProviderServer as ProviderServerV6;
use crate::protocol::{v5::V5, v6::V6, MAX_MESSAGE_BYTES};

const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// Restricts the protocol versions this process may choose (e.g. `5`), to test version 5 with a
/// Terraform that also offers 6.
pub const PROTOCOL_OVERRIDE_ENV: &str = "AWSECS_PROTOCOL_VERSIONS";
const SUPPORTED: [u32; 2] = [5, 6];

const NOT_BY_HAND: &str = "This binary is a plugin for Terraform (and OpenTofu): the Terraform provider \
for Amazon ECS, `awsecs`. It is not meant to be run by hand. Declare it in a configuration's \
required_providers block (source = \"registry.terraform.io/awsecs/awsecs\") and run `terraform plan` or \
`terraform apply`; Terraform starts this binary itself. For development, point Terraform at the \
folder holding this binary with a dev_overrides block in a CLI configuration file (see README.md).";

/// Runs the plugin process; returns the process exit code.
pub fn main() -> i32 {
    if std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
        eprintln!("{NOT_BY_HAND}");
        return 1;
    }
    run_plugin(|| {
        ProviderCore::new(
            crate::resources::provider_block::AwsEcsProvider,
            crate::resources::all_resources(),
            crate::resources::all_data_sources(),
        )
    })
}

/// The plugin process around any provider built on the framework (the acceptance tests' schema-only
/// hashicorp/aws double uses it too): handshake, runtime, gRPC server, shutdown.
pub fn run_plugin<P: ProviderConfig>(core: impl FnOnce() -> ProviderCore<P>) -> i32 {
    if std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
        eprintln!("This binary is a Terraform plugin; Terraform starts it.");
        return 1;
    }
    crate::log::init();
    let version = match choose_version(
        std::env::var("PLUGIN_PROTOCOL_VERSIONS").ok().as_deref(),
        std::env::var(PROTOCOL_OVERRIDE_ENV).ok().as_deref(),
    ) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("terraform-provider-awsecs: {e}");
            return 1;
        }
    };
    let workers = std::thread::available_parallelism().map(|n| n.get().min(4)).unwrap_or(2);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("terraform-provider-awsecs: cannot start the async runtime: {e}");
            return 1;
        }
    };
    let result = runtime.block_on(serve(version, std::env::var("PLUGIN_CLIENT_CERT").ok(), core()));
    // Requests still in flight after Shutdown are abandoned, not awaited.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("terraform-provider-awsecs: {e}");
            1
        }
    }
}

/// The highest version both sides speak. Terraform's list comes from a Go map, in random order.
pub fn choose_version(offered: Option<&str>, restricted: Option<&str>) -> Result<u32, String> {
    let parse = |s: &str| s.split(',').filter_map(|v| v.trim().parse::<u32>().ok()).collect::<BTreeSet<u32>>();
    let mut ours: BTreeSet<u32> = SUPPORTED.into_iter().collect();
    if let Some(r) = restricted.filter(|r| !r.trim().is_empty()) {
        ours = ours.intersection(&parse(r)).copied().collect();
    }
    let theirs = offered.map(parse).unwrap_or_else(|| SUPPORTED.into_iter().collect());
    theirs.intersection(&ours).max().copied().ok_or_else(|| {
        format!(
            "no plugin protocol version in common: Terraform offers {:?}, this provider speaks {:?}. Use Terraform 0.12 or newer{}.",
            offered.unwrap_or(""),
            ours,
            if restricted.is_some() { format!(", or unset {PROTOCOL_OVERRIDE_ENV}") } else { String::new() }
        )
    })
}

/// The handshake line: `1|VERSION|tcp|ADDR|grpc|CERT`, the certificate as base64 without padding.
pub fn handshake_line(version: u32, addr: &std::net::SocketAddr, cert_der: Option<&[u8]>) -> String {
    let cert = cert_der.map(|d| base64::engine::general_purpose::STANDARD_NO_PAD.encode(d)).unwrap_or_default();
    format!("1|{version}|tcp|{addr}|grpc|{cert}")
}

struct Controller {
    shutdown: watch::Sender<bool>,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _: Request<Empty>) -> Result<Response<Empty>, Status> {
        match peak_rss_kib() {
            Some(kib) => tracing::debug!(peak_rss_kib = kib, "Terraform is done with this provider process: shutting down"),
            None => tracing::debug!("Terraform is done with this provider process: shutting down"),
        }
        self.shutdown.send_replace(true);
        Ok(Response::new(Empty {}))
    }
}

/// The process's peak resident memory (Linux), for the shutdown log line the benchmark reads.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Ctrl-C in a terminal signals the whole process group, so the provider gets Terraform's SIGINT
/// too. Terraform handles it (StopProvider, then the apply winds down and records what exists); a
/// provider that died on it would leave whatever it had just created out of the state. So SIGINT is
/// only logged, the way plugins served by go-plugin ignore it.
fn ignore_interrupts() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()) {
        Ok(mut interrupts) => {
            tokio::spawn(async move {
                while interrupts.recv().await.is_some() {
                    tracing::info!("interrupt received: waiting for Terraform to call StopProvider");
                }
            });
        }
        Err(e) => tracing::warn!("cannot catch SIGINT ({e}); Ctrl-C will end the provider at once"),
    }
}

async fn serve<P: ProviderConfig>(version: u32, client_cert: Option<String>, core: ProviderCore<P>) -> Result<(), String> {
    ignore_interrupts();
    let core = Arc::new(core);
    let v6 = Arc::new(V6::new(core));
    let (shutdown, shutdown_rx) = watch::channel(false);
    let router: Router = tonic::transport::Server::builder()
        .add_service(GrpcControllerServer::new(Controller { shutdown }))
        .add_service(
            ProviderServerV6::from_arc(v6.clone())
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            ProviderServerV5::new(V5::new(v6)).max_decoding_message_size(MAX_MESSAGE_BYTES).max_encoding_message_size(MAX_MESSAGE_BYTES),
        );

    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let stop = {
        let mut rx = shutdown_rx.clone();
        async move {
            let _ = rx.wait_for(|done| *done).await;
        }
    };

    match client_cert.filter(|c| !c.trim().is_empty()) {
        Some(pem) => {
            let tls = tls::server_tls(&pem)?;
            announce(&handshake_line(version, &addr, Some(&tls.cert_der)))?;
            tracing::debug!(%addr, version, "serving the plugin protocol over mutual TLS");
            let incoming = tls_connections(listener, tokio_rustls::TlsAcceptor::from(tls.config));
            run(router.serve_with_incoming_shutdown(incoming, stop), shutdown_rx).await
        }
        None => {
            // No client certificate: Terraform runs with TF_DISABLE_PLUGIN_TLS, or this is a
            // reattach/debug session. Plain gRPC, on loopback only.
            announce(&handshake_line(version, &addr, None))?;
            tracing::debug!(%addr, version, "serving the plugin protocol without TLS (loopback only)");
            let incoming = TcpListenerStream::new(listener).map(|conn| conn.inspect(no_delay));
            run(router.serve_with_incoming_shutdown(incoming, stop), shutdown_rx).await
        }
    }
}

async fn run<F>(server: F, mut shutdown: watch::Receiver<bool>) -> Result<(), String>
where
    F: std::future::Future<Output = Result<(), tonic::transport::Error>>,
{
    // Graceful shutdown waits for open connections to close; Terraform may keep its end open until
    // the process exits, so after Shutdown give the reply a moment to leave, then exit regardless.
    let deadline = async move {
        let _ = shutdown.wait_for(|done| *done).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    tokio::select! {
        r = server => r.map_err(|e| format!("gRPC server failed: {e}")),
        _ = deadline => Ok(()),
    }
}

/// gRPC sends small frames and waits for their answers: without TCP_NODELAY, Nagle's algorithm and
/// delayed ACKs hold each response back by about 40 ms.
fn no_delay(tcp: &TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!("cannot set TCP_NODELAY: {e}");
    }
}

fn announce(line: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|_| out.flush()).map_err(|e| format!("cannot write the handshake line: {e}"))
}

/// Accepts TCP connections and completes their TLS handshakes concurrently; failed handshakes
/// (such as a client without Terraform's certificate) are logged and dropped.
fn tls_connections(listener: TcpListener, acceptor: tokio_rustls::TlsAcceptor) -> ReceiverStream<Result<TlsConn, std::io::Error>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            no_delay(&tcp);
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                match acceptor.accept(tcp).await {
                    Ok(stream) => {
                        let _ = tx.send(Ok(TlsConn(stream))).await;
                    }
                    // A connection closed before its handshake (Terraform probing or shutting down) is
                    // routine; a failed handshake (wrong or missing client certificate) is not.
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                        tracing::debug!(%peer, "connection closed before the TLS handshake: {e}")
                    }
                    Err(e) => tracing::warn!(%peer, "refused a connection: TLS handshake failed: {e}"),
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

/// A TLS connection tonic can serve.
pub struct TlsConn(tokio_rustls::server::TlsStream<TcpStream>);

impl Connected for TlsConn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for TlsConn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
    fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[std::io::IoSlice<'_>]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_6_when_offered_in_any_order() {
        assert_eq!(choose_version(Some("5,6"), None).unwrap(), 6);
        assert_eq!(choose_version(Some("6,5"), None).unwrap(), 6);
        assert_eq!(choose_version(Some("5"), None).unwrap(), 5);
        assert_eq!(choose_version(Some("6,5"), Some("5")).unwrap(), 5);
        assert!(choose_version(Some("4"), None).is_err());
        assert!(choose_version(Some("6"), Some("5")).unwrap_err().contains(PROTOCOL_OVERRIDE_ENV));
    }

    #[test]
    fn handshake_certificate_is_unpadded_base64() {
        let addr: std::net::SocketAddr = "127.0.0.1:1234".parse().unwrap();
        // 4 bytes would need "==" padding in standard base64
        let line = handshake_line(6, &addr, Some(&[1, 2, 3, 4]));
        assert_eq!(line, "1|6|tcp|127.0.0.1:1234|grpc|AQIDBA");
        assert_eq!(handshake_line(5, &addr, None), "1|5|tcp|127.0.0.1:1234|grpc|");
    }
}
