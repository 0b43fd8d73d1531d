//! Installing the provider the way users do, with no `dev_overrides`: `scripts/dist.py` (what
//! `make dist` runs) packages the binary cargo built for this test run (no release build), and
//! `terraform init` installs that package from `-plugin-dir`, from a `filesystem_mirror`, and from
//! a `network_mirror` (HTTPS on loopback). The lock file records the package's `h1:` hash, the one
//! dist.py computes; a package that does not match it is refused. Nothing reaches the network:
//! every installation source is local and limited to this provider.

use std::io::{BufRead, BufReader, Write as _};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::{json, Value};

use crate::harness::terraform::TfOutput;
use crate::harness::{
    moto_python_bin, newer_terraform, oldest_terraform, repo_root, skip_in_newer_leg, TfWorkspace, PROVIDER_SOURCE, REGION,
};

const NAME: &str = "terraform-provider-awsecs";
/// The version the packages carry: the crate's, which is also dist.py's default.
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Where the packed mirror layout keeps this provider's files, under a dist directory.
const MIRROR_SUBDIR: &str = "registry.terraform.io/awsecs/awsecs";

/// This machine's platform in Terraform's (Go's) words: `("linux", "amd64")`.
fn os_arch() -> (&'static str, &'static str) {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    (os, arch)
}

fn platform() -> String {
    let (os, arch) = os_arch();
    format!("{os}_{arch}")
}

fn zip_name() -> String {
    format!("{NAME}_{VERSION}_{}.zip", platform())
}

/// Terraform's diagnostics wrap and box their text: compare words, not lines.
fn flat(text: &str) -> String {
    text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn read_json(path: &Path) -> Value {
    let text = read(path);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON ({e}):\n{text}", path.display()))
}

fn describe(what: &str, out: &Output) -> String {
    format!(
        "{what} exited with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `scripts/dist.py --binary BINARY --out OUT ARGS...`, whatever its exit code.
fn run_dist(binary: &Path, out: &Path, args: &[&str]) -> Output {
    let script = repo_root().join("scripts").join("dist.py");
    Command::new(moto_python_bin())
        .arg(&script)
        .arg("--binary")
        .arg(binary)
        .arg("--out")
        .arg(out)
        .args(args)
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()))
}

/// A dist directory written by dist.py, and the package hash it computed.
struct Dist {
    dir: PathBuf,
    h1: String,
}

impl Dist {
    fn mirror_dir(&self) -> PathBuf {
        self.dir.join(MIRROR_SUBDIR)
    }
}

/// Packages `binary` for this platform into `out`; panics unless dist.py succeeds and leaves an
/// `h1:` hash.
#[track_caller]
fn package(binary: &Path, out: &Path) -> Dist {
    let (os, arch) = os_arch();
    let run = run_dist(binary, out, &["--version", VERSION, "--os", os, "--arch", arch]);
    assert!(run.status.success(), "{}", describe("dist.py", &run));
    let h1 = read(&out.join(format!("{NAME}_{VERSION}_{os}_{arch}.h1"))).trim().to_string();
    // "h1:" and the base64 of a sha256 (44 characters with its padding).
    assert!(h1.starts_with("h1:") && h1.len() == 47, "dist.py wrote {h1:?} as the package hash");
    Dist { dir: out.to_path_buf(), h1 }
}

/// A configuration that needs the provider but no AWS: `validate` and `providers schema` start the
/// provider (schema, resource validation) and never configure it.
fn config() -> String {
    format!(
        r#"terraform {{
  required_providers {{
    awsecs = {{
      source  = "{PROVIDER_SOURCE}"
      version = "= {VERSION}"
    }}
  }}
}}
provider "awsecs" {{
  region                      = "{REGION}"
  skip_credentials_validation = true
}}
resource "awsecs_cluster" "install" {{
  name = "install-check"
}}
"#
    )
}

/// Where `terraform init` unpacks the package in the working directory.
fn installed_binary(ws: &TfWorkspace) -> PathBuf {
    ws.path().join(".terraform").join("providers").join(MIRROR_SUBDIR).join(VERSION).join(platform()).join(format!("{NAME}_v{VERSION}"))
}

fn lock_file(ws: &TfWorkspace) -> String {
    read(&ws.path().join(".terraform.lock.hcl"))
}

/// After a successful `init` (`how` says which source): the lock file records the package's hash,
/// the package is unpacked under `.terraform/providers`, and the provider starts from there
/// (`validate`, `providers schema -json`) with no development override in effect.
#[track_caller]
fn assert_installed(ws: &TfWorkspace, dist: &Dist, how: &str, init: &TfOutput) {
    assert!(init.success(), "{how}: {}", init.describe());
    let lock_path = ws.path().join(".terraform.lock.hcl");
    assert!(lock_path.is_file(), "{how}: no {} after init:\n{}", lock_path.display(), init.describe());
    let lock = lock_file(ws);
    assert!(
        lock.contains(&format!("\"{}\"", dist.h1)) && lock.contains(&format!("\"{VERSION}\"")),
        "{how}: the lock file should record version {VERSION} and dist.py's hash {}:\n{lock}\n{}",
        dist.h1,
        init.describe()
    );
    let exe = installed_binary(ws);
    let meta = std::fs::metadata(&exe).unwrap_or_else(|e| panic!("{how}: {} was not installed ({e}):\n{}", exe.display(), init.describe()));
    assert!(meta.is_file() && meta.permissions().mode() & 0o111 != 0, "{how}: {} is not an executable file", exe.display());

    let validate = ws.run(&["validate"]);
    assert!(validate.success(), "{how}: {}", validate.describe());
    assert!(!flat(&validate.combined()).contains("overrides"), "{how}: no development override may be in effect: {}", validate.describe());
    let schema = ws.run(&["providers", "schema", "-json"]);
    assert!(schema.success(), "{how}: {}", schema.describe());
    let doc: Value = serde_json::from_str(schema.stdout.trim()).unwrap_or_else(|e| panic!("{how}: not JSON ({e}): {}", schema.describe()));
    let provider = doc.get("provider_schemas").and_then(|p| p.get(PROVIDER_SOURCE));
    assert!(
        provider.and_then(|p| p.pointer("/resource_schemas/awsecs_cluster")).is_some(),
        "{how}: the installed provider's schema has no awsecs_cluster: {}",
        schema.describe()
    );
}

fn remove_dot_terraform(ws: &TfWorkspace) {
    let dir = ws.path().join(".terraform");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("cannot remove {}: {e}", dir.display()));
    }
}

/// The install scenarios, run in one workspace with `terraform`:
/// (a) `init -plugin-dir` from dist.py's output; (b) the same with the zip swapped for one holding
/// another binary, refused against the lock file; (c) a `filesystem_mirror`; (d) a
/// `network_mirror` serving the same directory over HTTPS.
fn install_from_packages(name: &str, terraform: PathBuf) {
    let mut ws = TfWorkspace::new(name);
    ws.use_terraform(terraform);
    ws.write_config(&config());
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-awsecs"));
    let good = package(&binary, &ws.path().join("dist"));

    // (a) -plugin-dir: only that directory is searched, and the CLI config has no dev_overrides.
    ws.write_cli_config("# No provider_installation block and no dev_overrides: -plugin-dir decides.\n");
    let plugin_dir = format!("-plugin-dir={}", good.dir.display());
    let init = ws.run(&["init", &plugin_dir]);
    assert_installed(&ws, &good, "init -plugin-dir", &init);
    let lock_before = lock_file(&ws);

    // (b) The same package name holding another binary (one byte appended): the recorded hash no
    // longer matches, so init refuses it, installs nothing and leaves the lock file alone.
    let tampered_bin = ws.path().join("tampered-bin").join(NAME);
    std::fs::create_dir_all(tampered_bin.parent().unwrap()).unwrap();
    std::fs::copy(&binary, &tampered_bin).unwrap_or_else(|e| panic!("cannot copy {} to {}: {e}", binary.display(), tampered_bin.display()));
    std::fs::OpenOptions::new().append(true).open(&tampered_bin).and_then(|mut f| f.write_all(b"\0")).unwrap();
    let tampered = package(&tampered_bin, &ws.path().join("tampered-dist"));
    assert_ne!(tampered.h1, good.h1, "another binary must give another package hash");
    let swapped = ws.path().join("swapped");
    let swapped_mirror = swapped.join(MIRROR_SUBDIR);
    std::fs::create_dir_all(&swapped_mirror).unwrap();
    for entry in std::fs::read_dir(good.mirror_dir()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), swapped_mirror.join(entry.file_name())).unwrap();
    }
    std::fs::copy(tampered.mirror_dir().join(zip_name()), swapped_mirror.join(zip_name())).unwrap();
    remove_dot_terraform(&ws);
    let init = ws.run(&["init", &format!("-plugin-dir={}", swapped.display())]);
    assert!(!init.success(), "init must refuse a package that does not match the lock file: {}", init.describe());
    let text = flat(&init.combined());
    assert!(
        text.contains("checksum") && text.contains("checksums previously recorded in the dependency lock file"),
        "init should say the package does not match the lock file's checksums: {}",
        init.describe()
    );
    assert_eq!(lock_file(&ws), lock_before, "a refused package must not change the lock file");
    assert!(!installed_binary(&ws).exists(), "a refused package must not be installed: {}", installed_binary(&ws).display());

    // (c) A filesystem_mirror in the CLI config (no -plugin-dir; .terraform/plugin_path is gone
    // with .terraform), against the lock file from (a).
    remove_dot_terraform(&ws);
    ws.write_cli_config(&format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{PROVIDER_SOURCE}\"]\n  }}\n}}\n",
        good.dir.display()
    ));
    let init = ws.run(&["init"]);
    assert_installed(&ws, &good, "init from a filesystem_mirror", &init);
    assert!(!lock_file(&ws).contains(&tampered.h1), "the refused package's hash must not be in the lock file");

    // (d) A network_mirror: the same directory over HTTPS (a self-signed certificate, trusted
    // through SSL_CERT_FILE), with a fresh lock file. Terraform checks the package against the
    // hash in VERSION.json ("verified checksum").
    if !openssl_available() {
        eprintln!("skipped the network mirror: no openssl on the PATH to make a certificate");
        return;
    }
    remove_dot_terraform(&ws);
    std::fs::remove_file(ws.path().join(".terraform.lock.hcl")).unwrap();
    let mirror = HttpsMirror::start(ws.path(), &good.dir);
    ws.write_cli_config(&format!(
        "provider_installation {{\n  network_mirror {{\n    url     = \"{}\"\n    include = [\"{PROVIDER_SOURCE}\"]\n  }}\n}}\n",
        mirror.url()
    ));
    let cert = mirror.cert.display().to_string();
    let init = ws.run_with_env(&["init"], &[("SSL_CERT_FILE", cert.as_str())]);
    assert_installed(&ws, &good, "init from a network_mirror", &init);
    assert!(flat(&init.stdout).contains("(verified checksum)"), "the mirror's hash should have been checked: {}", init.describe());
    let log = read(&mirror.log);
    for file in ["index.json".to_string(), format!("{VERSION}.json"), zip_name()] {
        assert!(log.contains(&format!("GET /{MIRROR_SUBDIR}/{file} ")), "the mirror was not asked for {file}; its log:\n{log}");
    }
}

fn openssl_available() -> bool {
    Command::new("openssl").arg("version").stdout(Stdio::null()).stderr(Stdio::null()).status().map(|s| s.success()).unwrap_or(false)
}

/// A Python HTTPS file server for a directory on a free loopback port (the network mirror
/// protocol is static files), with a certificate made for 127.0.0.1. Killed on drop.
struct HttpsMirror {
    child: Child,
    port: u16,
    cert: PathBuf,
    log: PathBuf,
}

const HTTPS_SERVER: &str = r#"
import functools, http.server, ssl, sys
root, cert, key = sys.argv[1:4]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

impl HttpsMirror {
    #[track_caller]
    fn start(work: &Path, root: &Path) -> HttpsMirror {
        let dir = work.join("https-mirror");
        std::fs::create_dir_all(&dir).unwrap();
        let (cert, key, log) = (dir.join("cert.pem"), dir.join("key.pem"), dir.join("requests.log"));
        let made = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"])
            .args(["-addext", "subjectAltName=IP:127.0.0.1"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run openssl: {e}"));
        assert!(made.status.success(), "{}", describe("openssl req -x509", &made));
        let log_file = std::fs::File::create(&log).unwrap();
        let mut child = Command::new(moto_python_bin())
            .arg("-u")
            .arg("-c")
            .arg(HTTPS_SERVER)
            .arg(root)
            .arg(&cert)
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the HTTPS mirror: {e}"));
        let mut line = String::new();
        let _ = BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line);
        let port = match line.trim().parse::<u16>() {
            Ok(port) => port,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the HTTPS mirror did not start (printed {line:?}); its log:\n{}", read(&log));
            }
        };
        HttpsMirror { child, port, cert, log }
    }

    /// The mirror's base URL (the provider's files are under `registry.terraform.io/awsecs/awsecs/`).
    fn url(&self) -> String {
        format!("https://127.0.0.1:{}/", self.port)
    }
}

impl Drop for HttpsMirror {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `terraform init` installs the packaged provider, and refuses a swapped one, on the suite's
/// Terraform 1.0.3.
#[test]
fn installs_the_package_on_terraform_1_0_3() {
    if skip_in_newer_leg("installs_the_package_on_terraform_1_0_3") {
        return;
    }
    install_from_packages("install_tf103", oldest_terraform());
}

/// The same on the newer Terraform, when there is one.
#[test]
fn installs_the_package_on_newer_terraform() {
    if skip_in_newer_leg("installs_the_package_on_newer_terraform") {
        return;
    }
    let Some(newer) = newer_terraform() else {
        eprintln!("skipped on newer Terraform: none found (set AWSECS_ACC_NEWER_TERRAFORM)");
        return;
    };
    install_from_packages("install_newer", newer);
}

/// dist.py itself, on a small stand-in binary (no Terraform): the same input gives the same zip
/// bytes; the zip holds one 0755 `terraform-provider-awsecs_vVERSION` dated 1980-01-01; the
/// version defaults to Cargo.toml's; SHA256SUMS covers the zip and the manifest and checks out;
/// the manifest and the mirror's index.json / VERSION.json are what registries and mirrors read;
/// a missing binary is an error that says so.
#[test]
fn dist_writes_a_reproducible_package() {
    if skip_in_newer_leg("dist_writes_a_reproducible_package") {
        return;
    }
    let ws = TfWorkspace::new("install_dist");
    let binary = ws.path().join("fake-provider");
    std::fs::write(&binary, b"#!/bin/sh\necho not really a provider\n").unwrap();
    let (os, arch) = os_arch();
    let plat = platform();
    let zip = zip_name();

    // Default version: no --version.
    let first = ws.path().join("first");
    let run = run_dist(&binary, &first, &["--os", os, "--arch", arch]);
    assert!(run.status.success(), "{}", describe("dist.py", &run));
    let printed = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(printed.contains(&zip), "dist.py should print what it wrote:\n{printed}");
    let second = package(&binary, &ws.path().join("second"));
    let bytes = |dir: &Path| std::fs::read(dir.join(&zip)).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join(&zip).display()));
    assert!(bytes(&first) == bytes(&second.dir), "two runs on the same binary must give identical zips");
    assert!(bytes(&second.dir) == bytes(&second.mirror_dir()), "the mirror's zip must be the same file as the release zip");
    assert_eq!(read(&first.join(format!("{NAME}_{VERSION}_{plat}.h1"))).trim(), second.h1);

    // The zip's single entry, as Python's zipfile reads it.
    let listing = Command::new(moto_python_bin())
        .arg("-c")
        .arg(
            "import json, sys, zipfile\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             print(json.dumps([[i.filename, i.external_attr >> 16, list(i.date_time)] for i in z.infolist()]))",
        )
        .arg(second.dir.join(&zip))
        .output()
        .unwrap();
    assert!(listing.status.success(), "{}", describe("zip listing", &listing));
    let entries: Value = serde_json::from_slice(&listing.stdout).unwrap();
    assert_eq!(entries, json!([[format!("{NAME}_v{VERSION}"), 0o100755, [1980, 1, 1, 0, 0, 0]]]));

    // SHA256SUMS: the zip and the manifest, sorted, and sha256sum agrees.
    let sums_name = format!("{NAME}_{VERSION}_SHA256SUMS");
    let manifest_name = format!("{NAME}_{VERSION}_manifest.json");
    let sums = read(&second.dir.join(&sums_name));
    let names: Vec<&str> = sums.lines().map(|l| l.split_once("  ").map(|(_, n)| n).unwrap_or("")).collect();
    let mut expected = vec![zip.as_str(), manifest_name.as_str()];
    expected.sort();
    assert_eq!(names, expected, "SHA256SUMS:\n{sums}");
    let check = Command::new("sha256sum").args(["--check", "--strict", &sums_name]).current_dir(&second.dir).output();
    match check {
        Ok(out) => assert!(out.status.success(), "{}", describe("sha256sum --check", &out)),
        Err(e) => eprintln!("sha256sum not run ({e}): SHA256SUMS only checked for its names"),
    }

    assert_eq!(read_json(&second.dir.join(&manifest_name)), json!({"version": 1, "metadata": {"protocol_versions": ["6.0", "5.0"]}}));
    assert_eq!(read_json(&second.mirror_dir().join("index.json")), json!({"versions": {VERSION: {}}}));
    assert_eq!(
        read_json(&second.mirror_dir().join(format!("{VERSION}.json"))),
        json!({"archives": {plat.clone(): {"url": zip.clone(), "hashes": [second.h1.clone()]}}})
    );

    // A missing binary: non-zero exit, and the message names it.
    let missing = ws.path().join("no-such-binary");
    let run = run_dist(&missing, &ws.path().join("third"), &[]);
    assert!(!run.status.success(), "dist.py must fail without a binary: {}", describe("dist.py", &run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("no-such-binary") && stderr.contains("does not exist"), "{}", describe("dist.py", &run));
}
