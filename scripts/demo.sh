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
#   DEMO_EXAMPLE=examples/wordpress-production scripts/demo.sh   the same stack grown up for
#     production: the pre-existing pieces also include an EFS file system and access point, a load
#     balancer with its target group, and a log group (demo_prereqs.py --production); after the
#     apply it shows what ECS holds (load balancer, circuit breaker, EFS volume, logs, two tasks on
#     two instances), and rolls a new image out to both tasks.
#   DEMO_EXAMPLE=examples/cluster scripts/demo.sh   applies another example (no pre-existing pieces).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
example="${DEMO_EXAMPLE:-examples/wordpress}"
example="${example%/}"
# The image the demo rolls out after the first apply (both WordPress examples start with wordpress:6).
new_image="wordpress:6.6"
# What the examples need before they start (scripts/demo_prereqs.py), and whether the demo rolls a
# new image out after the first apply (the examples with an `image` variable and one service).
prereqs=""
prereq_flag=""
roll=""
case "$example" in
  examples/wordpress) prereqs="walkthrough" roll=1 ;;
  examples/wordpress-production) prereqs="production" prereq_flag="--production" roll=1 ;;
esac

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
if [ -n "$prereqs" ]; then
  if [ "$prereqs" = "production" ]; then
    step "Creating what the walkthrough assumes exists (VPC, subnets, security groups, instance profile, key pair, RDS database, secret, task execution role) and what production adds (EFS file system with mount targets and an access point, application load balancer, target group and listener, log group)"
  else
    step "Creating what the walkthrough assumes exists: VPC, subnets, security groups, instance profile, key pair, RDS database, secret, task execution role"
  fi
  # shellcheck disable=SC2086 # $prereq_flag is empty or one word
  "$root/.tools/venv/bin/python" scripts/demo_prereqs.py "$AWS_ENDPOINT_URL" $prereq_flag >"$work/terraform.tfvars.json" \
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

if [ "$prereqs" = "production" ]; then
  # What ECS and the load balancer hold after the apply, read with boto3: every production piece of
  # the example reached ECS as written, and each running task is a target of the target group on
  # its own dynamic host port (the scheduler stand-in plays that registration; moto runs no
  # containers, so nothing is mounted, logged or really health-checked). One line per check; exits
  # 1 if any fails.
  production_check=$(cat <<'PY'
import json, sys
import boto3

endpoint, cluster, tfvars = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
kw = dict(endpoint_url=endpoint, region_name="ap-northeast-1", aws_access_key_id="testing", aws_secret_access_key="testing")
ecs = boto3.client("ecs", **kw)
failed = 0
def check(ok, line):
    global failed
    failed += not ok
    print(("  ok    " if ok else "  FAIL  ") + line)

c = ecs.describe_clusters(clusters=[cluster])["clusters"][0]
insights = {s["name"]: s["value"] for s in c.get("settings", [])}.get("containerInsights")
check(insights == "enabled", f"the cluster's Container Insights: {insights}")

services = ecs.list_services(cluster=cluster)["serviceArns"]
svc = ecs.describe_services(cluster=cluster, services=services)["services"][0] if len(services) == 1 else {}
check(bool(svc), f"one service in the cluster: {services}")
want_lb = [{"targetGroupArn": tfvars["target_group_arn"], "containerName": "wordpress", "containerPort": 80}]
check(svc.get("loadBalancers") == want_lb, f"the service registers its tasks in the target group: {svc.get('loadBalancers')}")
check(svc.get("healthCheckGracePeriodSeconds") == 300, f"health check grace period: {svc.get('healthCheckGracePeriodSeconds')} s")
dc = svc.get("deploymentConfiguration", {})
cb = dc.get("deploymentCircuitBreaker", {})
check(cb.get("enable") is True and cb.get("rollback") is True, f"deployment circuit breaker: {cb}")
check((dc.get("minimumHealthyPercent"), dc.get("maximumPercent")) == (50, 200),
      f"deployments keep {dc.get('minimumHealthyPercent')} % healthy, run up to {dc.get('maximumPercent')} %")

arns = ecs.list_tasks(cluster=cluster, serviceName=svc.get("serviceName", "wordpress"), desiredStatus="RUNNING")["taskArns"]
tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []
running = [t for t in tasks if t["lastStatus"] == "RUNNING"]
hosts = sorted({t["containerInstanceArn"] for t in running if t.get("containerInstanceArn")})
described = ecs.describe_container_instances(cluster=cluster, containerInstances=hosts)["containerInstances"] if hosts else []
zones = sorted({a.get("value") or "?" for ci in described for a in ci.get("attributes", []) if a["name"] == "ecs.availability-zone"})
check(len(running) == 2 and len(hosts) == 2 and len(zones) == 2,
      f"{len(running)} tasks RUNNING, spread over {len(hosts)} container instances in {', '.join(zones) or 'no zone'}")
ec2_id = {ci["containerInstanceArn"]: ci["ec2InstanceId"] for ci in described}
bound = sorted((ec2_id.get(t["containerInstanceArn"]), b.get("hostPort")) for t in running for c in t.get("containers", [])
               if c.get("name") == "wordpress" for b in c.get("networkBindings", []) if b.get("containerPort") == 80)
check(len(bound) == 2 and all(port and 32768 <= port <= 65535 for _, port in bound),
      f"container port 80 bound to ephemeral host ports: {', '.join(f'{i}:{p}' for i, p in bound) or 'none'}")
elbv2 = boto3.client("elbv2", **kw)
health = elbv2.describe_target_health(TargetGroupArn=tfvars["target_group_arn"])["TargetHealthDescriptions"]
targets = sorted((d["Target"]["Id"], d["Target"].get("Port")) for d in health)
check(targets == bound, f"the target group's targets are those tasks: "
      + (", ".join(f"{d['Target']['Id']}:{d['Target'].get('Port')} {d['TargetHealth']['State']}" for d in health) or "none"))

td = ecs.describe_task_definition(taskDefinition=svc.get("taskDefinition", "wordpress"))["taskDefinition"]
efs = (td.get("volumes") or [{}])[0].get("efsVolumeConfiguration") or {}
auth = efs.get("authorizationConfig") or {}
check(efs.get("fileSystemId") == tfvars["efs_file_system_id"] and auth.get("accessPointId") == tfvars["efs_access_point_id"]
      and efs.get("transitEncryption") == "ENABLED",
      f"/var/www/html on EFS {efs.get('fileSystemId')} through {auth.get('accessPointId')}, transit encryption {efs.get('transitEncryption')}")
ct = td["containerDefinitions"][0]
ports = [(p.get("containerPort"), p.get("hostPort", 0)) for p in ct.get("portMappings", [])]
check(ports == [(80, 0)], f"container port 80 on a dynamic host port: {ports}")
log = ct.get("logConfiguration") or {}
opts = log.get("options") or {}
check(log.get("logDriver") == "awslogs" and opts.get("awslogs-group") == tfvars["log_group_name"]
      and opts.get("awslogs-stream-prefix") == "wordpress" and opts.get("awslogs-region") == "ap-northeast-1",
      f"logs: {log.get('logDriver')} to {opts.get('awslogs-group')}, prefix {opts.get('awslogs-stream-prefix')}")
hc = ct.get("healthCheck") or {}
check(bool(hc.get("command")), f"container health check: {' '.join(hc.get('command') or ['none'])}")
check((ct.get("memoryReservation"), ct.get("memory")) == (512, 1024),
      f"memory: {ct.get('memoryReservation')} MiB reserved, killed above {ct.get('memory')} MiB")
sys.exit(1 if failed else 0)
PY
  )
  step "What ECS holds: the production pieces"
  "$root/.tools/venv/bin/python" -c "$production_check" "$AWS_ENDPOINT_URL" "$(tf output -raw cluster_arn)" "$work/terraform.tfvars.json" \
    || fail "the production pieces did not reach ECS as the example writes them (see above)"
fi

keep_vars=""
if [ -n "$roll" ]; then
  # The service as ECS reports it, read with boto3 (there is no AWS CLI here), as
  # scripts/demo_check_empty.py does. `before`: prints the revision and the running tasks (as many
  # as the service's desired count) as JSON. `after BEFORE_JSON IMAGE`: one line per check; exits 1
  # if any fails.
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
td, desired = svc["taskDefinition"], svc["desiredCount"]
arns = ecs.list_tasks(cluster=cluster, serviceName=svc["serviceName"], desiredStatus="RUNNING")["taskArns"]
tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []
name = lambda arn: arn.rsplit("/", 1)[-1]          # family:revision, or the task id
revision = lambda arn: int(arn.rsplit(":", 1)[-1])
listing = lambda ts: ", ".join(f"{name(t['taskArn'])} {t['lastStatus']} {name(t['taskDefinitionArn'])}" for t in ts) or "none"

if mode == "before":
    if len(tasks) != desired or any(t["lastStatus"] != "RUNNING" for t in tasks):
        sys.exit(f"expected {desired} RUNNING task(s) before the roll, found {listing(tasks)}")
    json.dump({"task_definition": td, "tasks": [t["taskArn"] for t in tasks]}, sys.stdout)
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
check(len(tasks) == desired and all(t["lastStatus"] == "RUNNING" and t["taskDefinitionArn"] == td for t in tasks),
      f"{'exactly one task' if desired == 1 else f'{desired} tasks'} RUNNING, of {name(td)}: {listing(tasks)}")
old = ecs.describe_tasks(cluster=cluster, tasks=before["tasks"])["tasks"]
for arn in before["tasks"]:
    t = next((t for t in old if t["taskArn"] == arn), None)
    status = t["lastStatus"] if t else "not found"
    check(status == "STOPPED", f"the old task {name(arn)} is {status}"
          + (f" ({t.get('stoppedReason')})" if t and t.get("stoppedReason") else ""))
old_td_status = ecs.describe_task_definition(taskDefinition=old_td)["taskDefinition"]["status"]
check(old_td_status == "INACTIVE", f"the old revision {name(old_td)} is {old_td_status} (the replacement deregisters it)")
deployments = [(d["status"], d.get("rolloutState")) for d in svc["deployments"]]
check(deployments == [("PRIMARY", "COMPLETED")], f"the service has one deployment, completed: {deployments}")
# Behind a load balancer: the target group holds the new tasks (instance and host port), and none
# of the old ones.
for lb in svc.get("loadBalancers") or []:
    if not lb.get("targetGroupArn"):
        continue
    cis = {t["containerInstanceArn"] for t in tasks if t.get("containerInstanceArn")}
    ec2_id = {ci["containerInstanceArn"]: ci["ec2InstanceId"]
              for ci in (ecs.describe_container_instances(cluster=cluster, containerInstances=sorted(cis))["containerInstances"] if cis else [])}
    want = sorted((ec2_id.get(t["containerInstanceArn"]), b.get("hostPort")) for t in tasks for c in t.get("containers", [])
                  if c.get("name") == lb.get("containerName") for b in c.get("networkBindings", [])
                  if b.get("containerPort") == lb.get("containerPort"))
    elbv2 = boto3.client("elbv2", endpoint_url=endpoint, region_name="ap-northeast-1",
                         aws_access_key_id="testing", aws_secret_access_key="testing")
    health = elbv2.describe_target_health(TargetGroupArn=lb["targetGroupArn"])["TargetHealthDescriptions"]
    got = sorted((d["Target"]["Id"], d["Target"].get("Port")) for d in health)
    check(got == want and len(got) == desired, f"the target group holds the new tasks only: "
          + (", ".join(f"{d['Target']['Id']}:{d['Target'].get('Port')} {d['TargetHealth']['State']}" for d in health) or "none"))
sys.exit(1 if failed else 0)
PY
  )
  cluster_arn="$(tf output -raw cluster_arn)" || fail "terraform output cluster_arn failed"
  "$root/.tools/venv/bin/python" -c "$roll_check" "$AWS_ENDPOINT_URL" before "$cluster_arn" >"$work/before-roll.json" \
    || fail "could not read the service before the roll"

  step "Rolling a new image out to the running service: terraform apply -var image=$new_image"
  # A new task definition revision, and the service rolls to it. examples/wordpress: one instance
  # with host port 80, so ECS stops the old task before it starts the new one
  # (deployment_minimum_healthy_percent = 0). examples/wordpress-production: dynamic host ports, so
  # the new tasks start beside the old ones (up to 200 %) and one task at least runs throughout (50 %).
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
if [ -n "$prereqs" ]; then
  # Only what the example made counts; the pre-existing pieces must still be there.
  # shellcheck disable=SC2086
  "$root/.tools/venv/bin/python" scripts/demo_check_empty.py "$AWS_ENDPOINT_URL" $prereq_flag || fail "destroy left things behind"
fi
echo
if [ -n "$roll" ]; then
  echo "Demo complete: applied, planned clean, rolled $new_image out, planned clean, destroyed. moto is stopped."
else
  echo "Demo complete: applied, planned clean, destroyed. moto is stopped."
fi
echo "Run with DEMO_KEEP=1 to keep moto and the state around and destroy by hand."
