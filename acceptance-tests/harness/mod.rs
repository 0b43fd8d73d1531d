//! The acceptance-test harness: the real tools (Terraform, moto), the provider under test, one moto
//! server and one Terraform working directory per test, AWS SDK clients aimed at that moto, and the
//! checks every test repeats.
//!
//! Layout:
//! * [`moto`]: [`Moto`], a private `moto_server` on a free loopback port, killed on drop.
//! * [`terraform`]: [`TfWorkspace`], a temp dir with `main.tf` and a CLI config that points
//!   Terraform at the provider under test, plus the commands tests run in it.
//! * [`aws`]: [`Aws`], ECS / EC2 / RDS clients for a moto endpoint with a blocking `block_on`.

pub mod aws;
pub mod ecs;
pub mod elbv2;
pub mod moto;
pub mod terraform;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub use aws::Aws;
pub use moto::Moto;
pub use terraform::{resource_values, state_addresses, TfWorkspace};

/// The provider's address, as used in `required_providers` and in `dev_overrides`.
pub const PROVIDER_SOURCE: &str = "registry.terraform.io/awsecs/awsecs";
/// The region every test uses (the provider block and the SDK clients agree on it).
pub const REGION: &str = "ap-northeast-1";
/// moto's default account.
pub const ACCOUNT_ID: &str = "123456789012";

/// The repository root (the Cargo package root).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Terraform every workspace runs unless a test picks one: `.tools/terraform` (1.0.3, installed
/// on first use), or, with `AWSECS_ACC_TERRAFORM=newer` (the second leg of the compatibility matrix,
/// `scripts/compat.sh`), the newer one [`newer_terraform`] finds.
pub fn terraform_bin() -> PathBuf {
    if std::env::var("AWSECS_ACC_TERRAFORM").as_deref() == Ok("newer") {
        return newer_terraform().expect("AWSECS_ACC_TERRAFORM=newer, but no Terraform newer than 1.0.3 was found");
    }
    oldest_terraform()
}

/// `.tools/terraform`, v1.0.3: the oldest Terraform supported, whatever the matrix leg.
pub fn oldest_terraform() -> PathBuf {
    ensure_tools();
    terraform_path()
}

/// Whether this run is the matrix leg on the newer Terraform: tests that already run on the newer
/// Terraform whatever the leg skip themselves in it (with a line saying so).
pub fn newer_leg() -> bool {
    std::env::var("AWSECS_ACC_TERRAFORM").as_deref() == Ok("newer")
}

/// For a test that picks its Terraform itself (1.0.3, or the newer one): true, with a printed line,
/// in the newer leg, where it would only run again as it did in the first.
pub fn skip_in_newer_leg(test: &str) -> bool {
    if newer_leg() {
        eprintln!("{test}: skipped in the newer-Terraform leg (it chooses its Terraform itself and ran in the first leg)");
    }
    newer_leg()
}

/// A Terraform newer than the suite's 1.0.3, for features 1.0.3 lacks (`terraform_data`, ...):
/// `AWSECS_ACC_NEWER_TERRAFORM`, else `terraform` on the PATH when it reports a version above 1.0.
/// None (the test then says it is skipped) when there is none.
pub fn newer_terraform() -> Option<PathBuf> {
    let candidate = std::env::var_os("AWSECS_ACC_NEWER_TERRAFORM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("terraform"));
    let out = Command::new(&candidate).arg("version").env("CHECKPOINT_DISABLE", "1").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.lines().next()?.strip_prefix("Terraform v")?.to_string();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next()?, parts.next()?);
    (major > 1 || minor >= 4).then_some(candidate)
}

/// [`newer_terraform`], when it is at least 1.`minor` (a feature's first version); None, with a
/// printed line, when it is older.
pub fn newer_terraform_since(minor: u32, feature: &str) -> Option<PathBuf> {
    let bin = newer_terraform()?;
    let out = Command::new(&bin).arg("version").env("CHECKPOINT_DISABLE", "1").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let version = text.lines().next()?.strip_prefix("Terraform v")?.to_string();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, got) = (parts.next()?, parts.next()?);
    if major == 1 && got < minor {
        eprintln!("skipped: {feature} needs Terraform 1.{minor}+, and the newer one here is {version}");
        return None;
    }
    Some(bin)
}

/// `.tools/venv/bin/python`, the interpreter that has moto (runs `standins/launch.py`).
pub fn moto_python_bin() -> PathBuf {
    ensure_tools();
    moto_server_path().with_file_name("python")
}

fn terraform_path() -> PathBuf {
    repo_root().join(".tools").join("terraform")
}

fn moto_server_path() -> PathBuf {
    repo_root().join(".tools").join("venv").join("bin").join("moto_server")
}

/// Runs `scripts/install-tools.sh` once per test process if either tool is missing. If that fails,
/// every caller panics with the same message (the script is not retried).
pub fn ensure_tools() {
    static TOOLS: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(msg) = TOOLS.get_or_init(install_tools_if_missing) {
        panic!("{msg}");
    }
}

fn install_tools_if_missing() -> Result<(), String> {
    if terraform_path().is_file() && moto_server_path().is_file() {
        return Ok(());
    }
    let script = repo_root().join("scripts").join("install-tools.sh");
    let out = Command::new("bash")
        .arg(&script)
        .current_dir(repo_root())
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    for tool in [terraform_path(), moto_server_path()] {
        if !tool.is_file() {
            return Err(format!("{} is still missing after {}", tool.display(), script.display()));
        }
    }
    Ok(())
}

/// A per-process directory whose only entry is `terraform-provider-awsecs`, a symlink to the binary
/// cargo built for this test run. `dev_overrides` points here, so nothing else in target/ can be
/// picked up instead. Directories left behind by earlier (finished) test processes are removed.
pub fn provider_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let binary = PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-awsecs"));
        assert!(binary.is_file(), "provider binary {} does not exist", binary.display());
        let tmp = std::env::temp_dir();
        remove_stale_provider_dirs(&tmp);
        let dir = tmp.join(format!("{PROVIDER_DIR_PREFIX}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let link = dir.join("terraform-provider-awsecs");
        std::os::unix::fs::symlink(&binary, &link)
            .unwrap_or_else(|e| panic!("cannot symlink {} -> {}: {e}", link.display(), binary.display()));
        dir
    })
}

const PROVIDER_DIR_PREFIX: &str = "awsecs-acc-provider-";

fn remove_stale_provider_dirs(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(PROVIDER_DIR_PREFIX)) else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The `terraform` and `provider` blocks every test config starts with: the provider under test,
/// dummy credentials, one retry, and all four services (ECS, EC2, RDS, SSM) pointed at `endpoint`
/// (a moto server).
/// (HCL allows only one argument in a single-line block, so `required_providers` gets its own
/// lines.)
pub fn provider_block(endpoint: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    awsecs = {{ source = "{PROVIDER_SOURCE}" }}
  }}
}}
provider "awsecs" {{
  region      = "{REGION}"
  access_key  = "testing"
  secret_key  = "testing"
  max_retries = 1
  endpoints {{
    ecs = "{endpoint}"
    ec2 = "{endpoint}"
    rds = "{endpoint}"
    ssm = "{endpoint}"
    sts = "{endpoint}"
    autoscaling = "{endpoint}"
  }}
}}
"#
    )
}

/// Runs `terraform plan -detailed-exitcode` and panics with the plan output unless it reports no
/// changes (exit code 0). Call it after every successful apply.
#[track_caller]
pub fn assert_no_changes(ws: &TfWorkspace) {
    let (code, out) = ws.plan_exit_code();
    if code != 0 {
        panic!("expected an empty plan after apply (exit code 0), got exit code {code} in {}:\n{out}", ws.path().display());
    }
}
