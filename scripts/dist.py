#!/usr/bin/env python3
"""Package a built terraform-provider-awsecs binary the way Terraform installs providers.

    python3 scripts/dist.py --binary target/release/terraform-provider-awsecs --out dist \
        [--version 0.1.0] [--os linux --arch amd64]

Writes into OUT (see docs/guides/installation.md for how each is used):

  terraform-provider-awsecs_V_OS_ARCH.zip    the release archive: one file,
                                             terraform-provider-awsecs_vV, mode 0755, with fixed
                                             timestamps (the same input gives the same bytes)
  terraform-provider-awsecs_V_manifest.json  the registry manifest (plugin protocols 6.0 and 5.0)
  terraform-provider-awsecs_V_SHA256SUMS     sha256 of every V zip in OUT and of the manifest
  terraform-provider-awsecs_V_OS_ARCH.h1     the zip's Terraform package hash ("h1:...")
  registry.terraform.io/awsecs/awsecs/       a packed mirror: the zip, index.json and V.json;
                                             OUT works as -plugin-dir, as a filesystem_mirror,
                                             and, served over HTTPS, as a network_mirror

Running it again for another OS/ARCH into the same OUT adds that platform: SHA256SUMS, V.json and
index.json list every package present. Nothing is signed: a registry's GPG signature of SHA256SUMS
is the publisher's step.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import sys
import zipfile

NAME = "terraform-provider-awsecs"
HOSTNAME = "registry.terraform.io"
NAMESPACE = "awsecs"
TYPE = "awsecs"
PROTOCOL_VERSIONS = ["6.0", "5.0"]

# The earliest date a zip entry can carry; every entry gets it, so the archive does not depend on
# when or where it was built.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Terraform reads versions as semver (a leading "v" is not part of it).
VERSION_RE = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
PLATFORM_PART_RE = re.compile(r"^[a-z0-9]+$")


def fail(msg):
    print(f"dist.py: {msg}", file=sys.stderr)
    sys.exit(1)


def cargo_version(cargo_toml):
    """`version = "..."` of the [package] table, read line by line (no TOML library needed)."""
    try:
        with open(cargo_toml, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        fail(f"cannot read {cargo_toml}: {e}")
    section = None
    for line in lines:
        stripped = line.split("#", 1)[0].strip()
        header = re.match(r"^\[([^\[\]]+)\]$", stripped)
        if header:
            section = header.group(1).strip()
            continue
        if section == "package":
            m = re.match(r'^version\s*=\s*"([^"]+)"$', stripped)
            if m:
                return m.group(1)
    fail(f'no version = "..." in the [package] section of {cargo_toml}; pass --version')


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_zip(zip_path, member_name, binary):
    """A deflated zip holding `binary` as `member_name`: Unix mode 0755, fixed timestamp."""
    info = zipfile.ZipInfo(member_name, date_time=ZIP_EPOCH)
    info.create_system = 3  # Unix, so external_attr carries the permission bits
    info.external_attr = (0o100755 & 0xFFFF) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    tmp = zip_path + ".tmp"
    with open(binary, "rb") as src, zipfile.ZipFile(tmp, "w") as zf:
        with zf.open(info, "w") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(tmp, zip_path)


def package_hash_h1(zip_path):
    """Terraform's "h1:" hash of a provider package (its lock files and mirrors record it).

    It is golang.org/x/mod/sumdb/dirhash's Hash1 over the archive's entries: for every entry name,
    sorted, the line "<sha256 hex of its contents>  <name>\\n"; then base64 (standard alphabet,
    padded) of the sha256 of those lines. It depends on the names and contents only, not on how
    the zip was compressed; for a zip of plain files (ours) it equals the hash of the unpacked
    directory, which is what Terraform computes for an installed package.
    """
    with zipfile.ZipFile(zip_path) as zf:
        names = sorted(i.filename for i in zf.infolist())
        summary = hashlib.sha256()
        for name in names:
            if "\n" in name:
                fail(f"{zip_path}: entry name with a newline: {name!r}")
            h = hashlib.sha256()
            with zf.open(name) as member:
                for chunk in iter(lambda: member.read(1 << 20), b""):
                    h.update(chunk)
            summary.update(f"{h.hexdigest()}  {name}\n".encode("utf-8"))
    return "h1:" + base64.b64encode(summary.digest()).decode("ascii")


def write_text(path, text, written):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    written.append(path)


def write_json(path, value, written):
    write_text(path, json.dumps(value, indent=2) + "\n", written)


def packages_in(directory, version):
    """{ "os_arch": zip file name } for this version's zips in `directory`."""
    prefix, suffix = f"{NAME}_{version}_", ".zip"
    found = {}
    for entry in sorted(os.listdir(directory)):
        if entry.startswith(prefix) and entry.endswith(suffix) and os.path.isfile(os.path.join(directory, entry)):
            platform = entry[len(prefix):-len(suffix)]
            if re.match(r"^[a-z0-9]+_[a-z0-9]+$", platform):
                found[platform] = entry
    return found


def mirror_versions(mirror_dir):
    """Versions that have a VERSION.json in the mirror directory (for index.json)."""
    versions = []
    for entry in sorted(os.listdir(mirror_dir)):
        if entry.endswith(".json") and entry != "index.json" and VERSION_RE.match(entry[: -len(".json")]):
            versions.append(entry[: -len(".json")])
    return versions


def main():
    parser = argparse.ArgumentParser(description="Package terraform-provider-awsecs for Terraform (zip, SHA256SUMS, manifest, mirror layout).")
    parser.add_argument("--binary", required=True, help="the built provider executable")
    parser.add_argument("--out", required=True, help="output directory (created if missing)")
    parser.add_argument("--version", help="provider version (default: [package] version in Cargo.toml)")
    parser.add_argument("--os", default="linux", help="target OS, in Go's words (default: linux)")
    parser.add_argument("--arch", default="amd64", help="target architecture, in Go's words (default: amd64)")
    args = parser.parse_args()

    if not os.path.isfile(args.binary):
        fail(f"provider binary {args.binary} does not exist (build it first: cargo build --release --locked --bin {NAME})")
    version = args.version or cargo_version(os.path.join(REPO_ROOT, "Cargo.toml"))
    if version.startswith("v"):
        fail(f"version {version!r}: give it without the leading v")
    if not VERSION_RE.match(version):
        fail(f"version {version!r} is not a semantic version (such as 0.1.0) that Terraform accepts")
    for what, value in (("--os", args.os), ("--arch", args.arch)):
        if not PLATFORM_PART_RE.match(value):
            fail(f"{what} {value!r}: expected lowercase letters and digits, such as linux / amd64")
    platform = f"{args.os}_{args.arch}"

    out = args.out
    os.makedirs(out, exist_ok=True)
    mirror_dir = os.path.join(out, HOSTNAME, NAMESPACE, TYPE)
    os.makedirs(mirror_dir, exist_ok=True)
    written = []

    # The archive, named as registries and mirrors expect.
    zip_name = f"{NAME}_{version}_{platform}.zip"
    zip_path = os.path.join(out, zip_name)
    write_zip(zip_path, f"{NAME}_v{version}", args.binary)
    written.append(zip_path)
    h1 = package_hash_h1(zip_path)
    write_text(os.path.join(out, f"{NAME}_{version}_{platform}.h1"), h1 + "\n", written)

    # The registry manifest, checksummed alongside the zips.
    manifest_name = f"{NAME}_{version}_manifest.json"
    write_json(os.path.join(out, manifest_name), {"version": 1, "metadata": {"protocol_versions": PROTOCOL_VERSIONS}}, written)

    sums = {name: file_sha256(os.path.join(out, name)) for name in packages_in(out, version).values()}
    sums[manifest_name] = file_sha256(os.path.join(out, manifest_name))
    write_text(
        os.path.join(out, f"{NAME}_{version}_SHA256SUMS"),
        "".join(f"{sums[name]}  {name}\n" for name in sorted(sums)),
        written,
    )

    # The packed mirror: a copy (not a link, so replacing one never changes the other) of the zip
    # next to the network mirror protocol's index.json and VERSION.json (URLs relative to them).
    mirror_zip = os.path.join(mirror_dir, zip_name)
    shutil.copyfile(zip_path, mirror_zip)
    written.append(mirror_zip)
    archives = {}
    for plat, name in packages_in(mirror_dir, version).items():
        plat_hash = h1 if plat == platform else package_hash_h1(os.path.join(mirror_dir, name))
        archives[plat] = {"url": name, "hashes": [plat_hash]}
    write_json(os.path.join(mirror_dir, f"{version}.json"), {"archives": archives}, written)
    write_json(os.path.join(mirror_dir, "index.json"), {"versions": {v: {} for v in mirror_versions(mirror_dir)}}, written)

    print(f"{NAME} {version} for {platform} ({h1}):")
    for path in written:
        print(f"  {path}")


if __name__ == "__main__":
    main()
