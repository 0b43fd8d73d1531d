#!/usr/bin/env bash
# The compatibility matrix's second leg: the whole acceptance suite again, on the newest Terraform
# this machine has (AWSECS_ACC_NEWER_TERRAFORM, else `terraform` on the PATH when it is newer than
# the suite's 1.0.3). The first leg is `cargo test` on 1.0.3. Prints a line and succeeds when there
# is no newer Terraform: the matrix is then 1.0.3 alone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
candidate="${AWSECS_ACC_NEWER_TERRAFORM:-terraform}"
version="$("$candidate" version 2>/dev/null | head -n1 | sed -n 's/^Terraform v//p' || true)"
major="${version%%.*}"
rest="${version#*.}"
minor="${rest%%.*}"
if [ -z "$version" ] || { [ "$major" -le 1 ] && [ "$minor" -lt 4 ]; }; then
  echo "compat: no Terraform newer than 1.0.3 found (${candidate}: ${version:-none}); the acceptance suite ran on 1.0.3 only"
  exit 0
fi
echo "compat: running the acceptance suite again on Terraform ${version} ($(command -v "$candidate" || echo "$candidate"))"
start=$(date +%s)
AWSECS_ACC_TERRAFORM=newer cargo test --locked --test acceptance
echo "compat: Terraform ${version} leg passed in $(( $(date +%s) - start )) s"
