#!/usr/bin/env bash
# The main job, on a fresh machine: install Terraform and moto (once), build the provider, start a
# local AWS endpoint (moto, with the ECS agent and scheduler stand-ins), create the pieces the
# walkthrough assumes already exist (VPC, subnets, security groups, instance profile, key pair, RDS
# database, secret), and `terraform apply` examples/wordpress against it. Prints the outputs, proves
# a second plan is empty, then destroys, checks that nothing was left behind, and stops moto.
#   DEMO_KEEP=1 scripts/demo.sh   keeps moto running and the work dir, and prints how to go on.
#   DEMO_EXAMPLE=examples/cluster scripts/demo.sh   applies another example (no pre-existing pieces).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
example="${DEMO_EXAMPLE:-examples/wordpress}"

step() { printf '\n==> %s\n' "$*"; }
fail() { printf '\ndemo failed: %s\n' "$*" >&2; exit 1; }

step "Installing Terraform v1.0.3 and moto into .tools/ (skipped when present)"
bash scripts/install-tools.sh || fail "could not install the tools (see above)"

step "Building the provider"
# The same build as `make test` (which also compiles the dev-dependency features into shared crates),
# so that running both, as CI does, compiles the AWS SDK once rather than twice.
cargo test --locked --no-run || fail "cargo build failed"

work="$(mktemp -d "${TMPDIR:-/tmp}/awsecs-demo.XXXXXX")"
# shellcheck source=scripts/moto.sh
source scripts/moto.sh
cleanup() {
  if [ "${DEMO_KEEP:-}" = "1" ]; then return; fi
  stop_moto
  rm -rf "$work"
}
trap cleanup EXIT

step "Starting moto (a local AWS endpoint) with the ECS agent and scheduler stand-ins"
# moto has no ECS agent or scheduler; the acceptance tests' stand-ins play them (test doubles).
MOTO_STANDINS=agent,scheduler start_moto "$work/moto.log" || fail "moto did not start"
echo "moto is answering at $AWS_ENDPOINT_URL"

# Terraform finds the provider we just built through a dev_overrides CLI config (no `terraform init`).
mkdir -p "$work/plugins"
ln -s "${CARGO_TARGET_DIR:-$root/target}/debug/terraform-provider-awsecs" "$work/plugins/terraform-provider-awsecs"
cat >"$work/terraformrc" <<TFRC
provider_installation {
  dev_overrides {
    "registry.terraform.io/awsecs/awsecs" = "$work/plugins"
  }
  direct {}
}
TFRC
cp "$root/$example"/*.tf "$work/"
if [ "$example" = "examples/wordpress" ]; then
  step "Creating what the walkthrough assumes exists: VPC, subnets, security groups, instance profile, key pair, RDS database, secret"
  "$root/.tools/venv/bin/python" scripts/demo_prereqs.py "$AWS_ENDPOINT_URL" >"$work/terraform.tfvars.json" \
    || fail "could not create the pre-existing pieces in moto"
  cat "$work/terraform.tfvars.json"
fi
export TF_CLI_CONFIG_FILE="$work/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=ap-northeast-1 AWS_EC2_METADATA_DISABLED=true
tf() { "$root/.tools/terraform" -chdir="$work" "$@"; }

step "terraform apply ($example)"
tf apply -auto-approve || fail "terraform apply failed"

step "Outputs"
tf output || fail "terraform output failed"

step "A second plan must find nothing to change"
set +e
tf plan -detailed-exitcode -no-color >"$work/plan.txt" 2>&1
code=$?
set -e
case $code in
  0) echo "No changes: the infrastructure matches the configuration." ;;
  2) cat "$work/plan.txt"; fail "the second plan wants changes (a perpetual diff)" ;;
  *) cat "$work/plan.txt"; fail "terraform plan failed" ;;
esac

if [ "${DEMO_KEEP:-}" = "1" ]; then
  step "Kept running (DEMO_KEEP=1)"
  cat <<EOT
moto (pid $MOTO_PID) answers at $AWS_ENDPOINT_URL; the configuration and state are in $work.
To look around and then destroy:
  export TF_CLI_CONFIG_FILE=$work/terraformrc AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=ap-northeast-1
  $root/.tools/terraform -chdir=$work destroy
  kill $MOTO_PID
EOT
  exit 0
fi

step "terraform destroy"
tf destroy -auto-approve || fail "terraform destroy failed"
if [ "$example" = "examples/wordpress" ]; then
  "$root/.tools/venv/bin/python" scripts/demo_check_empty.py "$AWS_ENDPOINT_URL" || fail "destroy left things behind"
fi
echo
echo "Demo complete: applied, planned clean, destroyed. moto is stopped."
echo "Run with DEMO_KEEP=1 to keep moto and the state around and destroy by hand."
