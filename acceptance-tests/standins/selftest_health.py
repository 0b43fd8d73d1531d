"""Self-test of the scheduler stand-in's health rules (scheduler.py): container health checks, the
deployment circuit breaker, and load balancers (ELBv2 target groups). Same server and helpers as
selftest_scheduler.py (launch.py with --standins=agent,scheduler on a free loopback port, boto3).

    .tools/venv/bin/python acceptance-tests/standins/selftest_health.py [-k NAME] [--scheduler FILE]

--scheduler FILE runs the same checks against another scheduler module (for instance a copy with one
behaviour taken out, to see the scenario that covers it fail). Conventions the scenarios use, as a
test against the stand-in must: a health check fails when its command (after CMD or CMD-SHELL) is
`false` or starts with `exit N`, N != 0; a target fails its target group's health checks when the
container's environment has STANDIN_HTTP=fail (or STANDIN_HTTP=<code> for an HTTP check); health
runs on scheduler.HEALTH_CLOCK (0.02 real seconds per health-check second). Exits non-zero if any
check fails; the last line is `N passed, M failed`.
"""

import argparse
import sys
import time
import traceback

from botocore.exceptions import ClientError

import selftest_scheduler as base
from selftest_scheduler import Aws, Failed, Server, check, messages, short, summary

CLOCK = 0.02  # scheduler.HEALTH_CLOCK
SCENARIOS = []


def scenario(fn):
    SCENARIOS.append(fn)
    return fn


# ---------------------------------------------------------------------------------------------
# helpers


def td(aws, family, containers, **extra):
    return aws.ecs.register_task_definition(family=family, containerDefinitions=containers, **extra)["taskDefinition"]["taskDefinitionArn"]


def web(name="web", command=None, health=None, env=None, host_port=0, memory=128, **extra):
    c = {"name": name, "image": "nginx", "memory": memory, "essential": True, "portMappings": [{"containerPort": 80}]}
    if host_port is not None:
        c["portMappings"][0]["hostPort"] = host_port
    if command:
        c["command"] = command
    if health:
        c["healthCheck"] = health
    if env:
        c["environment"] = [{"name": k, "value": v} for k, v in env.items()]
    c.update(extra)
    return c


def service_tasks(aws, cluster, name="web", desired="RUNNING"):
    arns = aws.ecs.list_tasks(cluster=cluster, serviceName=name, desiredStatus=desired)["taskArns"]
    return aws.ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []


def until(what, fn, seconds=15, pause=0.02):
    """Polls fn() until it returns something true; returns that."""
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(pause)
    raise Failed(f"{what}: not within {seconds} s (last: {last!r})")


def refused(fn, message):
    try:
        fn()
    except ClientError as e:
        err = e.response["Error"]
        check(err["Code"] == "InvalidParameterException", f"error code: {err}")
        check(err["Message"] == message, f"message:\n  got  {err['Message']!r}\n  want {message!r}")
        return
    raise Failed(f"not refused; expected {message!r}")


def ec2_instance_id(aws, cluster, ci_arn):
    return aws.instance_state(cluster, ci_arn)["ec2InstanceId"]


class Elb:
    """A VPC with two subnets, one load balancer, and target groups (associated through a listener)."""

    def __init__(self, aws, name):
        self.aws = aws
        self.elb = base.boto3.client("elbv2", endpoint_url=aws.ecs.meta.endpoint_url, region_name=base.REGION,
                                     aws_access_key_id="testing", aws_secret_access_key="testing")
        ec2 = aws.ec2
        self.vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnets = [
            ec2.create_subnet(VpcId=self.vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{base.REGION}{z}")["Subnet"]["SubnetId"]
            for i, z in ((1, "a"), (2, "b"))
        ]
        self.sg = ec2.create_security_group(GroupName=f"{name}-sg", Description="x", VpcId=self.vpc)["GroupId"]
        self.lb = self.elb.create_load_balancer(Name=f"{name}-lb", Subnets=self.subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        self.port = 8000

    def target_group(self, name, target_type="instance", associated=True, interval=5, unhealthy=2, protocol="HTTP"):
        tg = self.elb.create_target_group(
            Name=name, Protocol=protocol, Port=80, VpcId=self.vpc, TargetType=target_type,
            HealthCheckIntervalSeconds=interval, UnhealthyThresholdCount=unhealthy,
        )["TargetGroups"][0]["TargetGroupArn"]
        if associated:
            self.port += 1
            self.elb.create_listener(LoadBalancerArn=self.lb, Protocol="HTTP", Port=self.port,
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        return tg

    def health(self, tg):
        return self.elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]

    def unhealthy(self, cluster, tg):
        """After one ECS call (a scheduler pass: ELBv2 calls run none), the unhealthy targets."""
        self.aws.ecs.list_clusters()
        return [x for x in self.health(tg) if x["TargetHealth"]["State"] == "unhealthy"]


def lb(tg, name="web", port=80):
    return [{"targetGroupArn": tg, "containerName": name, "containerPort": port}]


def stopped_of(aws, cluster, td_arn, name="web"):
    return [t for t in service_tasks(aws, cluster, name, "STOPPED") if t["taskDefinitionArn"] == td_arn]


def seconds(t, a, b):
    return (t[b] - t[a]).total_seconds()


# ---------------------------------------------------------------------------------------------
# container health checks


@scenario
def container_health_checks(aws):
    """UNKNOWN until the first check, HEALTHY after a passing one; a service task counts only once
    HEALTHY (so a rollout at 100% keeps the old task until then); a failing check makes the task
    UNHEALTHY after `retries` counted failures (startPeriod's do not count) and the scheduler stops
    and replaces it; a RunTask task just reports UNHEALTHY."""
    c = aws.cluster("hc")
    aws.instance(c)
    passing = {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "interval": 25, "retries": 2}
    sidecar = {"name": "sidecar", "image": "busybox", "memory": 32, "essential": False}
    good = td(aws, "good", [web(health=passing), sidecar])
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=good, desiredCount=1)
    first = until("the task RUNNING", lambda: [t for t in service_tasks(aws, c) if t["lastStatus"] == "RUNNING"])[0]
    svc = aws.service(c, "web")
    health = {x["name"]: x.get("healthStatus") for x in first["containers"]}
    check(health == {"web": "UNKNOWN", "sidecar": "UNKNOWN"}, f"before the first check: {health} (DescribeTasks lists both containers)")
    check(first.get("healthStatus") == "UNKNOWN", f"task healthStatus before the first check: {first.get('healthStatus')}")
    check(svc["runningCount"] == 0 and svc["deployments"][0]["rolloutState"] == "IN_PROGRESS",
          f"a task not yet HEALTHY does not count: {summary(svc)}")
    aws.steady(c, "web", good, 1)
    t = service_tasks(aws, c)[0]
    health = {x["name"]: x.get("healthStatus") for x in t["containers"]}
    check(health == {"web": "HEALTHY", "sidecar": "UNKNOWN"} and t.get("healthStatus") == "HEALTHY",
          f"after a passing check: {health}, task {t.get('healthStatus')} (a container without a check stays UNKNOWN)")
    old = t["taskArn"]

    # Rolling to a revision whose check passes only after 1 s (interval 50): the old task stays
    # until the new one is HEALTHY (minimumHealthyPercent 100).
    slow = td(aws, "good", [web(health={"command": ["CMD", "true"], "interval": 50}), sidecar])
    seen = {"new_running_unknown": False}

    def watch(_svc):
        ts = aws.tasks(c)
        for x in ts:
            if x["taskDefinitionArn"] == slow and x["lastStatus"] == "RUNNING" and x.get("healthStatus") != "HEALTHY":
                seen["new_running_unknown"] = True
                check(old in [y["taskArn"] for y in ts], f"old task stopped before the new one was HEALTHY: {[(short(y['taskArn']), y.get('healthStatus')) for y in ts]}")

    aws.ecs.update_service(cluster=c, service="web", taskDefinition=slow)
    aws.steady(c, "web", slow, 1, watch=watch)
    check(seen["new_running_unknown"], "saw the new task RUNNING but not yet HEALTHY")

    # A failing check, startPeriod 10 and interval 5: checks 1 and 2 fall in the start period, so
    # UNHEALTHY after check 5 (25 s of the compressed clock, 0.5 s), not after check 3.
    failing = {"command": ["CMD-SHELL", "exit 1"], "interval": 5, "retries": 3, "startPeriod": 10}
    bad = td(aws, "bad", [web(health=failing)])
    aws.ecs.create_service(cluster=c, serviceName="bad", taskDefinition=bad, desiredCount=1)
    t = until("a task stopped for its health check", lambda: stopped_of(aws, c, bad, "bad"))[0]
    check(t.get("stoppedReason") == "Task failed container health checks", f"stoppedReason: {t.get('stoppedReason')}")
    check(t.get("stopCode") == "ServiceSchedulerInitiated", f"stopCode: {t.get('stopCode')}")
    check(t.get("healthStatus") == "UNHEALTHY" and t["containers"][0].get("healthStatus") == "UNHEALTHY",
          f"healthStatus: task {t.get('healthStatus')}, container {t['containers'][0].get('healthStatus')}")
    ran = seconds(t, "startedAt", "stoppedAt")
    check(ran >= 25 * CLOCK - 0.05, f"stopped {ran:.2f} s after starting: the start period's failures must not count (want >= {25 * CLOCK:.2f} s)")
    s = aws.service(c, "bad")
    msgs = messages(s)
    tid = short(t["taskArn"])
    failed_ev = f"(service bad) (task {tid}) failed container health checks."
    stopped_ev = f"(service bad) has stopped 1 running tasks: (task {tid})."
    replaced = [i for i, m in enumerate(msgs) if m.startswith("(service bad) has started 1 tasks:") and m.endswith(" Amazon ECS replaced 1 tasks due to an unhealthy status.")]
    check(failed_ev in msgs and stopped_ev in msgs and replaced, f"events: {msgs[:6]}")
    check(msgs.index(stopped_ev) < msgs.index(failed_ev) < replaced[-1],
          f"replacement started first (maximumPercent leaves room), then the unhealthy task reported and stopped (newest first): {msgs[:6]}")
    check(s["deployments"][0]["failedTasks"] >= 1, f"failedTasks: {s['deployments'][0]}")
    check(s["runningCount"] == 0, f"an unhealthy task never counts: {summary(s)}")

    # RunTask: the task keeps running, UNHEALTHY (["CMD", "false"] fails).
    job = td(aws, "job", [{"name": "job", "image": "busybox", "memory": 32, "command": ["sleep", "infinity"],
                           "healthCheck": {"command": ["CMD", "false"], "interval": 5, "retries": 1}}])
    arn = aws.ecs.run_task(cluster=c, taskDefinition=job)["tasks"][0]["taskArn"]
    time.sleep(0.3)
    t = aws.ecs.describe_tasks(cluster=c, tasks=[arn])["tasks"][0]
    check(t["lastStatus"] == "RUNNING" and t.get("healthStatus") == "UNHEALTHY",
          f"a one-off task is not stopped for its health: {t['lastStatus']} {t.get('healthStatus')}")


# ---------------------------------------------------------------------------------------------
# deployment circuit breaker


FAST_FAIL = {"command": ["CMD-SHELL", "exit 1"], "interval": 5, "retries": 1}  # UNHEALTHY 0.1 s after starting


@scenario
def circuit_breaker_rolls_back(aws):
    """enable + rollback: after 3 failed tasks (desired 1) the PRIMARY is FAILED and the last
    COMPLETED deployment is PRIMARY again, IN_PROGRESS, with its own task definition."""
    c = aws.cluster("cbroll")
    aws.instance(c)
    td1 = td(aws, "app", [web()])
    td2 = td(aws, "app", [web(health=FAST_FAIL)])
    cfg = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=td1, desiredCount=1, deploymentConfiguration=cfg)
    s = aws.steady(c, "web", td1, 1)
    d1 = s["deployments"][0]["id"]
    old = aws.tasks(c)[0]["taskArn"]
    aws.ecs.update_service(cluster=c, service="web", taskDefinition=td2)
    d2 = aws.service(c, "web")["deployments"][0]["id"]
    check(d2 != d1, "a new deployment")
    state = {"failed": False}

    def watch(svc):
        check(old in [t["taskArn"] for t in aws.tasks(c)], "the old task keeps running (minimumHealthyPercent 100)")
        for d in svc["deployments"]:
            if d["id"] == d2:
                if state["failed"]:
                    check(d["rolloutState"] == "FAILED", f"the failed deployment stays FAILED while listed: {d}")
                state["failed"] |= d["rolloutState"] == "FAILED"
        state["failed"] |= any("deployment failed" in m for m in messages(svc))

    s = aws.wait(c, "web", lambda s: s["deployments"][0]["id"] == d1, "rolled back to the completed deployment", watch=watch)
    p = s["deployments"][0]
    check(p["status"] == "PRIMARY" and p["taskDefinition"] == td1, f"primary: {p}")
    check(p["rolloutState"] in ("IN_PROGRESS", "COMPLETED"), f"primary: {p}")
    check(s["taskDefinition"] == td1, f"the service's task definition goes back: {s['taskDefinition']}")
    msgs = messages(s)
    fail_ev = f"(service web) (deployment {d2}) deployment failed: tasks failed to start."
    back_ev = f"(service web) rolling back to deployment {d1}."
    check(fail_ev in msgs and back_ev in msgs and msgs.index(back_ev) < msgs.index(fail_ev), f"events: {msgs[:6]}")
    if p["rolloutState"] == "IN_PROGRESS":
        check(p["rolloutStateReason"] == f"ECS deployment circuit breaker: rolling back to deploymentId {d1}.", f"{p}")
    failed = stopped_of(aws, c, td2)
    check(len(failed) == 3, f"threshold for desired 1 is 3 (0.5 x 1 rounded up, at least 3): {len(failed)} tasks failed")
    check(all(t.get("stoppedReason") == "Task failed container health checks" for t in failed), f"{[t.get('stoppedReason') for t in failed]}")
    s = aws.steady(c, "web", td1, 1, watch=watch)
    check(s["deployments"][0]["id"] == d1 and s["deployments"][0]["rolloutStateReason"] == f"ECS deployment {d1} completed.", f"{s['deployments']}")
    check([t["taskArn"] for t in aws.tasks(c)] == [old], "the old task is the one running")
    check(len(stopped_of(aws, c, td2)) == 3, "no task of the failed revision after the rollback")


@scenario
def circuit_breaker_without_rollback_stalls(aws):
    """enable, rollback false: the deployment becomes FAILED (after 3 exits) and launches no new
    tasks; the old task keeps running; the service stays on the new task definition."""
    c = aws.cluster("cbstall")
    aws.instance(c)
    td1 = td(aws, "app", [web()])
    td2 = td(aws, "app", [web(command=["sh", "-c", "exit 1"])])
    cfg = {"deploymentCircuitBreaker": {"enable": True, "rollback": False}}
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=td1, desiredCount=1, deploymentConfiguration=cfg)
    aws.steady(c, "web", td1, 1)
    old = aws.tasks(c)[0]["taskArn"]
    aws.ecs.update_service(cluster=c, service="web", taskDefinition=td2)
    s = aws.wait(c, "web", lambda s: s["deployments"][0]["rolloutState"] == "FAILED", "FAILED", polls=400)
    p = s["deployments"][0]
    check(p["status"] == "PRIMARY" and p["taskDefinition"] == td2 and p["failedTasks"] == 3, f"primary: {p}")
    check(p["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start.", f"{p}")
    check(f"(service web) (deployment {p['id']}) deployment failed: tasks failed to start." in messages(s), f"{messages(s)[:4]}")
    launched = len(stopped_of(aws, c, td2)) + len([t for t in aws.tasks(c) if t["taskDefinitionArn"] == td2])
    for _ in range(40):  # about 1.5 s of scheduler passes: nothing more happens
        s = aws.service(c, "web")
        time.sleep(0.03)
    now_launched = len(stopped_of(aws, c, td2)) + len([t for t in aws.tasks(c) if t["taskDefinitionArn"] == td2])
    check(now_launched == launched, f"a FAILED deployment launches no new tasks: {launched} then {now_launched}")
    check(s["deployments"][0]["rolloutState"] == "FAILED" and s["taskDefinition"] == td2, f"{summary(s)}")
    check([t["taskArn"] for t in aws.tasks(c)] == [old], "the old task keeps running")
    check(not any("rolling back" in m for m in messages(s)), f"{messages(s)[:4]}")


@scenario
def circuit_breaker_threshold_rounds_up(aws):
    """desired 7: threshold ceil(3.5) = 4 (not 3); rollback on but no COMPLETED deployment to go
    back to, so the deployment stays FAILED and stalls."""
    c = aws.cluster("cbround")
    aws.instance(c)  # 7482 MiB: one 5000 MiB task at a time, so the failures come one by one
    bad = td(aws, "big", [web(health=FAST_FAIL, memory=5000)])
    cfg = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}

    def watch(svc):
        d = svc["deployments"][0]
        if d["failedTasks"] < 4:
            check(d["rolloutState"] == "IN_PROGRESS", f"not FAILED before 4 failures: {d}")

    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=bad, desiredCount=7, deploymentConfiguration=cfg)
    s = aws.wait(c, "web", lambda s: s["deployments"][0]["rolloutState"] == "FAILED", "FAILED", polls=400, watch=watch)
    check(s["deployments"][0]["failedTasks"] == 4, f"{s['deployments'][0]}")
    check(len(stopped_of(aws, c, bad)) == 4, f"four tasks failed: {len(stopped_of(aws, c, bad))}")
    for _ in range(20):
        s = aws.service(c, "web")
        time.sleep(0.03)
    check(len(stopped_of(aws, c, bad)) == 4 and aws.tasks(c) == [], "stalled: no new task")
    check(not any("rolling back" in m for m in messages(s)), f"nothing to roll back to: {messages(s)[:4]}")


@scenario
def circuit_breaker_off_keeps_replacing(aws):
    """Without enable, a failing service is replaced for ever and stays IN_PROGRESS."""
    c = aws.cluster("cboff")
    aws.instance(c)
    bad = td(aws, "bad", [web(health=FAST_FAIL)])
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=bad, desiredCount=1)
    s = aws.wait(c, "web", lambda s: len(stopped_of(aws, c, bad)) >= 5, "five failed tasks", polls=400)
    check(s["deployments"][0]["rolloutState"] == "IN_PROGRESS", f"{summary(s)}")
    check(not any("deployment failed" in m for m in messages(s)), f"{messages(s)[:4]}")


# ---------------------------------------------------------------------------------------------
# load balancers


@scenario
def load_balancer_refusals(aws):
    """CreateService / UpdateService refuse, in ECS's words: a target group without a load balancer,
    a container or container port the task definition lacks, a target type the network mode cannot
    use."""
    c = aws.cluster("lbrefuse")
    aws.instance(c)
    e = Elb(aws, "refuse")
    tg = e.target_group("refuse-inst")
    tg_ip = e.target_group("refuse-ip", target_type="ip")
    lonely = e.target_group("refuse-lonely", associated=False)
    bridge = td(aws, "web", [web()])
    vpc_td = td(aws, "vpcweb", [web(host_port=None)], networkMode="awsvpc")
    net = {"awsvpcConfiguration": {"subnets": e.subnets[:1], "securityGroups": [e.sg]}}
    create = lambda **kw: lambda: aws.ecs.create_service(cluster=c, serviceName="web", desiredCount=1, **kw)
    refused(create(taskDefinition=bridge, loadBalancers=lb(lonely)),
            f"The target group with targetGroupArn {lonely} does not have an associated load balancer.")
    refused(create(taskDefinition=bridge, loadBalancers=lb(tg, name="nope")), "The container nope does not exist in the task definition.")
    refused(create(taskDefinition=bridge, loadBalancers=lb(tg, port=8080)), "The container web did not have a container port 8080 defined.")
    refused(create(taskDefinition=bridge, loadBalancers=lb(tg_ip)),
            f"The provided target group {tg_ip} has target type ip, which is incompatible with the bridge network mode specified in the task definition.")
    refused(create(taskDefinition=vpc_td, loadBalancers=lb(tg), networkConfiguration=net),
            f"The provided target group {tg} has target type instance, which is incompatible with the awsvpc network mode specified in the task definition.")
    check(aws.ecs.describe_services(cluster=c, services=["web"])["services"] == [], "nothing was created")
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=bridge, desiredCount=1, loadBalancers=lb(tg))
    update = lambda **kw: lambda: aws.ecs.update_service(cluster=c, service="web", **kw)
    refused(update(loadBalancers=lb(lonely)), f"The target group with targetGroupArn {lonely} does not have an associated load balancer.")
    other = td(aws, "web", [web(name="app")])
    refused(update(taskDefinition=other), "The container web does not exist in the task definition.")
    s = aws.service(c, "web")
    check(s["loadBalancers"] == lb(tg) and s["taskDefinition"] == bridge, f"unchanged: {s['loadBalancers']} {s['taskDefinition']}")


@scenario
def load_balancer_targets(aws):
    """A RUNNING task is registered (bridge: the instance and a dynamic host port from 32768 up,
    reported in networkBindings; awsvpc: the task's IP and the container port); it counts once its
    target is healthy; a stopped task is deregistered; UpdateService's loadBalancers start a new
    deployment."""
    c = aws.cluster("lbtargets")
    ci = aws.instance(c)
    iid = ec2_instance_id(aws, c, ci)
    e = Elb(aws, "targets")
    tg1 = e.target_group("targets-one", interval=25)  # the first check 0.5 s after registration
    tg2 = e.target_group("targets-two")
    bridge = td(aws, "web", [web()])
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=bridge, desiredCount=2, loadBalancers=lb(tg1))
    seen = {"initial": False}

    def watch(svc):
        states = [h["TargetHealth"]["State"] for h in e.health(tg1)]
        if "initial" in states or len(states) < 2:
            seen["initial"] |= "initial" in states
            check(svc["deployments"][0]["rolloutState"] == "IN_PROGRESS" and svc["runningCount"] < 2,
                  f"a task counts only once its target is healthy: targets {states}, {summary(svc)}")

    aws.steady(c, "web", bridge, 2, watch=watch)
    check(seen["initial"], "saw the targets initial (Elb.RegistrationInProgress) first")
    ts = aws.tasks(c)
    bindings = sorted((b["hostPort"], b["containerPort"], b["bindIP"], b["protocol"]) for t in ts for b in t["containers"][0].get("networkBindings", []))
    ports = [b[0] for b in bindings]
    check(len(bindings) == 2 and all(32768 <= p <= 65535 for p in ports) and len(set(ports)) == 2
          and all(b[1:] == (80, "0.0.0.0", "tcp") for b in bindings), f"dynamic host ports in networkBindings: {bindings}")
    targets = sorted((h["Target"]["Id"], h["Target"]["Port"], h["TargetHealth"]["State"]) for h in e.health(tg1))
    check(targets == sorted((iid, p, "healthy") for p in ports), f"both tasks are targets (one instance, two ports): {targets}")
    s = aws.service(c, "web")
    registered = sum(int(m.split(" registered ")[1].split(" ")[0]) for m in messages(s) if m.endswith(f"targets in (target-group {tg1})") and " registered " in m)
    check(registered == 2, f"registered events: {messages(s)[:6]}")

    aws.ecs.update_service(cluster=c, service="web", desiredCount=1)
    s = aws.steady(c, "web", bridge, 1)
    left = aws.tasks(c)[0]["containers"][0]["networkBindings"][0]["hostPort"]
    targets = [(h["Target"]["Id"], h["Target"]["Port"]) for h in e.health(tg1)]
    check(targets == [(iid, left)], f"the stopped task was deregistered: {targets}")
    msgs = messages(s)
    order = ["(service web) has stopped 1 running tasks:", f"(service web) deregistered 1 targets in (target-group {tg1})",
             "(service web) has begun draining connections on 1 tasks."]
    at = [next((i for i, m in enumerate(msgs) if m.startswith(o)), None) for o in order]
    check(None not in at and at == sorted(at), f"draining, deregistered, stopped (newest first): {msgs[:6]}")

    dep = s["deployments"][0]["id"]
    aws.ecs.update_service(cluster=c, service="web", loadBalancers=lb(tg2))
    s = aws.steady(c, "web", bridge, 1)
    check(s["deployments"][0]["id"] != dep, "new loadBalancers start a new deployment")
    check(len(e.health(tg2)) == 1 and e.health(tg1) == [], f"the new task in the new group, none left in the old: {e.health(tg2)} {e.health(tg1)}")

    vpc_td = td(aws, "vpcweb", [web(host_port=None)], networkMode="awsvpc")
    tg_ip = e.target_group("targets-ip", target_type="ip")
    net = {"awsvpcConfiguration": {"subnets": e.subnets[:1], "securityGroups": [e.sg]}}
    aws.ecs.create_service(cluster=c, serviceName="vpc", taskDefinition=vpc_td, desiredCount=1, loadBalancers=lb(tg_ip), networkConfiguration=net)
    aws.steady(c, "vpc", vpc_td, 1)
    t = service_tasks(aws, c, "vpc")[0]
    ip = {d["name"]: d.get("value") for a in t["attachments"] for d in a["details"]}["privateIPv4Address"]
    targets = [(h["Target"]["Id"], h["Target"]["Port"], h["TargetHealth"]["State"]) for h in e.health(tg_ip)]
    check(targets == [(ip, 80, "healthy")], f"awsvpc: the task's IP and the container port: {targets}")


@scenario
def load_balancer_unhealthy_target(aws):
    """STANDIN_HTTP=fail: the target becomes unhealthy (after UnhealthyThresholdCount checks); after
    healthCheckGracePeriodSeconds ECS stops the task, says why, and counts it for the circuit
    breaker. STANDIN_HTTP=503 against an HTTP check: Target.ResponseCodeMismatch."""
    c = aws.cluster("lbsick")
    ci = aws.instance(c)
    iid = ec2_instance_id(aws, c, ci)
    e = Elb(aws, "sick")
    tg = e.target_group("sick-one", interval=5, unhealthy=2)  # unhealthy 0.2 s after registration
    sick = td(aws, "web", [web(env={"STANDIN_HTTP": "fail"})])
    cfg = {"deploymentCircuitBreaker": {"enable": True, "rollback": False}}
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=sick, desiredCount=1, loadBalancers=lb(tg),
                           healthCheckGracePeriodSeconds=30, deploymentConfiguration=cfg)  # grace: 0.6 s
    h = until("an unhealthy target", lambda: e.unhealthy(c, tg))[0]
    check(h["TargetHealth"].get("Reason") == "Target.FailedHealthChecks" and h["TargetHealth"].get("Description") == "Health checks failed",
          f"{h['TargetHealth']}")
    running = service_tasks(aws, c)
    check(len(running) == 1 and running[0]["lastStatus"] == "RUNNING", "within the grace period the task keeps running")
    t = until("a task stopped for its target", lambda: stopped_of(aws, c, sick))[0]
    arn = f"(target-group {tg})"
    check(t.get("stoppedReason") == f"Task failed ELB health checks in {arn}" and t.get("stopCode") == "ServiceSchedulerInitiated",
          f"{t.get('stoppedReason')} {t.get('stopCode')}")
    ran = seconds(t, "startedAt", "stoppedAt")
    check(ran >= 30 * CLOCK - 0.05, f"stopped {ran:.2f} s after starting, before the grace period ended")
    port = t["containers"][0]["networkBindings"][0]["hostPort"]
    ev = f"(service web) (task {short(t['taskArn'])}) (instance {iid}) (port {port}) is unhealthy in {arn} due to (reason Health checks failed)."
    s = aws.wait(c, "web", lambda s: s["deployments"][0]["rolloutState"] == "FAILED", "FAILED by the circuit breaker", polls=400)
    check(ev in messages(s), f"event {ev!r} in {messages(s)[:8]}")
    check(len(stopped_of(aws, c, sick)) == 3, f"three ELB failures trip the breaker: {len(stopped_of(aws, c, sick))}")

    tg503 = e.target_group("sick-503", interval=5, unhealthy=2)
    code = td(aws, "code", [web(env={"STANDIN_HTTP": "503"})])
    aws.ecs.create_service(cluster=c, serviceName="code", taskDefinition=code, desiredCount=1, loadBalancers=lb(tg503),
                           healthCheckGracePeriodSeconds=30)
    h = until("an unhealthy target", lambda: e.unhealthy(c, tg503))[0]
    check(h["TargetHealth"].get("Reason") == "Target.ResponseCodeMismatch"
          and h["TargetHealth"].get("Description") == "Health checks failed with these codes: [503]", f"{h['TargetHealth']}")
    until("the code service's task stopped", lambda: stopped_of(aws, c, code, "code"))
    s = aws.service(c, "code")
    check(any(m.endswith("due to (reason Health checks failed with these codes: [503]).") for m in messages(s)), f"{messages(s)[:6]}")


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default="", help="only scenarios whose name contains this")
    ap.add_argument("--scheduler", default="", help="run against this scheduler module file instead")
    args = ap.parse_args()
    server = Server(args.scheduler)
    passed = failed = 0
    try:
        aws = Aws(server.endpoint)
        for fn in SCENARIOS:
            if args.k not in fn.__name__:
                continue
            started = time.time()
            try:
                fn(aws)
                passed += 1
                print(f"PASS {fn.__name__} ({time.time() - started:.1f}s)", flush=True)
            except Failed as e:
                failed += 1
                print(f"FAIL {fn.__name__}: {e}", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {fn.__name__}: error\n{traceback.format_exc()}", flush=True)
        errors = [l for l in server.tail(400).splitlines() if "stand-in" in l or "scheduler:" in l]
        if errors:
            print("stand-in errors in the server log:\n  " + "\n  ".join(errors[:10]))
            failed += 1
    finally:
        server.stop()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
