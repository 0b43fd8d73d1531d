//! The plugin process seen from outside, the way Terraform starts it: the handshake line, mutual
//! TLS that admits only the certificate Terraform announced, Shutdown, and the message a person gets
//! when running the binary by hand. These tests start the real binary and speak gRPC to it.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use awsecs::protocol::proto::plugin::grpc_controller_client::GrpcControllerClient;
use awsecs::protocol::proto::plugin::Empty;
use awsecs::protocol::proto::tfplugin6::get_provider_schema;
use awsecs::protocol::proto::tfplugin6::provider_client::ProviderClient;
use base64::Engine;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-awsecs");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

struct Plugin {
    child: Child,
    port: u16,
    version: String,
    server_cert_der: Vec<u8>,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the provider as go-plugin would, with `client_pem` as Terraform's certificate.
fn start(client_pem: Option<&str>, versions: &str) -> Plugin {
    let mut cmd = Command::new(BINARY);
    cmd.env_clear()
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", versions)
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(pem) = client_pem {
        cmd.env("PLUGIN_CLIENT_CERT", pem);
    }
    let mut child = cmd.spawn().expect("start the provider binary");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read handshake");
    let parts: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(parts.len(), 6, "handshake line {line:?}");
    assert_eq!(parts[0], "1");
    assert_eq!(parts[2], "tcp");
    assert_eq!(parts[4], "grpc");
    let addr: std::net::SocketAddr = parts[3].parse().expect("address");
    assert!(addr.ip().is_loopback(), "listens on loopback only: {addr}");
    assert!(!parts[5].ends_with('='), "certificate must be base64 without padding");
    let server_cert_der = base64::engine::general_purpose::STANDARD_NO_PAD.decode(parts[5]).expect("base64 certificate");
    Plugin { child, port: addr.port(), version: parts[1].to_string(), server_cert_der }
}

fn pem_of(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or("")).collect();
    format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n"))
}

async fn channel(p: &Plugin, identity: Option<&rcgen::CertifiedKey<rcgen::KeyPair>>) -> Result<Channel, String> {
    let mut tls = ClientTlsConfig::new().domain_name("localhost").ca_certificate(Certificate::from_pem(pem_of(&p.server_cert_der)));
    if let Some(id) = identity {
        tls = tls.identity(Identity::from_pem(id.cert.pem(), id.signing_key.serialize_pem()));
    }
    let ep = Endpoint::from_shared(format!("https://127.0.0.1:{}", p.port)).map_err(|e| e.to_string())?;
    let ep = ep.tls_config(tls).map_err(|e| e.to_string())?.connect_timeout(Duration::from_secs(5));
    ep.connect().await.map_err(|e| format!("{e:?}"))
}

async fn schema_call(p: &Plugin, identity: Option<&rcgen::CertifiedKey<rcgen::KeyPair>>) -> Result<Vec<String>, String> {
    let ch = channel(p, identity).await?;
    let resp =
        ProviderClient::new(ch).get_provider_schema(get_provider_schema::Request {}).await.map_err(|e| format!("{e:?}"))?.into_inner();
    Ok(resp.resource_schemas.keys().cloned().collect())
}

fn client_cert() -> rcgen::CertifiedKey<rcgen::KeyPair> {
    rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("client certificate")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

#[test]
fn only_terraforms_certificate_gets_in() {
    let terraform = client_cert();
    let stranger = client_cert();
    let p = start(Some(&terraform.cert.pem()), "5,6");
    assert_eq!(p.version, "6");
    let rt = runtime();

    let ok = rt.block_on(schema_call(&p, Some(&terraform)));
    assert!(ok.as_ref().is_ok_and(|names| names.iter().any(|n| n == "awsecs_cluster")), "{ok:?}");

    let none = rt.block_on(schema_call(&p, None));
    assert!(none.is_err(), "a client without a certificate must be refused, got {none:?}");

    let wrong = rt.block_on(schema_call(&p, Some(&stranger)));
    assert!(wrong.is_err(), "a client with another certificate must be refused, got {wrong:?}");

    // plain HTTP/2 without TLS does not get an answer either
    let plain = rt.block_on(async {
        let ch = Endpoint::from_shared(format!("http://127.0.0.1:{}", p.port))
            .map_err(|e| e.to_string())?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(5))
            .connect()
            .await
            .map_err(|e| e.to_string())?;
        ProviderClient::new(ch).get_provider_schema(get_provider_schema::Request {}).await.map_err(|e| e.to_string())
    });
    assert!(plain.is_err(), "plaintext must be refused");

    // and the right certificate still works afterwards
    assert!(rt.block_on(schema_call(&p, Some(&terraform))).is_ok());
}

#[test]
fn shutdown_ends_the_process_promptly() {
    let terraform = client_cert();
    let mut p = start(Some(&terraform.cert.pem()), "6,5");
    let rt = runtime();
    rt.block_on(async {
        let ch = channel(&p, Some(&terraform)).await.expect("connect");
        GrpcControllerClient::new(ch).shutdown(Empty {}).await.expect("Shutdown");
    });
    let start = Instant::now();
    loop {
        if let Some(status) = p.child.try_wait().expect("wait") {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(2), "still running 2 s after Shutdown");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn protocol_version_follows_the_offer_and_the_override() {
    let cert = client_cert().cert.pem();
    assert_eq!(start(Some(&cert), "5").version, "5");
    let mut cmd_env_override = {
        let mut cmd = Command::new(BINARY);
        cmd.env_clear()
            .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "6,5")
            .env("AWSECS_PROTOCOL_VERSIONS", "5")
            .env("PLUGIN_CLIENT_CERT", &cert)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        cmd.spawn().expect("spawn")
    };
    let mut line = String::new();
    BufReader::new(cmd_env_override.stdout.take().expect("stdout")).read_line(&mut line).expect("line");
    let _ = cmd_env_override.kill();
    let _ = cmd_env_override.wait();
    assert!(line.starts_with("1|5|tcp|127.0.0.1:"), "{line:?}");
}

#[test]
fn without_a_client_certificate_it_serves_plaintext_on_loopback() {
    let p = start(None, "6");
    assert!(p.server_cert_der.is_empty(), "no certificate in the handshake without PLUGIN_CLIENT_CERT");
    let names = runtime().block_on(async {
        let ch = Endpoint::from_shared(format!("http://127.0.0.1:{}", p.port)).unwrap().connect().await.expect("connect");
        ProviderClient::new(ch).get_provider_schema(get_provider_schema::Request {}).await.expect("schema").into_inner()
    });
    assert!(names.resource_schemas.contains_key("awsecs_cluster"));
    assert!(names.provider.and_then(|p| p.block).is_some(), "provider schema always has a block");
}

#[test]
fn run_by_hand_it_explains_itself() {
    let out = Command::new(BINARY).env_clear().stdin(Stdio::null()).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(msg.contains("plugin for Terraform") && msg.contains("dev_overrides"), "{msg}");
}

#[test]
fn never_reads_stdin_and_writes_only_the_handshake_to_stdout() {
    let cert = client_cert();
    let mut cmd = Command::new(BINARY);
    cmd.env_clear()
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_CLIENT_CERT", cert.cert.pem())
        .env("TF_LOG", "TRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("line");
    let port: u16 = line.split('|').nth(3).and_then(|a| a.rsplit(':').next()).and_then(|p| p.parse().ok()).expect("port");
    let der = base64::engine::general_purpose::STANDARD_NO_PAD.decode(line.trim_end().split('|').nth(5).unwrap_or("")).expect("cert");
    let p = Plugin { child, port, version: "6".into(), server_cert_der: der };
    runtime().block_on(async {
        let ch = channel(&p, Some(&cert)).await.expect("connect");
        GrpcControllerClient::new(ch).shutdown(Empty {}).await.expect("shutdown");
    });
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("rest of stdout");
    assert_eq!(rest, "", "nothing after the handshake line on stdout");
    let mut p = p;
    let mut logs = String::new();
    p.child.stderr.take().expect("stderr").read_to_string(&mut logs).expect("stderr");
    let first = logs.lines().next().unwrap_or("");
    let j: serde_json::Value = serde_json::from_str(first).unwrap_or_else(|e| panic!("stderr line is not JSON ({e}): {first}"));
    assert!(j["@level"].is_string() && j["@message"].is_string() && j["@timestamp"].is_string(), "{first}");
}
