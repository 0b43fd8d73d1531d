#!/usr/bin/env bash
# The main job, on a fresh machine: install Terraform and moto (once), build the provider, start a
# local AWS endpoint (moto, with the ECS agent and scheduler stand-ins), create the pieces the
# walkthrough assumes already exist (VPC, subnets, security groups, instance profile, key pair, RDS
# database, secret, task execution role), and `terraform apply` examples/wordpress against it.
# Prints the outputs and proves a second plan is empty; rolls a new WordPress image out to the
# running service (apply with -var image=...), shows the new revision running and the old task
# stopped, and proves the plan is empty again; then destroys, checks that nothing was left behind,
# and stops moto.
#   DEMO_KEEP=1 scripts/demo.sh   keeps moto running and the work dir, and prints how to go on.
#   DEMO_EXAMPLE=examples/cluster scripts/demo.sh   applies another example (no pre-existing pieces).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
example="${DEMO_EXAMPLE:-examples/wordpress}"
# The image the demo rolls out after the first apply (examples/wordpress starts with wordpress:6).
new_image="wordpress:6.6"

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
  step "Creating what the walkthrough assumes exists: VPC, subnets, security groups, instance profile, key pair, RDS database, secret, task execution role"
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

# plan_is_empty WHAT [PLAN ARGS...]: a plan that wants changes, or fails, ends the demo.
plan_is_empty() {
  local what="$1" code
  shift
  set +e
  tf plan -detailed-exitcode -no-color "$@" >"$work/plan.txt" 2>&1
  code=$?
  set -e
  case $code in
    0) echo "No changes: the infrastructure matches the configuration." ;;
    2) cat "$work/plan.txt"; fail "$what wants changes (a perpetual diff)" ;;
    *) cat "$work/plan.txt"; fail "terraform plan failed ($what)" ;;
  esac
}

step "A second plan must find nothing to change"
plan_is_empty "the second plan"

keep_vars=""
if [ "$example" = "examples/wordpress" ]; then
  # The service as ECS reports it, read with boto3 (there is no AWS CLI here), as
  # scripts/demo_check_empty.py does. `before`: prints the revision and the one running task as
  # JSON. `after BEFORE_JSON IMAGE`: one line per check; exits 1 if any fails.
  roll_check=$(cat <<'PY'
import json, sys
import boto3

endpoint, mode, cluster = sys.argv[1:4]
ecs = boto3.client("ecs", endpoint_url=endpoint, region_name="ap-northeast-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
services = ecs.list_services(cluster=cluster)["serviceArns"]
if len(services) != 1:
    sys.exit(f"expected one service in {cluster}, found {services}")
svc = ecs.describe_services(cluster=cluster, services=services)["services"][0]
td = svc["taskDefinition"]
arns = ecs.list_tasks(cluster=cluster, serviceName=svc["serviceName"], desiredStatus="RUNNING")["taskArns"]
tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []
name = lambda arn: arn.rsplit("/", 1)[-1]          # family:revision, or the task id
revision = lambda arn: int(arn.rsplit(":", 1)[-1])

if mode == "before":
    if len(tasks) != 1 or tasks[0]["lastStatus"] != "RUNNING":
        sys.exit(f"expected one RUNNING task before the roll, found {[(name(t['taskArn']), t['lastStatus']) for t in tasks]}")
    json.dump({"task_definition": td, "task": tasks[0]["taskArn"]}, sys.stdout)
    sys.exit(0)

before, image = json.load(open(sys.argv[4])), sys.argv[5]
failed = 0
def check(ok, line):
    global failed
    failed += not ok
    print(("  ok    " if ok else "  FAIL  ") + line)

old_td = before["task_definition"]
check(revision(td) > revision(old_td), f"the service runs revision {name(td)} (was {name(old_td)})")
running_image = ecs.describe_task_definition(taskDefinition=td)["taskDefinition"]["containerDefinitions"][0]["image"]
check(running_image == image, f"{name(td)} has the image {running_image} (rolled out: {image})")
check(len(tasks) == 1 and tasks[0]["lastStatus"] == "RUNNING" and tasks[0]["taskDefinitionArn"] == td,
      f"exactly one task RUNNING, of {name(td)}: "
      + (", ".join(f"{name(t['taskArn'])} {t['lastStatus']} {name(t['taskDefinitionArn'])}" for t in tasks) or "none"))
old = ecs.describe_tasks(cluster=cluster, tasks=[before["task"]])["tasks"]
old_status = old[0]["lastStatus"] if old else "not found"
check(old_status == "STOPPED", f"the old task {name(before['task'])} is {old_status}"
      + (f" ({old[0].get('stoppedReason')})" if old and old[0].get("stoppedReason") else ""))
old_td_status = ecs.describe_task_definition(taskDefinition=old_td)["taskDefinition"]["status"]
check(old_td_status == "INACTIVE", f"the old revision {name(old_td)} is {old_td_status} (the replacement deregisters it)")
deployments = [(d["status"], d.get("rolloutState")) for d in svc["deployments"]]
check(deployments == [("PRIMARY", "COMPLETED")], f"the service has one deployment, completed: {deployments}")
sys.exit(1 if failed else 0)
PY
  )
  cluster_arn="$(tf output -raw cluster_arn)" || fail "terraform output cluster_arn failed"
  "$root/.tools/venv/bin/python" -c "$roll_check" "$AWS_ENDPOINT_URL" before "$cluster_arn" >"$work/before-roll.json" \
    || fail "could not read the service before the roll"

  step "Rolling a new image out to the running service: terraform apply -var image=$new_image"
  # A new task definition revision, and the service rolls to it: one instance with host port 80,
  # so ECS stops the old task before it starts the new one (deployment_minimum_healthy_percent = 0).
  tf apply -auto-approve -var "image=$new_image" || fail "terraform apply of the new image failed"

  step "The new image is running"
  "$root/.tools/venv/bin/python" -c "$roll_check" "$AWS_ENDPOINT_URL" after "$cluster_arn" "$work/before-roll.json" "$new_image" \
    || fail "the new image did not roll out as it should (see above)"

  step "A plan after the roll must find nothing to change"
  plan_is_empty "the plan after the roll" -var "image=$new_image"
  keep_vars=" -var image=$new_image"
fi

if [ "${DEMO_KEEP:-}" = "1" ]; then
  step "Kept running (DEMO_KEEP=1)"
  cat <<EOT
moto (pid $MOTO_PID) answers at $AWS_ENDPOINT_URL; the configuration and state are in $work.
To look around and then destroy:
  export TF_CLI_CONFIG_FILE=$work/terraformrc AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=ap-northeast-1
  $root/.tools/terraform -chdir=$work plan$keep_vars
  $root/.tools/terraform -chdir=$work destroy
  kill $MOTO_PID
EOT
  if [ -n "$keep_vars" ]; then
    echo "(The service runs $new_image now: a plan or apply without$keep_vars rolls it back to the default image.)"
  fi
  exit 0
fi

step "terraform destroy"
tf destroy -auto-approve || fail "terraform destroy failed"
if [ "$example" = "examples/wordpress" ]; then
  "$root/.tools/venv/bin/python" scripts/demo_check_empty.py "$AWS_ENDPOINT_URL" || fail "destroy left things behind"
fi
echo
if [ "$example" = "examples/wordpress" ]; then
  echo "Demo complete: applied, planned clean, rolled $new_image out, planned clean, destroyed. moto is stopped."
else
  echo "Demo complete: applied, planned clean, destroyed. moto is stopped."
fi
echo "Run with DEMO_KEEP=1 to keep moto and the state around and destroy by hand."
