//! A Terraform working directory per test, and the commands tests run in it.
//!
//! The real `terraform` binary runs with a scrubbed environment: a CLI config of our own whose
//! `dev_overrides` points at the provider under test (so `terraform init` is never needed and
//! must not be run), dummy AWS credentials, no checkpoint calls, no input, no colour. The install
//! tests replace that CLI config ([`TfWorkspace::write_cli_config`]) and do run `terraform init`.

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::{provider_dir, terraform_bin, PROVIDER_SOURCE};

/// Upper bound for one Terraform command; `AWSECS_ACC_TF_TIMEOUT_SECS` overrides it.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Passed through from the test's own environment when set, for debugging.
const PASSTHROUGH_ENV: &[&str] = &["TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_PATH", "TF_LOG_CORE"];

/// The result of one Terraform command.
#[derive(Debug, Clone)]
pub struct TfOutput {
    /// The arguments after `terraform`.
    pub args: Vec<String>,
    /// The exit code; None if it was killed by a signal (or by our timeout).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub duration: Duration,
}

impl TfOutput {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// stdout followed by stderr (Terraform writes diagnostics to stderr).
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Command, exit code, duration, stdout and stderr: for panic messages.
    pub fn describe(&self) -> String {
        format!(
            "`terraform {}` exited with {} after {:.1}s\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.code.map_or_else(|| "a signal".to_string(), |c| c.to_string()),
            self.duration.as_secs_f64(),
            self.stdout,
            self.stderr
        )
    }
}

/// A fresh temp dir with `main.tf`, a `terraformrc` CLI config and a `home/`. Removed on drop if the
/// test succeeded; kept (and its path printed) if the test is panicking.
pub struct TfWorkspace {
    dir: PathBuf,
    cli_config: PathBuf,
    home: PathBuf,
    env: Vec<(String, String)>,
    terraform: Option<PathBuf>,
    timeout: Duration,
    timings: Mutex<Vec<(String, Duration)>>,
    plan_counter: AtomicU32,
}

impl TfWorkspace {
    /// Creates `<tmp>/awsecs-acc-<name>-<pid>-<n>-<nanos>` with the CLI config in it.
    pub fn new(name: &str) -> TfWorkspace {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let safe: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' }).collect();
        let dir = std::env::temp_dir().join(format!(
            "awsecs-acc-{safe}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let home = dir.join("home");
        std::fs::create_dir(&home).unwrap_or_else(|e| panic!("cannot create {}: {e}", home.display()));

        let cli_config = dir.join("terraformrc");
        let rc = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            provider_dir().display()
        );
        std::fs::write(&cli_config, rc).unwrap_or_else(|e| panic!("cannot write {}: {e}", cli_config.display()));

        let timeout = std::env::var("AWSECS_ACC_TF_TIMEOUT_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TIMEOUT);

        TfWorkspace {
            dir,
            cli_config,
            home,
            env: Vec::new(),
            terraform: None,
            timeout,
            timings: Mutex::new(Vec::new()),
            plan_counter: AtomicU32::new(0),
        }
    }

    /// The workspace directory (Terraform's working directory).
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Adds an environment variable to every Terraform command run from now on (e.g.
    /// `AWSECS_PROTOCOL_VERSIONS=5`). It reaches the provider too, since Terraform passes its
    /// environment on.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    /// Runs every command with this Terraform binary instead of the suite's 1.0.3.
    pub fn use_terraform(&mut self, bin: PathBuf) {
        self.terraform = Some(bin);
    }

    /// Stops adding `key` (set with [`Self::set_env`]) to commands.
    pub fn unset_env(&mut self, key: &str) {
        self.env.retain(|(k, _)| k != key);
    }

    /// Replaces the workspace's CLI config (`TF_CLI_CONFIG_FILE` of every command) with `text`:
    /// for tests that install the provider the way users do, without the `dev_overrides` it starts
    /// with.
    pub fn write_cli_config(&self, text: &str) {
        std::fs::write(&self.cli_config, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", self.cli_config.display()));
    }

    /// (Re)writes `main.tf`.
    pub fn write_config(&self, main_tf: &str) {
        let path = self.dir.join("main.tf");
        std::fs::write(&path, main_tf).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Runs `terraform ARGS` (with `-no-color` added after the subcommand) and returns its output,
    /// whatever the exit code. For commands expected to fail.
    pub fn run(&self, args: &[&str]) -> TfOutput {
        self.run_with_env(args, &[])
    }

    /// [`Self::run`] with extra environment for this one command (it overrides everything else).
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> TfOutput {
        self.run_interrupted(args, env, &|| false)
    }

    /// Runs `terraform ARGS` and, once `when()` turns true (checked every 20 ms), sends SIGINT to
    /// Terraform's whole process group, as Ctrl-C in a terminal does (the provider gets it too).
    pub fn run_interrupted(&self, args: &[&str], env: &[(&str, &str)], when: &dyn Fn() -> bool) -> TfOutput {
        let args = with_no_color(args);
        let mut cmd = Command::new(self.terraform.clone().unwrap_or_else(terraform_bin));
        cmd.args(&args)
            .current_dir(&self.dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()))
            .env("HOME", &self.home)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        for key in PASSTHROUGH_ENV {
            if let Some(v) = std::env::var_os(key) {
                cmd.env(key, v);
            }
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let raw = run_with_timeout(cmd, self.timeout, when);
        let out =
            TfOutput { args, code: raw.status.and_then(|s| s.code()), stdout: raw.stdout, stderr: raw.stderr, duration: raw.duration };
        self.timings.lock().unwrap().push((format!("terraform {}", out.args.join(" ")), out.duration));
        if raw.timed_out {
            panic!("timed out after {}s (killed) in {}: {}", self.timeout.as_secs(), self.dir.display(), out.describe());
        }
        out
    }

    /// Runs a command that must succeed; panics with its full output otherwise.
    #[track_caller]
    pub fn run_ok(&self, args: &[&str]) -> TfOutput {
        let out = self.run(args);
        if !out.success() {
            panic!("command failed in {}: {}", self.dir.display(), out.describe());
        }
        out
    }

    /// `terraform apply -auto-approve`, then a plan that must be empty (the provider's promise:
    /// after an apply, nothing to do). Panics on either failing. A test that expects a diff after
    /// its apply runs `run_ok(&["apply", "-auto-approve"])` and says why.
    #[track_caller]
    pub fn apply(&self) -> TfOutput {
        let out = self.run_ok(&["apply", "-auto-approve"]);
        super::assert_no_changes(self);
        out
    }

    /// `terraform destroy -auto-approve`; panics on failure.
    #[track_caller]
    pub fn destroy(&self) -> TfOutput {
        self.run_ok(&["destroy", "-auto-approve"])
    }

    /// `terraform destroy -target=ADDR -auto-approve`; panics on failure.
    #[track_caller]
    pub fn destroy_target(&self, addr: &str) -> TfOutput {
        self.run_ok(&["destroy", "-auto-approve", &format!("-target={addr}")])
    }

    /// `terraform import ADDR ID`; panics on failure.
    #[track_caller]
    pub fn import(&self, addr: &str, id: &str) -> TfOutput {
        self.run_ok(&["import", addr, id])
    }

    /// `terraform state rm ADDR`; panics on failure.
    #[track_caller]
    pub fn state_rm(&self, addr: &str) -> TfOutput {
        self.run_ok(&["state", "rm", addr])
    }

    /// `terraform plan -detailed-exitcode`: 0 no changes, 1 error, 2 changes; with stdout+stderr.
    #[track_caller]
    pub fn plan_exit_code(&self) -> (i32, String) {
        let out = self.run(&["plan", "-detailed-exitcode"]);
        match out.code {
            Some(code @ 0..=2) => (code, out.combined()),
            _ => panic!("unexpected plan exit in {}: {}", self.dir.display(), out.describe()),
        }
    }

    /// `terraform plan -out=FILE` then `terraform show -json FILE`: the (address, actions) of every
    /// resource change that is not a no-op, in Terraform's order. A replacement is
    /// `["delete","create"]` (or `["create","delete"]` with create_before_destroy).
    #[track_caller]
    pub fn plan_actions(&self) -> Vec<(String, Vec<String>)> {
        let plan = self.saved_plan_json();
        resource_changes(&plan).into_iter().filter(|(_, actions)| actions.as_slice() != ["no-op"]).collect()
    }

    /// `terraform plan -out=FILE` then `terraform show -json FILE`, parsed.
    #[track_caller]
    pub fn saved_plan_json(&self) -> Value {
        let n = self.plan_counter.fetch_add(1, Ordering::Relaxed);
        let file = format!("plan-{n}.tfplan");
        let out_flag = format!("-out={file}");
        self.run_ok(&["plan", &out_flag]);
        let show = self.run_ok(&["show", "-json", &file]);
        parse_json(&show)
    }

    /// `terraform show -json` of the current state, parsed.
    #[track_caller]
    pub fn show_state(&self) -> Value {
        let show = self.run_ok(&["show", "-json"]);
        parse_json(&show)
    }

    /// The `values` of one resource in the current state; panics if it is not there.
    #[track_caller]
    pub fn resource(&self, addr: &str) -> Value {
        let state = self.show_state();
        match resource_values(&state, addr) {
            Some(v) => v.clone(),
            None => panic!("{addr} is not in the state; addresses present: {:?}\nstate: {state:#}", state_addresses(&state)),
        }
    }
}

impl Drop for TfWorkspace {
    fn drop(&mut self) {
        let timings = self.timings.lock().map(|t| t.clone()).unwrap_or_default();
        let mut summary = String::new();
        let total: Duration = timings.iter().map(|(_, d)| *d).sum();
        for (cmd, d) in &timings {
            let _ = writeln!(summary, "  {:>6.2}s  {cmd}", d.as_secs_f64());
        }
        if std::thread::panicking() {
            eprintln!(
                "workspace kept for inspection: {}\nterraform commands ({} in {:.1}s):\n{summary}",
                self.dir.display(),
                timings.len(),
                total.as_secs_f64()
            );
        } else {
            // Captured by the test harness; shown with --nocapture.
            eprintln!("terraform commands ({} in {:.1}s):\n{summary}", timings.len(), total.as_secs_f64());
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Inserts `-no-color` after the subcommand (two words for `state …`, `providers …`, `workspace …`).
fn with_no_color(args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    if v.is_empty() || v.iter().any(|a| a == "-no-color") {
        return v;
    }
    let at = match v[0].as_str() {
        "state" | "providers" | "workspace" if v.len() >= 2 => 2,
        _ => 1,
    };
    v.insert(at, "-no-color".to_string());
    v
}

fn parse_json(out: &TfOutput) -> Value {
    serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("`terraform {}` did not print JSON ({e}):\n{}", out.args.join(" "), out.describe()))
}

/// (address, actions) of every entry of a plan's `resource_changes`, no-ops included.
pub fn resource_changes(plan: &Value) -> Vec<(String, Vec<String>)> {
    plan.get("resource_changes")
        .and_then(Value::as_array)
        .map(|changes| {
            changes
                .iter()
                .map(|c| {
                    let addr = c.get("address").and_then(Value::as_str).unwrap_or_default().to_string();
                    let actions = c
                        .pointer("/change/actions")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                        .unwrap_or_default();
                    (addr, actions)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every resource (of the root module and child modules) in a `show -json` state document.
fn all_resources(state: &Value) -> Vec<&Value> {
    fn walk<'a>(module: &'a Value, out: &mut Vec<&'a Value>) {
        if let Some(rs) = module.get("resources").and_then(Value::as_array) {
            out.extend(rs.iter());
        }
        if let Some(children) = module.get("child_modules").and_then(Value::as_array) {
            for c in children {
                walk(c, out);
            }
        }
    }
    let mut out = Vec::new();
    if let Some(root) = state.pointer("/values/root_module") {
        walk(root, &mut out);
    }
    out
}

/// The `values` of the resource at `addr` in a `show -json` state document.
pub fn resource_values<'a>(state: &'a Value, addr: &str) -> Option<&'a Value> {
    all_resources(state).into_iter().find(|r| r.get("address").and_then(Value::as_str) == Some(addr)).and_then(|r| r.get("values"))
}

/// The addresses of all resources in a `show -json` state document.
pub fn state_addresses(state: &Value) -> Vec<String> {
    all_resources(state).into_iter().filter_map(|r| r.get("address").and_then(Value::as_str).map(str::to_string)).collect()
}

struct RawOutput {
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
    duration: Duration,
    timed_out: bool,
}

/// Spawns `cmd` in its own process group (Terraform and the provider processes it starts), collects
/// stdout and stderr, and kills the whole group if it runs longer than `timeout`.
fn run_with_timeout(mut cmd: Command, timeout: Duration, interrupt_when: &dyn Fn() -> bool) -> RawOutput {
    use std::os::unix::process::CommandExt;
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {:?}: {e}", cmd.get_program()));
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || read_all(stdout));
    let err_reader = std::thread::spawn(move || read_all(stderr));

    let mut timed_out = false;
    let mut interrupted = false;
    let status = loop {
        if !interrupted && interrupt_when() {
            interrupted = true;
            let _ =
                Command::new("kill").args(["-INT", "--", &format!("-{}", child.id())]).stdout(Stdio::null()).stderr(Stdio::null()).status();
        }
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= timeout => {
                timed_out = true;
                // The group id is the child's pid (process_group(0)).
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("waiting for terraform: {e}"),
        }
    };
    let duration = start.elapsed();
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    RawOutput { status, stdout, stderr, duration, timed_out }
}

fn read_all(mut r: impl Read) -> String {
    let mut buf = Vec::new();
    let _ = r.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}
