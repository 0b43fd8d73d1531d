"""Self-test of the scheduler stand-in (scheduler.py): starts launch.py with --standins=agent,scheduler
on a free loopback port, drives it with boto3 and checks the ECS rules the stand-in plays (rolling
updates bounded by minimumHealthyPercent / maximumPercent, placement by CPU / memory / host ports,
events, scaling, and the behaviours the Rust acceptance tests rely on).

    .tools/venv/bin/python acceptance-tests/standins/selftest_scheduler.py [-k NAME] [--scheduler FILE]

--scheduler FILE runs the same checks against another scheduler module (e.g. an older one,
`git show HEAD:acceptance-tests/standins/scheduler.py > /tmp/old_scheduler.py`). Every scenario uses
its own cluster on one server. Exits non-zero if any check fails; the last line is `N passed, M failed`.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from datetime import datetime, timezone

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
REGION = "us-east-1"
POLLS = 60  # a wait for a state takes at least this many DescribeServices (each is a scheduler pass)
WAIT_SECONDS = 15  # ... and at least this long, for a slow machine

SCENARIOS = []


def scenario(fn):
    SCENARIOS.append(fn)
    return fn


class Failed(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failed(msg)


# ---------------------------------------------------------------------------------------------
# server


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, scheduler_file):
        self.dir = tempfile.mkdtemp(prefix="selftest_scheduler_")
        env = dict(os.environ)
        module = "scheduler"
        if scheduler_file:
            # Another scheduler module, importable under its own name next to the real stand-ins.
            module = "alt_scheduler"
            with open(scheduler_file) as src, open(os.path.join(self.dir, module + ".py"), "w") as dst:
                dst.write(src.read())
            env["PYTHONPATH"] = self.dir + os.pathsep + env.get("PYTHONPATH", "")
        env["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
        self.port = free_port()
        self.log_path = os.path.join(self.dir, "moto.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "launch.py"), "-H", "127.0.0.1", "-p", str(self.port), f"--standins=agent,{module}"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=self.dir,
        )
        self.endpoint = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"launch.py exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.endpoint + "/moto-api/data.json", timeout=2) as r:
                    if r.status == 200:
                        break
            except Exception:
                pass
            if time.time() > deadline:
                raise RuntimeError("launch.py did not answer within 30 s:\n" + self.tail())
            time.sleep(0.1)

    def tail(self, n=40):
        self.log.flush()
        with open(self.log_path) as f:
            return "".join(f.readlines()[-n:])

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# ---------------------------------------------------------------------------------------------
# AWS side


class Aws:
    def __init__(self, endpoint):
        kw = dict(
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )
        self.ecs = boto3.client("ecs", **kw)
        self.ec2 = boto3.client("ec2", **kw)

    def cluster(self, name):
        self.ecs.create_cluster(clusterName=name)
        return name

    def instance(self, cluster):
        """An EC2 instance registered as a container instance (moto: 4096 CPU units, 7482 MiB)."""
        iid = self.ec2.run_instances(ImageId="ami-12345678", InstanceType="t3.large", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        ci = self.ecs.register_container_instance(cluster=cluster, instanceIdentityDocument=json.dumps({"instanceId": iid}))
        return ci["containerInstance"]["containerInstanceArn"]

    def task_definition(self, family, image="nginx", memory=256, host_port=None, command=None, **extra):
        c = {"name": family, "image": image, "memory": memory, "essential": True}
        if host_port is not None:
            c["portMappings"] = [{"containerPort": 80, "hostPort": host_port}]
        if command:
            c["command"] = command
        c.update(extra)
        return self.ecs.register_task_definition(family=family, containerDefinitions=[c])["taskDefinition"]["taskDefinitionArn"]

    def service(self, cluster, name):
        return self.ecs.describe_services(cluster=cluster, services=[name])["services"][0]

    def tasks(self, cluster, desired="RUNNING"):
        arns = self.ecs.list_tasks(cluster=cluster, desiredStatus=desired)["taskArns"]
        return self.ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []

    def instance_state(self, cluster, arn):
        return self.ecs.describe_container_instances(cluster=cluster, containerInstances=[arn])["containerInstances"][0]

    def wait(self, cluster, name, until, what, polls=POLLS, watch=None):
        """DescribeServices until `until(svc)`; `watch(svc)` sees every answer."""
        svc = None
        deadline = time.time() + WAIT_SECONDS
        n = 0
        while n < polls or time.time() < deadline:
            svc = self.service(cluster, name)
            n += 1
            if watch:
                watch(svc)
            if until(svc):
                return svc
            time.sleep(0.02)
        raise Failed(f"{what}: not reached after {n} DescribeServices; last: {summary(svc)}")

    def steady(self, cluster, name, td, desired, **kw):
        return self.wait(cluster, name, lambda s: settled(s, td, desired), f"steady state with {desired} x {short(td)}", **kw)


def settled(svc, td, desired):
    deps = svc["deployments"]
    return (
        len(deps) == 1
        and deps[0]["taskDefinition"] == td
        and deps[0].get("rolloutState") == "COMPLETED"
        and svc["runningCount"] == desired
        and svc["pendingCount"] == 0
    )


def short(arn):
    return (arn or "").split("/")[-1]


def summary(svc):
    if svc is None:
        return "none"
    deps = [
        f"{d['status']} {short(d['taskDefinition'])} {d.get('rolloutState')} run={d['runningCount']} pend={d['pendingCount']}"
        for d in svc["deployments"]
    ]
    events = [e["message"] for e in svc["events"][:4]]
    return f"running={svc['runningCount']} pending={svc['pendingCount']} deployments={deps} events(newest first)={events}"


def messages(svc):
    return [e["message"] for e in svc["events"]]


def no_repeats(svc):
    msgs = messages(svc)
    for a, b in zip(msgs, msgs[1:]):
        check(a != b, f"event repeated back to back: {a!r}")


def now():
    return datetime.now(timezone.utc)


def timeline(aws, cluster, since, name="web"):
    """From the tasks' own timestamps, after `since`: (most tasks alive at once, fewest RUNNING at
    once, whether an old and a new task definition were alive together, per-task intervals)."""
    far = datetime.max.replace(tzinfo=timezone.utc)
    ts = [t for t in aws.tasks(cluster) + aws.tasks(cluster, "STOPPED") if t.get("group") == f"service:{name}"]
    iv = []
    for t in ts:
        created = t.get("createdAt") or t.get("startedAt")
        started = t.get("startedAt")
        stopped = t.get("stoppedAt") or (far if t["lastStatus"] != "STOPPED" else created)
        iv.append((created, started, stopped, t["taskDefinitionArn"]))
    points = sorted({p for c, s, e, _ in iv for p in (c, s, e) if p is not None and p != far and p >= since})
    alive = lambda p: [td for c, s, e, td in iv if c is not None and c <= p < e]
    running = lambda p: sum(1 for c, s, e, _ in iv if s is not None and s <= p < e)
    most = max((len(alive(p)) for p in points), default=0)
    fewest = min((running(p) for p in points), default=0)
    mixed = any(len(set(alive(p))) > 1 for p in points)
    ms = lambda p: "-" if p is None else "open" if p == far else f"{(p - since).total_seconds() * 1000:.0f}ms"
    text = ", ".join(f"{short(td)} created {ms(c)} running {ms(s)} stopped {ms(e)}" for c, s, e, td in sorted(iv, key=lambda x: x[0]))
    return most, fewest, mixed, text


def memory_left(aws, cluster, ci_arn):
    ci = aws.instance_state(cluster, ci_arn)
    rem = {r["name"]: r for r in ci["remainingResources"]}
    reg = {r["name"]: r for r in ci["registeredResources"]}
    return rem["MEMORY"]["integerValue"], reg["MEMORY"]["integerValue"], rem["PORTS"].get("stringSetValue", [])


# ---------------------------------------------------------------------------------------------
# scenarios


@scenario
def stuck_one_instance_port_100_200(aws):
    """One instance, hostPort 80, desired 1, 100%/200%: the update can never progress."""
    c = aws.cluster("stuck")
    ci = aws.instance(c)
    td1 = aws.task_definition("web80", "nginx:1", 256, host_port=80)
    td2 = aws.task_definition("web80", "nginx:2", 256, host_port=80)
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=td1, desiredCount=1, launchType="EC2")
    aws.steady(c, "web", td1, 1)
    old = [t["taskArn"] for t in aws.tasks(c)]
    check(len(old) == 1, f"one task before the update: {old}")

    aws.ecs.update_service(cluster=c, service="web", taskDefinition=td2)
    for _ in range(30):
        s = aws.service(c, "web")
        time.sleep(0.03)
    deps = s["deployments"]
    check(len(deps) == 2, f"two deployments while stuck: {summary(s)}")
    p, a = deps
    check(p["status"] == "PRIMARY" and p["taskDefinition"] == td2 and p["rolloutState"] == "IN_PROGRESS", f"primary: {p}")
    check(p["runningCount"] == 0 and p["pendingCount"] == 0 and p["desiredCount"] == 1, f"primary counts: {p}")
    check(a["status"] == "ACTIVE" and a["taskDefinition"] == td1 and a["runningCount"] == 1, f"old deployment: {a}")
    for k in ("id", "createdAt", "updatedAt", "failedTasks", "rolloutStateReason", "launchType"):
        check(k in p, f"deployment field {k} missing: {p}")
    check(p["id"] != a["id"], "a new deployment id")
    check((s["runningCount"], s["pendingCount"]) == (1, 0), f"service counts: {summary(s)}")
    running = aws.tasks(c)
    check([t["taskArn"] for t in running] == old, f"the old task still runs, alone: {[short(t['taskArn']) for t in running]}")
    want = (
        "(service web) was unable to place a task because no container instance met all of its requirements. "
        f"The closest matching (container-instance {short(ci)}) is already using a port required by your task."
    )
    check(s["events"] and s["events"][0]["message"] == want, f"newest event: {messages(s)[:3]}")
    check(messages(s).count(want) == 1, f"the port event is not repeated every poll: {messages(s)[:5]}")
    check(not any("has stopped" in m for m in messages(s)), f"nothing stopped: {messages(s)[:5]}")
    no_repeats(s)
    dc = s.get("deploymentConfiguration") or {}
    check((dc.get("maximumPercent"), dc.get("minimumHealthyPercent")) == (200, 100), f"default deploymentConfiguration shown: {dc}")


@scenario
def min_healthy_0_rolls_on_one_instance(aws):
    """The same update with minimumHealthyPercent 0 (sent on UpdateService): old stops first, new placed."""
    c = aws.cluster("minzero")
    ci = aws.instance(c)
    td1 = aws.task_definition("web80", "nginx:1", 256, host_port=80)
    td2 = aws.task_definition("web80", "nginx:2", 256, host_port=80)
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=td1, desiredCount=1)
    aws.steady(c, "web", td1, 1)
    old = aws.tasks(c)[0]["taskArn"]
    n_events = len(aws.service(c, "web")["events"])
    since = now()
    aws.ecs.update_service(cluster=c, service="web", taskDefinition=td2, deploymentConfiguration={"minimumHealthyPercent": 0, "maximumPercent": 200})
    most = [0]

    def watch(_svc):
        most[0] = max(most[0], len(aws.tasks(c)))

    s = aws.steady(c, "web", td2, 1, watch=watch)
    dc = s.get("deploymentConfiguration") or {}
    check((dc.get("minimumHealthyPercent"), dc.get("maximumPercent")) == (0, 200), f"UpdateService's deploymentConfiguration kept: {dc}")
    check(most[0] <= 1, f"never two tasks at once on one instance with port 80: saw {most[0]}")
    alive, _, _, iv = timeline(aws, c, since)
    check(alive <= 1, f"never two tasks at once (task timestamps): {alive} {iv}")
    new = aws.tasks(c)
    check(len(new) == 1 and new[0]["taskDefinitionArn"] == td2, f"one new task: {new}")
    st = aws.ecs.describe_tasks(cluster=c, tasks=[old])["tasks"][0]
    check(st["lastStatus"] == "STOPPED" and st.get("stopCode") == "ServiceSchedulerInitiated", f"old task: {st.get('lastStatus')} {st.get('stopCode')}")
    check((st.get("stoppedReason") or "").startswith("Task stopped by the deployment ecs-svc/"), f"stoppedReason: {st.get('stoppedReason')}")
    msgs = messages(s)[: len(s["events"]) - n_events]  # the events since the update, newest first
    stop_ev = f"(service web) has stopped 1 running tasks: (task {short(old)})."
    start_ev = f"(service web) has started 1 tasks: (task {short(new[0]['taskArn'])})."
    check(stop_ev in msgs and start_ev in msgs, f"events since the update: {msgs}")
    check(msgs.index(stop_ev) > msgs.index(start_ev), f"stopped before started (newest first): {msgs}")
    check(msgs[0] == "(service web) has reached a steady state.", f"newest event: {msgs[:2]}")
    mem, reg, ports = memory_left(aws, c, ci)
    check(mem == reg - 256 and ports.count("80") == 1, f"instance resources after the roll: {mem}/{reg} ports {ports}")
    no_repeats(s)


@scenario
def two_instances_roll_100_200(aws):
    """Two instances, 100%/200%: the new task starts on the other instance, then the old one stops."""
    c = aws.cluster("twoinst")
    ci_a = aws.instance(c)
    ci_b = aws.instance(c)
    td1 = aws.task_definition("web80", "nginx:1", 256, host_port=80)
    td2 = aws.task_definition("web80", "nginx:2", 256, host_port=80)
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=td1, desiredCount=1)
    aws.steady(c, "web", td1, 1)
    old = aws.tasks(c)[0]
    seen = {"both": False, "two_deps": False, "min_running": 9}

    def watch(svc):
        seen["min_running"] = min(seen["min_running"], svc["runningCount"])
        seen["two_deps"] |= len(svc["deployments"]) == 2
        tds = {t["taskDefinitionArn"] for t in aws.tasks(c)}
        seen["both"] |= tds == {td1, td2}

    since = now()
    aws.ecs.update_service(cluster=c, service="web", taskDefinition=td2)
    aws.steady(c, "web", td2, 1, watch=watch)
    alive, fewest, mixed, iv = timeline(aws, c, since)
    check(mixed and alive == 2, f"old and new task alive together (task timestamps): {alive} {iv}")
    check(fewest >= 1, f"always one task RUNNING (task timestamps): {fewest} {iv}")
    check(seen["two_deps"], "two deployments were seen during the roll")
    check(seen["both"], "old and new task ran side by side")
    check(seen["min_running"] >= 1, f"running never dropped under 1: {seen['min_running']}")
    new = aws.tasks(c)
    check(len(new) == 1 and new[0]["taskDefinitionArn"] == td2, f"{new}")
    check(new[0]["containerInstanceArn"] != old["containerInstanceArn"], "the new task is on the other instance")
    check({new[0]["containerInstanceArn"], old["containerInstanceArn"]} == {ci_a, ci_b}, "both instances used")
    st = aws.ecs.describe_tasks(cluster=c, tasks=[old["taskArn"]])["tasks"][0]
    check(st["lastStatus"] == "STOPPED" and st.get("stopCode") == "ServiceSchedulerInitiated", f"old task {st['lastStatus']}")


@scenario
def scale_out_and_in(aws):
    """desiredCount up places more (spread over instances), down stops the surplus; no new deployment."""
    c = aws.cluster("scale")
    ci_a = aws.instance(c)
    ci_b = aws.instance(c)
    td = aws.task_definition("idle", "nginx", 128)
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=td, desiredCount=1)
    s = aws.steady(c, "web", td, 1)
    dep = s["deployments"][0]["id"]
    aws.ecs.update_service(cluster=c, service="web", desiredCount=4)
    s = aws.steady(c, "web", td, 4)
    check(s["deployments"][0]["id"] == dep, "scaling is not a new deployment")
    per = {}
    for t in aws.tasks(c):
        per[t["containerInstanceArn"]] = per.get(t["containerInstanceArn"], 0) + 1
    check(per == {ci_a: 2, ci_b: 2}, f"spread over the two instances: {per}")
    started = [m for m in messages(s) if "has started" in m]
    check(started and started[0].startswith("(service web) has started 3 tasks: (task "), f"{started}")
    aws.ecs.update_service(cluster=c, service="web", desiredCount=1)
    s = aws.steady(c, "web", td, 1)
    check(s["deployments"][0]["id"] == dep, "scaling in is not a new deployment")
    stopped = [t for t in aws.tasks(c, "STOPPED")]
    check(len(stopped) == 3, f"three stopped: {len(stopped)}")
    for t in stopped:
        check(t.get("stoppedReason") == f"Scaling activity initiated by (deployment {dep})", f"{t.get('stoppedReason')}")
        check(t.get("stopCode") == "ServiceSchedulerInitiated", f"{t.get('stopCode')}")
    check(any(m.startswith("(service web) has stopped 3 running tasks: ") for m in messages(s)), f"{messages(s)[:4]}")
    for ci in (ci_a, ci_b):
        mem, reg, _ = memory_left(aws, c, ci)
        check(reg - mem in (0, 128), f"stopped tasks gave their memory back: {mem}/{reg}")


@scenario
def max_100_min_50_one_at_a_time(aws):
    """desired 2, maximumPercent 100, minimumHealthyPercent 50: one task replaced at a time."""
    c = aws.cluster("onebyone")
    aws.instance(c)
    aws.instance(c)
    td1 = aws.task_definition("web80", "nginx:1", 256, host_port=80)
    td2 = aws.task_definition("web80", "nginx:2", 256, host_port=80)
    cfg = {"maximumPercent": 100, "minimumHealthyPercent": 50}
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=td1, desiredCount=2, deploymentConfiguration=cfg)
    s = aws.steady(c, "web", td1, 2)
    check((s["deploymentConfiguration"]["maximumPercent"], s["deploymentConfiguration"]["minimumHealthyPercent"]) == (100, 50), f"{s['deploymentConfiguration']}")
    seen = {"max_total": 0, "min_running": 9, "mixed": False}

    def watch(svc):
        ts = aws.tasks(c)  # RUNNING and PENDING
        seen["max_total"] = max(seen["max_total"], len(ts))
        seen["min_running"] = min(seen["min_running"], svc["runningCount"])
        seen["mixed"] |= {t["taskDefinitionArn"] for t in ts} == {td1, td2}

    since = now()
    aws.ecs.update_service(cluster=c, service="web", taskDefinition=td2)
    s = aws.steady(c, "web", td2, 2, watch=watch)
    alive, fewest, mixed, iv = timeline(aws, c, since)
    check(alive <= 2, f"never more than 2 tasks alive (task timestamps): {alive} {iv}")
    check(fewest >= 1, f"never fewer than 1 RUNNING (task timestamps): {fewest} {iv}")
    check(mixed, f"an old and a new task alive together (task timestamps): {iv}")
    check(seen["max_total"] <= 2, f"never more than 2 tasks (100%): {seen['max_total']}")
    check(seen["min_running"] >= 1, f"never fewer than 1 running (50%): {seen['min_running']}")
    check(seen["mixed"], "one old and one new task ran together")
    stops = [m for m in messages(s) if m.startswith("(service web) has stopped 1 running tasks")]
    check(len(stops) == 2, f"two single stops: {messages(s)}")
    check(sorted(t["taskDefinitionArn"] for t in aws.tasks(c)) == [td2, td2], "both tasks of the new revision")


@scenario
def force_new_deployment(aws):
    """forceNewDeployment: a new deployment of the same revision replaces the task."""
    c = aws.cluster("force")
    aws.instance(c)
    td = aws.task_definition("idle", "nginx", 128)
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=td, desiredCount=1)
    s = aws.steady(c, "web", td, 1)
    dep = s["deployments"][0]["id"]
    old = aws.tasks(c)[0]["taskArn"]
    aws.ecs.update_service(cluster=c, service="web", forceNewDeployment=True)
    s = aws.steady(c, "web", td, 1)
    check(s["deployments"][0]["id"] != dep, "a new deployment")
    new = aws.tasks(c)
    check(len(new) == 1 and new[0]["taskArn"] != old, "the task was replaced")
    check(new[0]["startedBy"] == s["deployments"][0]["id"], f"startedBy is the deployment id: {new[0].get('startedBy')}")


@scenario
def unable_to_place_memory_and_counts(aws):
    """desired 2 of a big task on one instance: one runs, the event names memory; pendingCount 0."""
    c = aws.cluster("bigmem")
    ci = aws.instance(c)
    td = aws.task_definition("big", "nginx", 5000)
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=td, desiredCount=2)
    aws.wait(c, "web", lambda s: s["runningCount"] == 1, "one task running")
    for _ in range(10):
        s = aws.service(c, "web")
    check((s["runningCount"], s["pendingCount"]) == (1, 0), f"{summary(s)}")
    check(s["deployments"][0]["rolloutState"] == "IN_PROGRESS", f"{summary(s)}")
    want = f"The closest matching (container-instance {short(ci)}) has insufficient memory available."
    check(s["events"][0]["message"].endswith(want), f"{messages(s)[:2]}")
    no_repeats(s)


@scenario
def placement_accounting(aws):
    """memoryReservation is what placement reserves; hostPort 0 is dynamic; StopTask frees once."""
    c = aws.cluster("accounting")
    ci = aws.instance(c)
    soft = aws.task_definition("soft", "nginx", 1000, memoryReservation=300, command=["sleep", "infinity"])
    dyn = aws.task_definition("dyn", "nginx", 128, host_port=0, command=["sleep", "infinity"])
    out = aws.ecs.run_task(cluster=c, taskDefinition=soft, count=1)
    check(len(out["tasks"]) == 1, f"{out['failures']}")
    mem, reg, _ = memory_left(aws, c, ci)
    check(reg - mem == 300, f"memoryReservation reserved: {reg - mem}")
    out = aws.ecs.run_task(cluster=c, taskDefinition=dyn, count=2)
    check(len(out["tasks"]) == 2 and not out["failures"], f"two dynamic-port tasks on one instance: {out['failures']}")
    arn = out["tasks"][0]["taskArn"]
    aws.ecs.stop_task(cluster=c, task=arn)
    aws.ecs.stop_task(cluster=c, task=arn)  # again: no error, no second release
    mem, reg, _ = memory_left(aws, c, ci)
    check(reg - mem == 300 + 128, f"one release only: {reg - mem} in use")
    p80 = aws.task_definition("p80", "nginx", 128, host_port=80, command=["sleep", "infinity"])
    out = aws.ecs.run_task(cluster=c, taskDefinition=p80, count=2)
    check(len(out["tasks"]) == 1, f"one port-80 task fits: {len(out['tasks'])}")
    check(out["failures"] == [{"arn": ci, "reason": "RESOURCE:PORTS"}], f"{out['failures']}")
    aws.ecs.stop_task(cluster=c, task=out["tasks"][0]["taskArn"])
    out = aws.ecs.run_task(cluster=c, taskDefinition=p80, count=1)
    check(len(out["tasks"]) == 1, "port 80 is free again after StopTask")
    try:
        aws.ecs.stop_task(cluster=c, task="0123456789abcdef0123456789abcdef")
        check(False, "StopTask of an unknown task must fail")
    except aws.ecs.exceptions.InvalidParameterException:
        pass
    listed = aws.ecs.list_tasks(cluster=c)["taskArns"]
    check(arn not in listed and len(listed) == 3, f"ListTasks defaults to RUNNING: {len(listed)}")


@scenario
def task_level_sizes_and_network_modes(aws):
    """Task-level cpu / memory ('1 GB'); host mode reserves containerPort; UDP ports are their own."""
    c = aws.cluster("modes")
    ci = aws.instance(c)
    sized = aws.ecs.register_task_definition(
        family="sized", cpu="512", memory="1 GB",
        containerDefinitions=[{"name": "sized", "image": "x", "command": ["sleep", "infinity"]}],
    )["taskDefinition"]["taskDefinitionArn"]
    out = aws.ecs.run_task(cluster=c, taskDefinition=sized)
    check(len(out["tasks"]) == 1, f"{out['failures']}")
    state = aws.instance_state(c, ci)
    rem = {r["name"]: r.get("integerValue") for r in state["remainingResources"]}
    reg = {r["name"]: r.get("integerValue") for r in state["registeredResources"]}
    check((reg["CPU"] - rem["CPU"], reg["MEMORY"] - rem["MEMORY"]) == (512, 1024), f"task-level sizes reserved: {rem} of {reg}")
    host = aws.ecs.register_task_definition(
        family="host", networkMode="host",
        containerDefinitions=[{"name": "host", "image": "x", "memory": 64, "portMappings": [{"containerPort": 8080}], "command": ["sleep", "infinity"]}],
    )["taskDefinition"]["taskDefinitionArn"]
    out = aws.ecs.run_task(cluster=c, taskDefinition=host, count=2)
    check(len(out["tasks"]) == 1 and out["failures"] == [{"arn": ci, "reason": "RESOURCE:PORTS"}], f"host mode: {out['failures']}")
    udp = aws.ecs.register_task_definition(
        family="udp",
        containerDefinitions=[{"name": "udp", "image": "x", "memory": 64, "portMappings": [{"containerPort": 53, "hostPort": 53, "protocol": "udp"}], "command": ["sleep", "infinity"]}],
    )["taskDefinition"]["taskDefinitionArn"]
    tcp = aws.task_definition("tcp53", "x", 64, host_port=53, command=["sleep", "infinity"])
    out = aws.ecs.run_task(cluster=c, taskDefinition=udp, count=2)
    check(len(out["tasks"]) == 1 and out["failures"] == [{"arn": ci, "reason": "RESOURCE:PORTS_UDP"}], f"udp: {out['failures']}")
    out = aws.ecs.run_task(cluster=c, taskDefinition=tcp)
    check(len(out["tasks"]) == 1, f"TCP 53 is free while UDP 53 is taken: {out['failures']}")


@scenario
def service_binpack_strategy(aws):
    """A service's placementStrategy is followed: binpack on memory fills one instance first."""
    c = aws.cluster("binpack")
    aws.instance(c)
    aws.instance(c)
    td = aws.task_definition("idle", "nginx", 128)
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=td, desiredCount=3,
                           placementStrategy=[{"type": "binpack", "field": "memory"}])
    aws.steady(c, "web", td, 3)
    hosts = {t["containerInstanceArn"] for t in aws.tasks(c)}
    check(len(hosts) == 1, f"all on one instance: {len(hosts)}")


@scenario
def run_task_failures(aws):
    """RunTask: no instances, a task bigger than any instance, one-off exit codes."""
    c = aws.cluster("runtask")
    td = aws.task_definition("job", "busybox", 128, command=["sh", "-c", "exit 3"])
    out = aws.ecs.run_task(cluster=c, taskDefinition=td)
    check(out["failures"] and out["failures"][0]["reason"] == "No Container Instances were found in your cluster.", f"{out}")
    ci = aws.instance(c)
    big = aws.task_definition("huge", "busybox", 8000)
    out = aws.ecs.run_task(cluster=c, taskDefinition=big)
    check(out["failures"] == [{"arn": ci, "reason": "RESOURCE:MEMORY"}], f"{out['failures']}")
    out = aws.ecs.run_task(cluster=c, taskDefinition=td)
    arn = out["tasks"][0]["taskArn"]
    time.sleep(1.2)
    t = aws.ecs.describe_tasks(cluster=c, tasks=[arn])["tasks"][0]
    check(t["lastStatus"] == "STOPPED" and t["containers"][0].get("exitCode") == 3, f"{t['lastStatus']} {t['containers']}")
    check(t.get("stoppedReason") == "Essential container in task exited", f"{t.get('stoppedReason')}")


@scenario
def runtime_platform_places_by_architecture(aws):
    """An ARM64 task definition goes only on a Graviton instance: none on a t3.large (the service
    says an attribute is missing, RunTask reports ATTRIBUTE); a t4g instance takes it."""
    c = aws.cluster("arch")
    x86 = aws.instance(c)
    rev = aws.ecs.register_task_definition(
        family="arm", containerDefinitions=[{"name": "arm", "image": "nginx", "memory": 128, "essential": True}],
        runtimePlatform={"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
    )["taskDefinition"]["taskDefinitionArn"]
    out = aws.ecs.run_task(cluster=c, taskDefinition=rev)
    check(not out["tasks"] and out["failures"] == [{"arn": x86, "reason": "ATTRIBUTE"}], f"{out['tasks']} {out['failures']}")
    aws.ecs.create_service(cluster=c, serviceName="arm", taskDefinition=rev, desiredCount=1)
    svc = aws.wait(c, "arm", lambda s: any("missing an attribute required by your task" in m for m in messages(s)), "the unable-to-place event")
    check(svc["runningCount"] == 0, summary(svc))
    iid = aws.ec2.run_instances(ImageId="ami-12345678", InstanceType="t4g.medium", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    arm = aws.ecs.register_container_instance(cluster=c, instanceIdentityDocument=json.dumps({"instanceId": iid}))["containerInstance"]["containerInstanceArn"]
    aws.steady(c, "arm", rev, 1)
    check([t["containerInstanceArn"] for t in aws.tasks(c)] == [arm], "the task runs on the t4g instance")


@scenario
def crashing_service(aws):
    """A container that exits: tasks keep being replaced, failedTasks counts them, never steady."""
    c = aws.cluster("crash")
    aws.instance(c)
    td = aws.task_definition("crash", "busybox", 128, command=["sh", "-c", "exit 1"])
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=td, desiredCount=1)
    deadline = time.time() + 3.5
    s = None
    while time.time() < deadline:
        s = aws.service(c, "web")
        check(s["runningCount"] == 0, f"a crashing task is never running: {summary(s)}")
        time.sleep(0.1)
    check(s["deployments"][0]["failedTasks"] >= 2, f"failedTasks: {s['deployments'][0]}")
    check(s["deployments"][0]["rolloutState"] == "IN_PROGRESS", f"{summary(s)}")
    check(not any("steady state" in m for m in messages(s)), "never steady")
    stopped = aws.ecs.list_tasks(cluster=c, serviceName="web", desiredStatus="STOPPED")["taskArns"]
    t = aws.ecs.describe_tasks(cluster=c, tasks=stopped[:1])["tasks"][0]
    check(t["stoppedReason"] == "Essential container in task exited" and t["containers"][0]["exitCode"] == 1, f"{t}")
    check(t.get("stopCode") == "EssentialContainerExited", f"{t.get('stopCode')}")


@scenario
def delete_drains_then_inactive(aws):
    """DeleteService (force): DRAINING until its tasks are stopped, then INACTIVE."""
    c = aws.cluster("delete")
    aws.instance(c)
    td = aws.task_definition("idle", "nginx", 128)
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=td, desiredCount=2)
    aws.steady(c, "web", td, 2)
    out = aws.ecs.delete_service(cluster=c, service="web", force=True)
    check(out["service"]["status"] in ("DRAINING", "INACTIVE"), f"{out['service']['status']}")
    s = aws.wait(c, "web", lambda s: s["status"] == "INACTIVE", "INACTIVE")
    check(s["runningCount"] == 0, f"{summary(s)}")
    check(aws.tasks(c) == [], "no task left running")


@scenario
def draining_instance_replaced(aws):
    """A DRAINING instance's service task is replaced elsewhere, new first (100%/200%)."""
    c = aws.cluster("drain")
    ci_a = aws.instance(c)
    ci_b = aws.instance(c)
    td = aws.task_definition("web80", "nginx", 256, host_port=80)
    aws.ecs.create_service(cluster=c, serviceName="web", taskDefinition=td, desiredCount=1)
    aws.steady(c, "web", td, 1)
    old = aws.tasks(c)[0]
    aws.ecs.update_container_instances_state(cluster=c, containerInstances=[old["containerInstanceArn"]], status="DRAINING")
    seen = {"min_running": 9}
    aws.wait(
        c, "web",
        lambda s: s["runningCount"] == 1 and [t["containerInstanceArn"] for t in aws.tasks(c)] == [ci_b if old["containerInstanceArn"] == ci_a else ci_a],
        "task moved off the draining instance",
        watch=lambda s: seen.__setitem__("min_running", min(seen["min_running"], s["runningCount"])),
    )
    check(seen["min_running"] >= 1, "the service kept one task running")


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
