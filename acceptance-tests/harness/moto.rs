//! A private moto server per test.
//!
//! moto's `/moto-api/reset` is global to a server, and tests run in parallel threads, so every test
//! gets its own server on its own port and nobody ever resets.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const READY_TIMEOUT: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Attempts when the chosen port turns out to be taken (another process grabbed it between our
/// probe bind and moto's bind).
const PORT_ATTEMPTS: usize = 5;

/// A running moto server (`standins/launch.py -H 127.0.0.1 -p PORT`: moto's own server application,
/// plus the stand-ins a test asks for). Killed (and reaped) on drop.
pub struct Moto {
    child: Child,
    port: u16,
    log: PathBuf,
    calls: PathBuf,
}

impl Moto {
    /// Starts moto on a free loopback port, logging to `dir/moto.log` (`moto-2.log`, … for further
    /// servers in the same dir), and waits until it answers `GET /moto-api/data.json` with 200.
    pub fn start(dir: &Path) -> Moto {
        Moto::start_with(dir, &[])
    }

    /// Like [`Moto::start`], with the named stand-ins (modules in `acceptance-tests/standins/`,
    /// test doubles for what moto lacks, e.g. `"agent"`, the ECS agent) running inside the server.
    pub fn start_with(dir: &Path, standins: &[&str]) -> Moto {
        let python = super::moto_python_bin();
        let launcher = super::repo_root().join("acceptance-tests").join("standins").join("launch.py");
        let log = free_log_path(dir);
        let calls = log.with_extension("calls");
        let mut last_failure = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port();
            let out = File::create(&log).unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
            let err = out.try_clone().expect("clone moto log handle");
            let child = Command::new(&python)
                .arg(&launcher)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .arg(format!("--standins={}", standins.join(",")))
                .arg("--record")
                .arg(&calls)
                .current_dir(dir)
                .stdin(Stdio::null())
                .stdout(Stdio::from(out))
                .stderr(Stdio::from(err))
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", launcher.display()));
            let mut moto = Moto { child, port, log: log.clone(), calls: calls.clone() };
            match moto.wait_ready() {
                Ok(()) => return moto,
                Err(Retry::PortTaken) => {
                    last_failure = format!("port {port} was taken:\n{}", moto.log_tail(20));
                    drop(moto);
                }
                Err(Retry::Fatal(msg)) => {
                    let tail = moto.log_tail(40);
                    drop(moto);
                    panic!("moto_server on port {port} did not start: {msg}\n--- {} (tail) ---\n{tail}", log.display());
                }
            }
        }
        panic!("moto_server could not find a free port in {PORT_ATTEMPTS} attempts; last: {last_failure}");
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every AWS API call this server has answered so far, as `(service, Action)` in order
    /// (recorded by the launcher before moto handles the call).
    pub fn calls(&self) -> Vec<(String, String)> {
        std::fs::read_to_string(&self.calls)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once(' ').map(|(s, a)| (s.to_string(), a.to_string())))
            .collect()
    }

    /// How many calls of `action` (e.g. "DescribeClusters") this server has answered.
    pub fn count_calls(&self, action: &str) -> usize {
        self.calls().iter().filter(|(_, a)| a == action).count()
    }

    /// Replaces the fault layer's rules (`standins/faults.py`, loaded with the `"faults"` stand-in)
    /// with `rules`, a JSON list such as
    /// `[{"fault": "throttle", "service": "ecs", "action": "CreateCluster", "count": 4}]`.
    #[track_caller]
    pub fn set_faults(&self, rules: serde_json::Value) {
        let (status, body) = http_json(self.port, "POST", "/standin-faults", &rules.to_string());
        assert_eq!(status, 200, "the fault layer refused the rules {rules}: {body} (is the \"faults\" stand-in loaded?)");
    }

    /// What the fault layer has done: its rules with `remaining` / `applied` counts, the totals
    /// (`applied`, `applied_by_fault`) and a `log` of every fault.
    #[track_caller]
    pub fn fault_state(&self) -> serde_json::Value {
        let (status, body) = http_json(self.port, "GET", "/standin-faults", "");
        assert_eq!(status, 200, "GET /standin-faults: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("fault state is not JSON ({e}): {body}"))
    }

    /// How many faults of kind `fault` ("throttle", "lose_reply", ...) the layer has applied.
    pub fn faults_applied(&self, fault: &str) -> u64 {
        self.fault_state()["applied_by_fault"][fault].as_u64().unwrap_or(0)
    }

    /// The server's stdout+stderr log.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last `lines` lines of the server log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    fn wait_ready(&mut self) -> Result<(), Retry> {
        // Ours is ready when the log says it bound *this* port and it answers: a 200 alone could
        // come from another test's server that happened to get the same port first.
        let banner = format!("Running on http://127.0.0.1:{}", self.port);
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| Retry::Fatal(format!("wait: {e}")))? {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                if log.contains("Address already in use") || log.contains("is in use by another program") {
                    return Err(Retry::PortTaken);
                }
                return Err(Retry::Fatal(format!("it exited early with {status}")));
            }
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            if log.contains(&banner) && http_status(self.port, "/moto-api/data.json") == Some(200) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Retry::Fatal(format!("no 200 from GET /moto-api/data.json within {}s", READY_TIMEOUT.as_secs())));
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

enum Retry {
    PortTaken,
    Fatal(String),
}

fn free_log_path(dir: &Path) -> PathBuf {
    let first = dir.join("moto.log");
    if !first.exists() {
        return first;
    }
    (2..).map(|n| dir.join(format!("moto-{n}.log"))).find(|p| !p.exists()).expect("some log name is free")
}

/// A port the kernel just handed out on 127.0.0.1 (and that we released again).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

/// A minimal HTTP/1.0 request with a JSON body, to the stand-ins' control endpoints: (status, body).
fn http_json(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap_or_else(|e| panic!("connect to moto on {port}: {e}"));
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap_or_else(|e| panic!("send to moto: {e}"));
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// A minimal HTTP/1.0 GET; returns the status code, or None if nothing (valid) answered.
pub fn http_status(port: u16, path: &str) -> Option<u16> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    stream.set_write_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").ok()?;
    // Only the status line matters; read until its end (or a small cap).
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 4096 {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let mut parts = line.split_whitespace();
    let proto = parts.next()?;
    if !proto.starts_with("HTTP/") {
        return None;
    }
    parts.next()?.parse().ok()
}
