//! Figures for the release binary (a benchmark, not a test): `make bench` / `cargo bench --bench plugin`.
//!
//! Prints: binary size; exec-to-handshake-line time; idle RSS after the handshake; GetProviderSchema
//! round trip over mutual TLS; and the peak RSS of each provider process during a real
//! `terraform plan` (read from the provider's own shutdown log line, VmHWM from /proc).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use awsecs::protocol::proto::tfplugin6::get_provider_schema;
use awsecs::protocol::proto::tfplugin6::provider_client::ProviderClient;
use base64::Engine;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-awsecs");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

fn spawn(client_pem: &str) -> (Child, String, Duration) {
    let t0 = Instant::now();
    let mut child = Command::new(BINARY)
        .env_clear()
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", client_pem)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn provider");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("handshake");
    (child, line, t0.elapsed())
}

fn rss_kib(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok()
}

fn stats(mut v: Vec<Duration>) -> String {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!("median {:.3} ms, min {:.3} ms, max {:.3} ms (n={})", ms(v[v.len() / 2]), ms(v[0]), ms(v[v.len() - 1]), v.len())
}

fn main() {
    let size = std::fs::metadata(BINARY).map(|m| m.len()).unwrap_or(0);
    println!("binary: {BINARY}");
    println!("binary size: {:.1} MiB ({size} bytes)", size as f64 / 1048576.0);

    let client = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let pem = client.cert.pem();

    // exec -> handshake line
    let mut times = Vec::new();
    let mut idle = Vec::new();
    for _ in 0..30 {
        let (mut child, _, t) = spawn(&pem);
        times.push(t);
        std::thread::sleep(Duration::from_millis(20));
        if let Some(kib) = rss_kib(child.id(), "VmRSS:") {
            idle.push(kib);
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    println!("exec to handshake line: {}", stats(times));
    idle.sort();
    if !idle.is_empty() {
        println!("idle RSS after handshake: median {} KiB", idle[idle.len() / 2]);
    }

    // GetProviderSchema round trips over one mutual-TLS connection
    let (mut child, line, _) = spawn(&pem);
    let parts: Vec<&str> = line.trim_end().split('|').collect();
    let der = base64::engine::general_purpose::STANDARD_NO_PAD.decode(parts[5]).expect("cert");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
    let server_pem = format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let (first, rest, bytes) = rt.block_on(async {
        let tls = ClientTlsConfig::new()
            .domain_name("localhost")
            .ca_certificate(Certificate::from_pem(server_pem))
            .identity(Identity::from_pem(client.cert.pem(), client.signing_key.serialize_pem()));
        let ch = Endpoint::from_shared(format!("https://{}", parts[3]))
            .expect("url")
            .tls_config(tls)
            .expect("tls")
            .connect()
            .await
            .expect("connect");
        let mut c = ProviderClient::new(ch);
        let t = Instant::now();
        let r = c.get_provider_schema(get_provider_schema::Request {}).await.expect("schema").into_inner();
        let first = t.elapsed();
        let bytes = prost::Message::encoded_len(&r);
        let mut rest = Vec::new();
        for _ in 0..500 {
            let t = Instant::now();
            c.get_provider_schema(get_provider_schema::Request {}).await.expect("schema");
            rest.push(t.elapsed());
        }
        (first, rest, bytes)
    });
    println!("GetProviderSchema: first call {:.3} ms; then {} ; response {} bytes", first.as_secs_f64() * 1000.0, stats(rest), bytes);
    let _ = child.kill();
    let _ = child.wait();

    peak_rss_during_plan();
}

/// Runs `terraform plan` on a one-cluster configuration (no AWS call is needed to plan a create)
/// and collects each provider process's peak RSS from its shutdown log line.
fn peak_rss_during_plan() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let terraform = root.join(".tools/terraform");
    if !terraform.is_file() {
        println!("terraform plan peak RSS: skipped (run scripts/install-tools.sh first)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("awsecs-bench-{}", std::process::id()));
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins).expect("dir");
    let _ = std::os::unix::fs::symlink(BINARY, plugins.join("terraform-provider-awsecs"));
    std::fs::write(
        dir.join("terraformrc"),
        format!(
            "provider_installation {{\n dev_overrides {{ \"registry.terraform.io/awsecs/awsecs\" = \"{}\" }}\n direct {{}}\n}}\n",
            plugins.display()
        ),
    )
    .expect("rc");
    std::fs::write(
        dir.join("main.tf"),
        "terraform {\n required_providers { awsecs = { source = \"registry.terraform.io/awsecs/awsecs\" } }\n}\nprovider \"awsecs\" {\n region = \"ap-northeast-1\"\n access_key = \"x\"\n secret_key = \"y\"\n skip_credentials_validation = true\n}\nresource \"awsecs_cluster\" \"c\" {\n name = \"bench\"\n}\n",
    )
    .expect("tf");
    let log = dir.join("tf.log");
    let t = Instant::now();
    let out = Command::new(&terraform)
        .args(["plan", "-no-color", "-input=false"])
        .current_dir(&dir)
        .env("TF_CLI_CONFIG_FILE", dir.join("terraformrc"))
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_LOG_PROVIDER", "DEBUG")
        .env("TF_LOG_PATH", &log)
        .stdin(Stdio::null())
        .output()
        .expect("terraform plan");
    let wall = t.elapsed();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let peaks: Vec<u64> =
        text.lines().filter_map(|l| l.split("peak_rss_kib=").nth(1)).filter_map(|v| v.split_whitespace().next()?.parse().ok()).collect();
    println!(
        "terraform plan (1 resource): {:.2} s wall, exit {:?}, {} provider processes, peak RSS per process {:?} KiB (max {} KiB)",
        wall.as_secs_f64(),
        out.status.code(),
        peaks.len(),
        peaks,
        peaks.iter().max().copied().unwrap_or(0)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
