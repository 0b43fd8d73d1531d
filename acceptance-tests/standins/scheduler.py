"""The ECS service scheduler, as a TEST DOUBLE for the acceptance tests (never part of the provider).

moto stores services but never schedules them (../shared/MOTO.md section 4): CreateService creates no
task, runningCount stays 0, deployments[0] never completes and `events` stays empty. This module,
loaded by launch.py (`--standins=scheduler`), plays the part of the ECS scheduler on moto's own
backend objects, so that the provider's waits meet the rules ECS itself follows. What it plays:

* Rolling updates (deployment controller ECS), as "Deploy Amazon ECS services by replacing tasks"
  describes them. A new task definition, or forceNewDeployment, starts a NEW deployment: the list
  becomes [PRIMARY new, ACTIVE old, ...] while the old tasks still run. deploymentConfiguration
  (defaults maximumPercent 200, minimumHealthyPercent 100; kept from CreateService and merged on
  UpdateService, since moto drops it) bounds every step: new tasks are started only while the
  service's RUNNING + PENDING tasks stay at or under floor(desired * max / 100), and old tasks are
  stopped only while the healthy tasks stay at or over ceil(desired * min / 100). A task that was
  placed is PENDING for a quarter of a second (and at least until the scheduler's next pass, the
  next ECS call) and counts as healthy once RUNNING, unless it has a container health check or a
  load balancer (below). So one instance, a fixed host port, desired 1 and 100%/200% is stuck for
  good, as on AWS: the new task cannot be placed (port taken) and the old one may not stop.
  An old deployment without tasks is removed; the PRIMARY's rolloutState becomes COMPLETED once it
  runs desiredCount healthy tasks and no other deployment is left, and stays so (or FAILED: the
  circuit breaker, below). Service-level
  runningCount / pendingCount add up all deployments; each deployment has id, status,
  taskDefinition, desiredCount, runningCount, pendingCount, failedTasks, rolloutState(+Reason),
  createdAt, updatedAt, launchType.
* Scaling: a lower desiredCount stops the surplus (pending first, then from the most loaded
  instance); a higher one places more. Neither starts a deployment.
* Draining container instances: RUNNING service tasks on a DRAINING instance are replaced within
  the same two limits (new task elsewhere first when maximumPercent allows it).
* Placement (also for RunTask) honours each ACTIVE, connected container instance's remaining CPU,
  memory and TCP/UDP host ports. Requirements follow the task definition rules: task-level cpu /
  memory when set, else per container memoryReservation (or memory) and cpu; a fixed hostPort is
  reserved in bridge mode (hostPort 0 or none is dynamic: reserves nothing), host mode reserves
  hostPort or containerPort, awsvpc reserves none. Stopped tasks give their resources back once
  (StopTask on a stopped task changes nothing; moto would free them twice). Service tasks follow
  the service's placementStrategy (spread on instanceId / an attribute, binpack on cpu / memory,
  random), by default spread over Availability Zones (ties: the instance with fewest tasks of the
  service); RunTask without a strategy fills instances in registration order, as moto does.
  A task definition's runtimePlatform.cpuArchitecture places only on instances of that
  architecture (arm64 for Graviton instance types), else "... is missing an attribute required by
  your task." (RunTask: reason ATTRIBUTE). Placement constraints are kept and returned, not
  evaluated.
* Tasks on a force-deregistered container instance are orphaned: the service no longer counts
  them and places replacements.
* Events in ECS's wording, newest first, never the same message twice in a row:
  "(service x) has started N tasks: (task ...).", "(service x) has stopped N running tasks:
  (task ...).", "(service x) was unable to place a task because no container instance met all of
  its requirements. The closest matching (container-instance ...) is already using a port required
  by your task." (or "has insufficient memory available." / "has insufficient CPU units
  available."), "(service x) has reached a steady state."
* Tasks stopped by a deployment: stoppedReason "Task stopped by the deployment ecs-svc/..."; by a
  scale-in: "Scaling activity initiated by (deployment ecs-svc/...)"; both stopCode
  ServiceSchedulerInitiated. StopTask gives stopCode UserInitiated; an unknown task is
  InvalidParameterException (moto: HTTP 500).
* DeleteService leaves the service DRAINING until its tasks are stopped, then INACTIVE.
* Task states are pinned (moto would otherwise advance a task one state per DescribeTasks call).
  A container whose command (override or task definition; the first container's) says `exit N`
  runs for about a second and exits with code N ("Essential container in task exited", stopCode
  EssentialContainerExited, counted in its deployment's failedTasks); while it runs, a service
  counts its task as pending, and the service keeps replacing it, as ECS does with a crashing
  container. Other service tasks run until stopped; other one-off tasks (RunTask) exit 0 after a
  second, unless the command says `sleep infinity`. Containers report PENDING / RUNNING / STOPPED
  and exit codes, and in bridge and host mode their networkBindings once RUNNING.
* Container health checks (ContainerDefinition.healthCheck: command, interval 30, timeout 5,
  retries 3, startPeriod 0 by default), on a compressed clock: HEALTH_CLOCK (0.02) real seconds per
  health-check second. The pretend container cannot run the command, so a convention decides: the
  check fails when its command (after CMD or CMD-SHELL) is `false` or starts with `exit N`, N != 0
  (["CMD-SHELL", "exit 1"]); any other command passes (["CMD-SHELL", "curl -f http://localhost/ ||
  exit 1"]). The first check runs one interval after the container started: healthStatus is
  UNKNOWN until then, HEALTHY after a passing check, UNHEALTHY after `retries` failed checks that
  count (those within startPeriod do not). DescribeTasks lists every container (moto: the first
  only), with healthStatus (UNKNOWN without a check; moto: always HEALTHY), and the task's
  healthStatus (moto: none): UNHEALTHY if an essential container with a check is, HEALTHY when all
  of those are, else UNKNOWN. A service task with such a container counts for the deployment
  (minimum healthy percent, runningCount, completion, steady state) only once HEALTHY; an UNHEALTHY
  one, once healthCheckGracePeriodSeconds have passed since it started, is replaced: a new task
  first where maximumPercent leaves room ("(service x) has started 1 tasks: (task ...). Amazon ECS
  replaced 1 tasks due to an unhealthy status."), then "(service x) (task id) failed container
  health checks.", stoppedReason "Task failed container health checks", stopCode
  ServiceSchedulerInitiated, counted in its deployment's failedTasks. A RunTask task just reports.
* Deployment circuit breaker (deploymentConfiguration.deploymentCircuitBreaker): failedTasks counts
  a deployment's tasks that exited, failed their container health checks or their target group's
  (a task that reaches a healthy state resets it to 0, resetOnHealthyTask being true by default).
  With enable, once the PRIMARY's failedTasks reach the threshold (0.5 x desired count rounded up,
  at least 3, at most 200; thresholdConfiguration COUNT / UNBOUNDED_PERCENT say otherwise), its
  rolloutState becomes FAILED, "ECS deployment circuit breaker: tasks failed to start.", event
  "(service x) (deployment ecs-svc/...) deployment failed: tasks failed to start.". With rollback
  and a deployment that COMPLETED before, that deployment (same id) is PRIMARY again, IN_PROGRESS,
  "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/....", the service's
  taskDefinition is its own again, event "(service x) rolling back to deployment ecs-svc/....", and
  the failed deployment's tasks are replaced like any old deployment's; it stays FAILED while
  listed. Otherwise the FAILED deployment is stalled: it launches no task and replaces none.
  Without enable nothing of this happens: the service replaces failing tasks for ever.
* Load balancers (ELBv2 target groups: loadBalancers [{targetGroupArn, containerName,
  containerPort}] of CreateService and UpdateService, kept on the service; new ones start a new
  deployment). CreateService / UpdateService refuse, InvalidParameterException in ECS's words, a
  target group with no load balancer, a container or container port the task definition lacks,
  an instance target group with awsvpc, an ip one with bridge or host mode. A RUNNING service task
  is registered in moto's ELBv2 backend: the container instance's EC2 instance and the host port
  (bridge without a fixed hostPort: a dynamic one from 32768-60999 that no other task of the
  instance uses), or (ip) the task's private IP and the container port; networkBindings show the
  ports; event "(service x) registered N targets in (target-group arn)". A stopping task is deregistered
  at once ("has begun draining connections on N tasks.", "deregistered N targets in (target-group
  arn)"). DescribeTargetHealth: initial until the first check (HealthCheckIntervalSeconds after
  registration), then healthy, or, when the container's environment has STANDIN_HTTP=fail,
  unhealthy after UnhealthyThresholdCount checks (Target.FailedHealthChecks, "Health checks
  failed"; STANDIN_HTTP=<code> against an HTTP check: Target.ResponseCodeMismatch, "Health checks
  failed with these codes: [code]"). A task counts for the deployment only once each of its targets
  is healthy; an unhealthy one, after the grace period, is replaced as above with "(service x)
  (task id) (instance i-...) (port N) is unhealthy in (target-group arn) due to (reason Health
  checks failed).", stoppedReason "Task failed ELB health checks in (target-group arn)". moto keys
  a target group's targets by id alone; here by id and port, as AWS does.
* Capacity provider strategies (services and RunTask). A task launched with a strategy goes only
  on container instances whose capacityProviderName (set by agent.py) is one of the strategy's
  providers; the provider of each task follows base and weight roughly: the provider with a base
  gets tasks until it has that many (for a service: of its live tasks; for RunTask: of this call),
  then each task goes to the provider with the fewest tasks above its base per unit of weight
  (ties: the first in the strategy); a provider with weight 0 gets only its base. There is no
  spill-over: a task whose provider has no room is not placed elsewhere. Such a task records the
  provider in capacityProviderName and launchType EC2. A service or RunTask with neither a
  launchType nor a strategy uses the cluster's defaultCapacityProviderStrategy when it has one,
  and a service shows that strategy as its own (and no launchType); moto drops the strategy of
  CreateService and gives every service launchType EC2. UpdateService's strategy (moto keeps it)
  applies to the tasks placed from then on; an empty list goes back to launchType EC2. A launchType
  EC2 task goes on any instance. The validation of strategies is capacity.py's.
* RunTask reports tasks it could not place in `failures` (reason RESOURCE:MEMORY, RESOURCE:CPU,
  RESOURCE:PORTS, RESOURCE:PORTS_UDP, AGENT, or "No Container Instances were found in your
  cluster.") instead of dropping them silently or answering HTTP 500; ListTasks defaults to
  desiredStatus RUNNING and honours serviceName, as ECS does.

Every ECS call is one pass of the scheduler over all services of its account and region (ECS
schedules all the time, not only when asked; ELBv2 calls run no pass, though target health is
computed when asked). Not played: the 40 s a task without a health check or load balancer needs
before it counts as healthy (here it counts once RUNNING), health check timeouts, deregistration
delay (draining), target groups' HealthyThresholdCount after a failure and disabled health checks,
Classic Load Balancers, Cloud Map and VPC Lattice health, CloudWatch alarms, blue/green and
external controllers, DAEMON services, managed scaling of capacity providers (no task is ever
PROVISIONING). Every hook runs under launch.py's global lock. (This module is longer than the
~500 lines CONTRIBUTING asks for: the scheduler's rules share one pass and one set of patches of
moto, and the stand-in rules say a behaviour lives in its stand-in's own module.)
"""

import copy
import math
import random
import re
import sys
import time
import traceback

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import Container, EC2ContainerServiceBackend, Task, ecs_backends
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.exceptions import InvalidTargetError, TargetNotRunning
from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup, elbv2_backends
from moto.moto_api import state_manager
from moto.ec2.models.elastic_network_interfaces import NetworkInterface

# moto gives a network interface a private DNS name only in a VPC with DNS hostnames enabled, then
# reads it for every awsvpc task (AttributeError, so no awsvpc task could start in any other VPC).
# AWS starts such tasks; the attachment then simply has no DNS name. Not a behaviour: a moto bug.
if not hasattr(NetworkInterface, "private_dns_name"):
    NetworkInterface.private_dns_name = None
from moto.moto_api._internal import mock_random

# Tasks never advance on their own: this module decides when they stop.
state_manager.set_transition(model_name="ecs::task", transition={"progression": "manual", "times": 10**9})

ONE_OFF_RUN_SECONDS = 1.0
# A service task stays PENDING for at least this long (and at least until the next pass) before it
# is RUNNING: short, but long enough for a poller to see a rollout's intermediate states.
PENDING_SECONDS = 0.25
DEFAULT_MAXIMUM_PERCENT = 200
DEFAULT_MINIMUM_HEALTHY_PERCENT = 100
# ECS's default for services ("Use strategies to define Amazon ECS task placement"); the second
# entry is this stand-in's tie-break inside one Availability Zone.
DEFAULT_SERVICE_STRATEGY = [
    {"type": "spread", "field": "attribute:ecs.availability-zone"},
    {"type": "spread", "field": "instanceId"},
]
_EXIT = re.compile(r"\bexit\s+(\d+)")
_FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")

# Health is played on a compressed clock, the one simplification of time in the health checks:
# one second of a health check's clock (interval, startPeriod, a target group's
# HealthCheckIntervalSeconds, a service's healthCheckGracePeriodSeconds) lasts HEALTH_CLOCK real
# seconds. AWS's defaults (interval 30 s) thus take 0.6 s here.
HEALTH_CLOCK = 0.02
# ContainerDefinition.healthCheck defaults (HealthCheck, Amazon ECS API Reference). The timeout is
# kept but never reached: the pretend command answers at once.
HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 0}
_FAILING_CHECK = re.compile(r"exit\s+(\d+)\b")
# Where the agent finds a dynamic host port in bridge mode (PortMapping.hostPort: the instance's
# /proc/sys/net/ipv4/ip_local_port_range, which on Linux is 32768-60999 unless changed).
EPHEMERAL_PORTS = range(32768, 61000)
# Deployment circuit breaker threshold: 0.5 x desired count, rounded up, within [3, 200]
# ("How the Amazon ECS deployment circuit breaker detects failures"; ThresholdConfiguration's default
# BOUNDED_PERCENT 50).
CIRCUIT_BREAKER_MIN, CIRCUIT_BREAKER_MAX, CIRCUIT_BREAKER_PERCENT = 3, 200, 50

# One scheduler pass per ECS call: a task placed in pass N is RUNNING from pass N+1 on.
_pass = [0]
# What the last placement could not do, for RunTask's `failures`: (container instance ARN, reason).
_last_failure = [None]
# RunTask's placementStrategy (moto's response handler does not hand it to the backend).
_run_task_strategy = [None]
# UpdateService: the service's deployments, deployment configuration and load balancers before moto
# touched them.
_before_update = {}
# Targets this stand-in registered: (target group ARN, "id:port") -> record (see _register_targets).
_targets = {}


# ---------------------------------------------------------------------------------------------
# helpers


def _backend(req):
    return ecs_backends[req.account][req.region]


def _short(arn):
    return (arn or "").split("/")[-1]


def _event(svc, message):
    """Adds an event unless it repeats the newest one (ECS does not repeat itself every second)."""
    if svc.events and svc.events[0]["message"] == message:
        return
    svc.events.insert(0, {"id": str(mock_random.uuid4()), "createdAt": utcnow(), "message": message})
    del svc.events[100:]


def _task_ids(tasks):
    return " ".join(f"(task {_short(t.task_arn)})" for t in tasks)


def _find_service(backend, cluster, name):
    try:
        return backend._get_service(cluster, name)
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------
# what a task needs, and what an instance has left


def _amount(value, per_unit):
    """A task-level size: '512' -> 512, '1 vCPU' -> 1024 units, '2 GB' -> 2048 MiB; None if unset."""
    if value is None or str(value).strip() == "":
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(vcpu|gb)?", str(value).strip().lower())
    if not m:
        return None
    n = float(m.group(1))
    return int(n * per_unit) if m.group(2) else int(n)


def _requirements(td):
    """CPU units, MiB and host ports (TCP, UDP) one task of `td` takes on a container instance."""
    containers = td.container_definitions
    cpu = _amount(getattr(td, "cpu", None), 1024)
    if cpu is None:
        cpu = sum(int(c.get("cpu") or 0) for c in containers)
    memory = _amount(getattr(td, "memory", None), 1024)
    if memory is None:
        # The soft limit is what placement reserves when both are given.
        memory = sum(int(c.get("memoryReservation") or c.get("memory") or 0) for c in containers)
    tcp, udp = [], []
    mode = td.network_mode or "bridge"
    if mode in ("bridge", "host"):
        for c in containers:
            for pm in c.get("portMappings") or []:
                port = pm.get("hostPort")
                if mode == "host" and not port:
                    port = pm.get("containerPort")
                if not port:
                    continue  # bridge mode without a fixed host port: a dynamic port, nothing reserved
                (udp if str(pm.get("protocol") or "tcp").lower() == "udp" else tcp).append(int(port))
    return {"CPU": cpu, "MEMORY": memory, "PORTS": tcp, "PORTS_UDP": udp}


def _remaining(ci):
    return {r.get("name"): r for r in ci.remaining_resources}


def _shortfalls(ci, req):
    """Why a task with these requirements does not fit on `ci` now ([] = it fits)."""
    if not getattr(ci, "agent_connected", True):
        return ["AGENT"]
    rem = _remaining(ci)
    out = []
    if req["MEMORY"] > rem.get("MEMORY", {}).get("integerValue", 0):
        out.append("MEMORY")
    if req["CPU"] > rem.get("CPU", {}).get("integerValue", 0):
        out.append("CPU")
    if any(str(p) in rem.get("PORTS", {}).get("stringSetValue", []) for p in req["PORTS"]):
        out.append("PORTS")
    if any(str(p) in rem.get("PORTS_UDP", {}).get("stringSetValue", []) for p in req.get("PORTS_UDP", [])):
        out.append("PORTS_UDP")
    return out


# The processor architecture of an instance type, as the ECS agent registers it in the attribute
# ecs.cpu-architecture: arm64 for Graviton families (a "g" after the generation digit: t4g, m6gd,
# c7gn, x2gd; and a1), x86_64 otherwise (g5 is a GPU family on x86).
_GRAVITON = re.compile(r"^(a1|[a-z]+\d+[a-z]*g[a-z]*)\.")


def _cpu_architecture(ci):
    kind = (getattr(ci, "attributes", None) or {}).get("ecs.instance-type") or ""
    return "arm64" if _GRAVITON.match(kind) else "x86_64"


def _platform_mismatch(ci, td):
    """A task definition's runtimePlatform.cpuArchitecture places only on instances of that
    architecture ("Amazon ECS task definition parameters": runtimePlatform); ECS reports the closest
    instance as missing an attribute required by the task."""
    wanted = ((getattr(td, "runtime_platform", None) or {}).get("cpuArchitecture") or "").upper()
    if not wanted:
        return False
    return {"X86_64": "x86_64", "ARM64": "arm64"}.get(wanted, wanted.lower()) != _cpu_architecture(ci)


def _update_container_instance_resources(self, container_instance, task_resources, removing=False):
    """moto's bookkeeping, plus UDP ports and without failing on a port that is not reserved."""
    sign = -1 if removing else 1
    for r in container_instance.remaining_resources:
        name = r.get("name")
        if name in ("CPU", "MEMORY"):
            r["integerValue"] -= sign * int(task_resources.get(name) or 0)
        elif name in ("PORTS", "PORTS_UDP"):
            ports = r.setdefault("stringSetValue", [])
            for p in task_resources.get(name) or []:
                if not removing:
                    ports.append(str(p))
                elif str(p) in ports:
                    ports.remove(str(p))
    container_instance.running_tasks_count += sign


EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(_requirements)
EC2ContainerServiceBackend._can_be_placed = staticmethod(lambda ci, req: not _shortfalls(ci, req))
EC2ContainerServiceBackend.update_container_instance_resources = _update_container_instance_resources


def _stop_task(self, cluster_str, task_str, reason):
    """StopTask: frees the task's resources once; a stopped task stays as it is; unknown -> 400."""
    cluster = self._get_cluster(cluster_str)
    task_id = _short(task_str)
    task = next((t for arn, t in self.tasks.get(cluster.name, {}).items() if _short(arn) == task_id), None)
    if task is None:
        raise InvalidParameterException("The referenced task was not found.")
    if task.desired_status == "STOPPED":
        return task
    ci_id = _short(task.container_instance_arn)
    ci = self.container_instances.get(cluster.name, {}).get(ci_id) or self.container_instances.get("orphaned", {}).get(ci_id)
    if task.container_instance_arn:
        if ci is not None and task.resource_requirements:
            self.update_container_instance_resources(ci, task.resource_requirements, removing=True)
        self.update_cluster_resources(cluster, -1, task_state="RUNNING")
    now = utcnow()
    task.last_status = "STOPPED"
    task.desired_status = "STOPPED"
    task.stopped_reason = reason
    task.stop_code = "UserInitiated"
    task.stopping_at = now
    task.stopped_at = now
    for c in task.containers:
        c.last_status = "STOPPED"
    _deregister_targets(self, task)
    return task


EC2ContainerServiceBackend.stop_task = _stop_task


def _stop(backend, cluster_name, task, reason, stop_code="ServiceSchedulerInitiated"):
    backend.stop_task(cluster_name, task.task_arn, reason)
    task.stop_code = stop_code


# ---------------------------------------------------------------------------------------------
# placement


def _attribute(ci, field):
    if field in ("instanceId", "host"):
        return ci.container_instance_arn
    name = field.split(":", 1)[1] if field.startswith("attribute:") else field
    return (getattr(ci, "attributes", None) or {}).get(name)


def _preferred(fits, strategies, group_tasks, by_arn):
    """The instance the placement strategies pick among those the task fits on."""
    keys = {id(ci): [] for ci in fits}
    for s in strategies or []:
        kind = str(s.get("type") or "").lower()
        field = s.get("field") or ""
        if kind == "spread":
            counts = {}
            for t in group_tasks:
                host = by_arn.get(t.container_instance_arn)
                if host is not None:
                    v = _attribute(host, field)
                    counts[v] = counts.get(v, 0) + 1
            for ci in fits:
                keys[id(ci)].append(counts.get(_attribute(ci, field), 0))
        elif kind == "binpack":
            resource = "CPU" if field.lower() == "cpu" else "MEMORY"
            for ci in fits:
                keys[id(ci)].append(_remaining(ci).get(resource, {}).get("integerValue", 0))
        elif kind == "random":
            for ci in fits:
                keys[id(ci)].append(random.random())
    return min(fits, key=lambda ci: keys[id(ci)])  # min() keeps the first of equals: registration order


def _pick_provider(cp_strategy, counts):
    """The capacity provider of the next task: bases first, then by weight (see the docstring)."""
    items = [(str(i.get("capacityProvider")), int(i.get("base") or 0), int(i.get("weight") or 0)) for i in cp_strategy]
    for name, base, _ in items:
        if base and counts.get(name, 0) < base:
            return name
    weighted = [(k, it) for k, it in enumerate(items) if it[2] > 0] or list(enumerate(items[:1]))
    above = lambda it: max(0, counts.get(it[0], 0) - it[1])
    return min(weighted, key=lambda kit: ((above(kit[1]) + 1) / max(kit[1][2], 1), kit[0]))[1][0]


def _ec2_strategy(strategy):
    """The strategy when it places on container instances (not Fargate), else None."""
    if strategy and not any(i.get("capacityProvider") in _FARGATE_PROVIDERS for i in strategy):
        return strategy
    return None


def _place(backend, cluster, td, count, group, started_by, overrides=None, tags=None, launch_type=None,
           networking=None, platform_version=None, capacity_provider_name=None, strategies=None,
           cp_strategy=None, cp_counts=None):
    """Places up to `count` tasks on the cluster's container instances, one at a time. With a
    capacity provider strategy (`cp_strategy`; `cp_counts` = tasks per provider so far), each task
    goes on an instance of the provider `_pick_provider` chooses.
    Returns (tasks, failure): failure = (closest container instance ARN or None, reason)."""
    req = _requirements(td)
    registered = backend.container_instances.get(cluster.name, {})
    by_arn = {ci.container_instance_arn: ci for ci in registered.values()}
    active = [ci for ci in registered.values() if ci.status == "ACTIVE"]
    cluster_tasks = backend.tasks.setdefault(cluster.name, {})
    counts = dict(cp_counts or {})
    placed = []
    for _ in range(count):
        pool = active
        if cp_strategy:
            capacity_provider_name = _pick_provider(cp_strategy, counts)
            launch_type = "EC2"
            pool = [ci for ci in active if getattr(ci, "capacity_provider_name", None) == capacity_provider_name]
        if not pool:
            return placed, (None, "NO_INSTANCES")
        fits, misses = [], []
        for ci in pool:
            short = ["ATTRIBUTE"] if _platform_mismatch(ci, td) else _shortfalls(ci, req)
            if short:
                misses.append((ci, short))
            else:
                fits.append(ci)
        if not fits:
            ci, short = min(misses, key=lambda m: len(m[1]))  # the closest match misses least
            return placed, (ci.container_instance_arn, short[0])
        group_tasks = [t for t in cluster_tasks.values() if t.group == group and t.desired_status == "RUNNING"]
        ci = _preferred(fits, strategies, group_tasks, by_arn)
        task_req = {k: (list(v) if isinstance(v, list) else v) for k, v in req.items()}
        task = Task(
            cluster,
            td,
            ci.container_instance_arn,
            task_req,
            backend=backend,
            group=group,
            overrides=overrides or {},
            started_by=started_by or "",
            tags=tags or [],
            launch_type=launch_type or "",
            networking_configuration=networking,
            platform_version=platform_version,
            capacity_provider_name=capacity_provider_name,
        )
        backend.update_container_instance_resources(ci, task_req)
        backend.update_cluster_resources(cluster, 1)
        cluster_tasks[task.task_arn] = task
        placed.append(task)
        if cp_strategy:
            counts[capacity_provider_name] = counts.get(capacity_provider_name, 0) + 1
    return placed, None


_REASON_TEXT = {
    "MEMORY": "has insufficient memory available",
    "CPU": "has insufficient CPU units available",
    "PORTS": "is already using a port required by your task",
    "PORTS_UDP": "is already using a port required by your task",
    "AGENT": 'encountered error "AGENT"',
    "ATTRIBUTE": "is missing an attribute required by your task",
}
_FAILURE_REASON = {
    "MEMORY": "RESOURCE:MEMORY",
    "CPU": "RESOURCE:CPU",
    "PORTS": "RESOURCE:PORTS",
    "PORTS_UDP": "RESOURCE:PORTS_UDP",
    "AGENT": "AGENT",
    "ATTRIBUTE": "ATTRIBUTE",
    "NO_INSTANCES": "No Container Instances were found in your cluster.",
}


def _unable_to_place(svc, failure):
    ci_arn, why = failure
    head = f"(service {svc.name}) was unable to place a task because no container instance met all of its requirements."
    if ci_arn is None:
        return f"{head} Reason: No Container Instances were found in your cluster."
    return f"{head} The closest matching (container-instance {_short(ci_arn)}) {_REASON_TEXT.get(why, _REASON_TEXT['MEMORY'])}."


# ---------------------------------------------------------------------------------------------
# containers: starting, and exiting


def _exit_plan(task, overrides):
    """The pretend container's exit code; None = runs until stopped. A one-off task's container
    exits 0 unless its command says otherwise; a service's runs until stopped unless it says `exit N`."""
    td = task._standin_td
    cdef = td.container_definitions[0]
    command = cdef.get("command") or []
    for o in (overrides or {}).get("containerOverrides", []):
        if o.get("name") == cdef.get("name") and o.get("command"):
            command = o["command"]
    text = " ".join(command)
    m = _EXIT.search(text)
    if m:
        return int(m.group(1))
    if "sleep infinity" in text or task.group.startswith("service:"):
        return None
    return 0


def _mark_running(task):
    task.last_status = "RUNNING"
    task.started_at = utcnow()
    task._standin_running_at = time.time()
    for c in task.containers:
        c.last_status = "RUNNING"
    _bind_ports(task)


def _containers(td):
    """One container per container definition, as DescribeTasks lists them (moto: the first only,
    always healthStatus HEALTHY). A container without a health check reports UNKNOWN."""
    out = []
    for cdef in td.container_definitions:
        c = Container(td)
        c.name = cdef.get("name")
        c.image = cdef.get("image")
        c.cpu = cdef.get("cpu", 0)
        c.memory = cdef.get("memory")
        c.environment = cdef.get("environment")
        c.command = cdef.get("command")
        c.health_status = "UNKNOWN"
        c.network_bindings = []
        out.append(c)
    return out


def _start(task, td, overrides, pending):
    task.created_at = utcnow()
    task._standin_td = td
    task._standin_pass = _pass[0]
    task._standin_placed = time.time()
    task._standin_targets = []
    task._standin_dynamic_ports = []
    task.containers = _containers(td)
    task.health_status = "UNKNOWN"
    if pending:
        task.last_status = "PENDING"
        for c in task.containers:
            c.last_status = "PENDING"
    else:
        _mark_running(task)
    code = _exit_plan(task, overrides)
    if code is not None:
        task._standin_stop_at = time.time() + ONE_OFF_RUN_SECONDS
        task._standin_exit = code


def _service_of(backend, cluster_name, task):
    if not (task.group or "").startswith("service:"):
        return None
    return backend.services.get(f"{cluster_name}:{task.group[len('service:'):]}")


def _count_failure(svc, task):
    """A failed task of a service counts in its deployment's failedTasks (Deployment)."""
    for d in getattr(svc, "deployments", None) or []:
        if d.get("id") == task.started_by:
            d["failedTasks"] = int(d.get("failedTasks") or 0) + 1
            d["updatedAt"] = utcnow()


def _finish_exited_tasks(backend):
    now = time.time()
    for cluster_name, tasks in backend.tasks.items():
        for t in list(tasks.values()):
            stop_at = getattr(t, "_standin_stop_at", None)
            if stop_at is None or stop_at > now or t.desired_status != "RUNNING":
                continue
            code = t._standin_exit
            _stop(backend, cluster_name, t, "Essential container in task exited", stop_code="EssentialContainerExited")
            for c in t.containers[:1]:  # the container whose command exits (_exit_plan)
                c.exitCode = code
                c.exit_code = code
            _count_failure(_service_of(backend, cluster_name, t), t)


# ---------------------------------------------------------------------------------------------
# container health checks (compressed clock: HEALTH_CLOCK)


def _check_passes(command):
    """The pretend container cannot run a health check command. Convention: the check fails when the
    command (after CMD or CMD-SHELL) is one that fails in any shell, `false` or `exit N` with N != 0
    at its start; any other command passes."""
    parts = [str(p) for p in command or []]
    if parts and parts[0] in ("CMD", "CMD-SHELL"):
        parts = parts[1:]
    text = " ".join(parts).strip()
    if text in ("false", "/bin/false", "/usr/bin/false"):
        return False
    m = _FAILING_CHECK.match(text)
    return not (m and int(m.group(1)) != 0)


def _health_check(cdef):
    hc = cdef.get("healthCheck") or {}
    if not hc.get("command"):
        return None
    out = {"command": hc["command"]}
    for key, default in HEALTH_CHECK_DEFAULTS.items():
        out[key] = default if hc.get(key) is None else int(hc[key])
    return out


def _container_health(cdef, running_at, now):
    """UNKNOWN until the first check (one interval after the container started); HEALTHY after a
    passing check; UNHEALTHY after `retries` failed checks that count (a failure while the
    startPeriod lasts does not count). None: the container has no health check."""
    hc = _health_check(cdef)
    if hc is None:
        return None
    if running_at is None:
        return "UNKNOWN"
    interval = max(hc["interval"], 1)
    checks = int((now - running_at) / (interval * HEALTH_CLOCK))
    if checks < 1:
        return "UNKNOWN"
    if _check_passes(hc["command"]):
        return "HEALTHY"
    ignored = hc["startPeriod"] // interval  # the checks that ran within the start period
    return "UNHEALTHY" if checks >= ignored + max(hc["retries"], 1) else "UNKNOWN"


def _essential(cdef):
    return cdef.get("essential", True) is not False


def _has_health_check(task):
    td = getattr(task, "_standin_td", None)
    return td is not None and any(_essential(c) and _health_check(c) for c in td.container_definitions)


def _refresh_health(task, now):
    """healthStatus of the containers and of the task (DescribeTasks) while the task runs: UNHEALTHY
    if an essential container with a health check is, HEALTHY when all of those are, else UNKNOWN.
    A stopped task keeps what it last reported."""
    td = getattr(task, "_standin_td", None)
    if td is None or task.desired_status != "RUNNING" or task.last_status == "STOPPED":
        return
    running_at = getattr(task, "_standin_running_at", None)
    essential = []
    for c, cdef in zip(task.containers, td.container_definitions):
        h = _container_health(cdef, running_at, now)
        c.health_status = h or "UNKNOWN"
        if h is not None and _essential(cdef):
            essential.append(h)
    if "UNHEALTHY" in essential:
        task.health_status = "UNHEALTHY"
    elif essential and all(h == "HEALTHY" for h in essential):
        task.health_status = "HEALTHY"
    else:
        task.health_status = "UNKNOWN"


# ---------------------------------------------------------------------------------------------
# load balancers (ELBv2 target groups)


def _port_number(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _container_instance(task):
    backend = task._backend
    ci_id = _short(task.container_instance_arn)
    return backend.container_instances.get(task.cluster_name, {}).get(ci_id) if ci_id else None


def _bind_ports(task):
    """networkBindings once RUNNING (bridge and host mode): a fixed hostPort, host mode's
    containerPort, or in bridge mode without one a dynamic port from the ephemeral range that no
    other task of the instance uses (it is not reserved in remainingResources)."""
    td = getattr(task, "_standin_td", None)
    mode = (td.network_mode or "bridge") if td is not None else None
    if mode not in ("bridge", "host") or not task.container_instance_arn:
        return
    ci = _container_instance(task)
    used = set()
    if ci is not None:
        for r in ci.remaining_resources:
            if r.get("name") in ("PORTS", "PORTS_UDP"):
                used.update(_port_number(p) for p in r.get("stringSetValue") or [])
    for other in task._backend.tasks.get(task.cluster_name, {}).values():
        if other is not task and other.desired_status == "RUNNING" and other.container_instance_arn == task.container_instance_arn:
            used.update(getattr(other, "_standin_dynamic_ports", []))
    for c, cdef in zip(task.containers, td.container_definitions):
        bindings = []
        for pm in cdef.get("portMappings") or []:
            container_port = _port_number(pm.get("containerPort"))
            host_port = _port_number(pm.get("hostPort")) or (container_port if mode == "host" else None)
            if not host_port:
                host_port = next(p for p in EPHEMERAL_PORTS if p not in used)
                used.add(host_port)
                task._standin_dynamic_ports.append(host_port)
            protocol = str(pm.get("protocol") or "tcp").lower()
            bindings.append({"bindIP": "0.0.0.0", "containerPort": container_port, "hostPort": host_port, "protocol": protocol})
        c.network_bindings = bindings


def _elb(backend):
    return elbv2_backends[backend.account_id][backend.region_name]


def _associated(elb, tg):
    return any(arn in elb.load_balancers for arn in tg.load_balancer_arns)


def _http_codes_match(code, matcher):
    spec = str((matcher or {}).get("HttpCode") or "200")
    for part in spec.split(","):
        lo, _, hi = part.strip().partition("-")
        if lo.isdigit() and (int(lo) <= code <= int(hi or lo)):
            return True
    return False


def _http_failure(tg, cdef):
    """How the target's health checks fail, from the container's environment (a test convention):
    STANDIN_HTTP=fail fails every check (Target.FailedHealthChecks); STANDIN_HTTP=<code> answers an
    HTTP or HTTPS check with that code (Target.ResponseCodeMismatch unless the matcher takes it).
    Anything else passes. None: the checks pass."""
    env = {e.get("name"): str(e.get("value")) for e in cdef.get("environment") or []}
    value = env.get("STANDIN_HTTP", "").strip().lower()
    if value == "fail":
        return ("Target.FailedHealthChecks", "Health checks failed")
    if value.isdigit():
        protocol = str(getattr(tg, "health_check_protocol", None) or tg.protocol or "").upper()
        if protocol in ("HTTP", "HTTPS") and not _http_codes_match(int(value), getattr(tg, "matcher", None)):
            return ("Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{value}]")
    return None


def _target_state(rec, now):
    """(State, Reason, Description) of a target this stand-in registered: initial until the first
    check (HealthCheckIntervalSeconds after registration); healthy after one passing check; a
    failing target stays initial until UnhealthyThresholdCount checks have failed, then unhealthy."""
    tg = rec["tg"]
    interval = max(int(_port_number(tg.health_check_interval_seconds) or 30), 1) * HEALTH_CLOCK
    checks = int((now - rec["registered_at"]) / interval)
    if checks < 1:
        return ("initial", "Elb.RegistrationInProgress", "Target registration is in progress")
    if rec["fail"] is None:
        return ("healthy", None, None)
    if checks < max(int(_port_number(tg.unhealthy_threshold_count) or 2), 1):
        return ("initial", "Elb.InitialHealthChecking", "Initial health checking in progress")
    return ("unhealthy",) + tuple(rec["fail"])


def _target_key(target_id, port):
    return f"{target_id}:{port}"


def _lb_log(svc, kind, arn=None):
    """Load-balancer events of a service, written in order by _flush_lb_events."""
    if svc is None:
        return
    log = svc.__dict__.setdefault("_standin_lb_log", [])
    log.append((kind, arn))


def _flush_lb_events(svc):
    """ECS's wording: "(service x) has begun draining connections on N tasks.", "(service x)
    deregistered N targets in (target-group arn)", "(service x) registered N targets in
    (target-group arn)" (these two without a full stop, as ECS writes them)."""
    log = svc.__dict__.pop("_standin_lb_log", None)
    if not log:
        return
    draining = sum(1 for kind, _ in log if kind == "draining")
    if draining:
        _event(svc, f"(service {svc.name}) has begun draining connections on {draining} tasks.")
    for kind in ("deregistered", "registered"):
        counts = {}
        for k, arn in log:
            if k == kind:
                counts[arn] = counts.get(arn, 0) + 1
        for arn, n in counts.items():
            _event(svc, f"(service {svc.name}) {kind} {n} targets in (target-group {arn})")


def _register_targets(backend, svc, task):
    """A service task that is RUNNING becomes a target of each of its load balancers' target groups:
    instance targets are the container instance's EC2 instance and the host port of the container
    port; ip targets (awsvpc) the task's private IP and the container port."""
    elb = _elb(backend)
    td = task._standin_td
    ci = _container_instance(task)
    for lb in getattr(task, "_standin_lbs", None) or []:
        tg = elb.target_groups.get(lb.get("targetGroupArn"))
        if tg is None:
            continue
        name, container_port = lb.get("containerName"), _port_number(lb.get("containerPort"))
        cdef = next((c for c in td.container_definitions if c.get("name") == name), None)
        if cdef is None:
            continue
        if (tg.target_type or "instance") == "ip":
            details = {d["name"]: d["value"] for a in task.attachments for d in a.get("details", [])}
            target_id, port = details.get("privateIPv4Address"), container_port
        else:
            container = next((c for c in task.containers if c.name == name), None)
            binding = next((b for b in getattr(container, "network_bindings", []) if b["containerPort"] == container_port), None)
            target_id = ci.ec2_instance_id if ci is not None else None
            port = binding["hostPort"] if binding else None
        if target_id is None or port is None:
            sys.stderr.write(f"scheduler: no target for task {_short(task.task_arn)} in {tg.arn}\n")
            continue
        try:
            tg.register([{"Id": target_id, "Port": port}])
        except TargetNotRunning:
            continue
        rec = {
            "tg": tg,
            "arn": tg.arn,
            "id": target_id,
            "port": port,
            "registered_at": time.time(),
            "fail": _http_failure(tg, cdef),
            "instance": ci.ec2_instance_id if ci is not None else None,
        }
        _targets[(tg.arn, _target_key(target_id, port))] = rec
        task._standin_targets.append(rec)
        _lb_log(svc, "registered", tg.arn)


def _deregister_targets(backend, task):
    """A stopping task leaves its target groups. ECS drains first (the target group's deregistration
    delay); here the target is deregistered at once."""
    recs = getattr(task, "_standin_targets", None)
    if not recs:
        return
    svc = _service_of(backend, task.cluster_name, task)
    for rec in recs:
        try:
            rec["tg"].deregister([{"Id": rec["id"], "Port": rec["port"]}])
        except InvalidTargetError:
            pass
        _targets.pop((rec["arn"], _target_key(rec["id"], rec["port"])), None)
        _lb_log(svc, "deregistered", rec["arn"])
    _lb_log(svc, "draining")
    task._standin_deregistered = recs
    task._standin_targets = []


def _targets_healthy(task, now):
    return all(_target_state(rec, now)[0] == "healthy" for rec in getattr(task, "_standin_targets", None) or [])


# moto keys a target group's targets by id alone, so two tasks on one instance (dynamic ports)
# would be one target. AWS keys them by id and port. A repair of moto, not a behaviour.
def _tg_key(tg, target):
    return _target_key(target["Id"], _port_number(target.get("Port") or tg.port))


def _tg_register(self, targets):
    for target in targets:
        instance = self.ec2_backend.get_instance_by_id(target["Id"])
        if instance is not None and instance.state != "running":
            raise TargetNotRunning(instance_id=target["Id"])
        key = _tg_key(self, target)
        self.targets[key] = {"Id": target["Id"], "Port": _port_number(target.get("Port") or self.port)}
        self.deregistered_targets.pop(key, None)


def _tg_deregister(self, targets):
    for target in targets:
        key = _tg_key(self, target)
        t = self.targets.pop(key, None)
        if not t:
            raise InvalidTargetError()
        self.deregistered_targets[key] = t


def _tg_deregister_terminated_instances(self, instance_ids):
    for key in list(self.targets):
        if self.targets[key]["Id"] in instance_ids:
            self.terminated_targets[key] = self.targets.pop(key)


def _tg_health_for(self, target, ec2_backend):
    """moto's answers, by id and port; a target this stand-in registered has its task's health."""
    key = _tg_key(self, target)
    port = _port_number(target.get("Port") or self.port)
    t = self.targets.get(key)
    if t is None:
        if key in self.terminated_targets and key not in self.deregistered_targets:
            return FakeHealthStatus(target["Id"], port, self.health_check_port, "draining",
                                    "Target.DeregistrationInProgress", "Target deregistration is in progress")
        if key in self.deregistered_targets or target["Id"].startswith("i-"):
            return FakeHealthStatus(target["Id"], port, self.health_check_port, "unused", "Target.NotRegistered",
                                    "Target is not registered to the target group")
        return FakeHealthStatus(target["Id"], port, self.health_check_port, "unavailable", "Target.NotRegistered",
                                "Target is not registered")
    rec = _targets.get((self.arn, key))
    if rec is not None:
        return FakeHealthStatus(t["Id"], t["Port"], self.health_check_port, *_target_state(rec, time.time()))
    if t["Id"].startswith("i-"):
        instance = ec2_backend.get_instance_by_id(t["Id"])
        if instance is not None and instance.state == "stopped":
            return FakeHealthStatus(t["Id"], t["Port"], self.health_check_port, "unused", "Target.InvalidState",
                                    "Target is in the stopped state")
    return FakeHealthStatus(t["Id"], t["Port"], self.health_check_port, "healthy")


FakeTargetGroup.register = _tg_register
FakeTargetGroup.deregister = _tg_deregister
FakeTargetGroup.deregister_terminated_instances = _tg_deregister_terminated_instances
FakeTargetGroup.health_for = _tg_health_for


def _check_load_balancers(backend, lbs, td):
    """CreateService / UpdateService: ECS's InvalidParameterException for a target group without a
    load balancer, a container or container port the task definition lacks, and a target type that
    does not fit the network mode (instance with awsvpc, ip with bridge or host)."""
    if not lbs or td is None:
        return
    elb = _elb(backend)
    mode = td.network_mode or "bridge"
    for lb in lbs:
        arn = lb.get("targetGroupArn")
        if not arn:
            continue  # a Classic Load Balancer by name: not played
        tg = elb.target_groups.get(arn)
        if tg is None or not _associated(elb, tg):
            raise InvalidParameterException(f"The target group with targetGroupArn {arn} does not have an associated load balancer.")
        name, port = lb.get("containerName"), _port_number(lb.get("containerPort"))
        cdef = next((c for c in td.container_definitions if c.get("name") == name), None)
        if cdef is None:
            raise InvalidParameterException(f"The container {name} does not exist in the task definition.")
        if not any(_port_number(pm.get("containerPort")) == port for pm in cdef.get("portMappings") or []):
            raise InvalidParameterException(f"The container {name} did not have a container port {port} defined.")
        target_type = tg.target_type or "instance"
        if (mode == "awsvpc" and target_type == "instance") or (mode in ("bridge", "host") and target_type == "ip"):
            raise InvalidParameterException(
                f"The provided target group {arn} has target type {target_type}, which is incompatible with the {mode} "
                "network mode specified in the task definition."
            )


# ---------------------------------------------------------------------------------------------
# what the scheduler does about an unhealthy task


def _sickness(svc, task, now):
    """(stoppedReason, service event) for a RUNNING service task that failed its container health
    checks or a target group's health checks, once the service's healthCheckGracePeriodSeconds have
    passed since it started; None while it has not."""
    if task.last_status != "RUNNING" or task.desired_status != "RUNNING":
        return None
    grace = int(getattr(svc, "health_check_grace_period_seconds", None) or 0) * HEALTH_CLOCK
    if now < getattr(task, "_standin_running_at", now) + grace:
        return None
    tid = _short(task.task_arn)
    if getattr(task, "health_status", None) == "UNHEALTHY":
        return ("Task failed container health checks", f"(service {svc.name}) (task {tid}) failed container health checks.")
    for rec in getattr(task, "_standin_targets", None) or []:
        state, _, description = _target_state(rec, now)
        if state == "unhealthy":
            instance = f" (instance {rec['instance']})" if rec.get("instance") else ""
            return (
                f"Task failed ELB health checks in (target-group {rec['arn']})",
                f"(service {svc.name}) (task {tid}){instance} (port {rec['port']}) is unhealthy in "
                f"(target-group {rec['arn']}) due to (reason {description}).",
            )
    return None


# ---------------------------------------------------------------------------------------------
# RunTask, ListTasks


_orig_run_task = EC2ContainerServiceBackend.run_task


def _run_task(self, cluster_str, task_definition_str, count, overrides, started_by, tags, launch_type,
              networking_configuration=None, group=None, platform_version=None, capacity_provider_strategy=None):
    cluster = self._get_cluster(cluster_str)
    td = self.describe_task_definition(task_definition_str)
    strategy = capacity_provider_strategy
    if not launch_type and not strategy:
        strategy = cluster.default_capacity_provider_strategy
    provider = strategy[0]["capacityProvider"] if strategy else None
    cp_strategy = None if launch_type else _ec2_strategy(strategy)
    _last_failure[0] = None
    if (
        launch_type == "FARGATE"
        or provider in _FARGATE_PROVIDERS
        or (launch_type and launch_type not in ("EC2", "FARGATE", "EXTERNAL"))
        or (launch_type and capacity_provider_strategy)
    ):
        # Fargate needs no instance; moto also answers the invalid combinations.
        tasks = _orig_run_task(self, cluster_str, task_definition_str, count, overrides, started_by, tags, launch_type,
                               networking_configuration, group, platform_version, capacity_provider_strategy)
    else:
        tasks, _last_failure[0] = _place(
            self, cluster, td, count, group or f"family:{td.family}", started_by, overrides, tags, launch_type,
            networking_configuration, platform_version, provider, _run_task_strategy[0], cp_strategy=cp_strategy,
        )
    for t in tasks:
        _start(t, td, overrides, pending=False)
    return tasks


EC2ContainerServiceBackend.run_task = _run_task

_orig_run_task_response = EC2ContainerServiceResponse.run_task


def _run_task_response(self):
    backend = self.ecs_backend
    cluster_str = self._get_param("cluster", "default")
    count = self._get_int_param("count", 1)
    launch_type = self._get_param("launchType")
    cluster = backend._get_cluster(cluster_str)
    strategy = self._get_param("capacityProviderStrategy")
    if not launch_type and not strategy:
        strategy = cluster.default_capacity_provider_strategy
    fargate = launch_type == "FARGATE" or bool(strategy and strategy[0].get("capacityProvider") in _FARGATE_PROVIDERS)
    active = [ci for ci in backend.container_instances.get(cluster.name, {}).values() if ci.status == "ACTIVE"]
    if not fargate and not active:
        backend.describe_task_definition(self._get_param("taskDefinition"))
        return ActionResult({"tasks": [], "failures": [{"reason": "No Container Instances were found in your cluster."}]})
    _run_task_strategy[0] = self._get_param("placementStrategy")
    try:
        result = _orig_run_task_response(self)
    finally:
        _run_task_strategy[0] = None
    tasks = result.result["tasks"]
    if len(tasks) < count:
        ci_arn, why = _last_failure[0] or (None, "MEMORY")
        result.result["failures"] = [{"arn": ci_arn, "reason": _FAILURE_REASON.get(why, "RESOURCE:MEMORY")} for _ in range(count - len(tasks))]
    return result


EC2ContainerServiceResponse.run_task = _run_task_response

_orig_list_tasks = EC2ContainerServiceBackend.list_tasks


def _list_tasks(self, cluster_str=None, container_instance=None, family=None, started_by=None, service_name=None, desiredStatus=None):
    tasks = _orig_list_tasks(self, cluster_str, container_instance, family, started_by, None, desiredStatus or "RUNNING")
    if service_name:
        group = f"service:{_short(service_name)}"
        tasks = [t for t in tasks if t.group == group]
    return tasks


EC2ContainerServiceBackend.list_tasks = _list_tasks


# ---------------------------------------------------------------------------------------------
# deployments


def _percents(svc):
    dc = getattr(svc, "deployment_configuration", None) or {}
    mx = dc.get("maximumPercent")
    mn = dc.get("minimumHealthyPercent")
    return (
        DEFAULT_MAXIMUM_PERCENT if mx is None else int(mx),
        DEFAULT_MINIMUM_HEALTHY_PERCENT if mn is None else int(mn),
    )


def _new_deployment(svc, td_arn, like=None):
    dep_id = f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"
    now = utcnow()
    dep = {k: v for k, v in (like or {}).items() if k in ("platformVersion", "platformFamily", "networkConfiguration")}
    dep.update(
        {
            "id": dep_id,
            "status": "PRIMARY",
            "taskDefinition": td_arn,
            "desiredCount": int(svc.desired_count or 0),
            "pendingCount": 0,
            "runningCount": 0,
            "failedTasks": 0,
            "createdAt": now,
            "updatedAt": now,
            "launchType": svc.launch_type,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment {dep_id} in progress.",
        }
    )
    return dep


def _begin_deployment(svc, td_arn):
    old = list(svc.deployments or [])
    for d in old:
        d["status"] = "ACTIVE"
    svc.deployments = [_new_deployment(svc, td_arn, old[0] if old else None)] + old
    svc._standin_to_replace = 0  # tasks stopped as unhealthy: the new deployment's start is not "replaced"


def _healthy(task, now=None):
    """Counts as healthy for the deployment (minimum healthy percent, runningCount, completion):
    RUNNING, not a container about to exit (such a task never gets healthy), HEALTHY when an
    essential container has a health check, and healthy in each of its target groups."""
    if task.last_status != "RUNNING" or getattr(task, "_standin_stop_at", None) is not None:
        return False
    if _has_health_check(task) and getattr(task, "health_status", None) != "HEALTHY":
        return False
    return _targets_healthy(task, time.time() if now is None else now)


def _scale_in_order(tasks, by_arn):
    """Which surplus tasks go first: pending ones, then from the instance with most of them, newest."""
    per_host = {}
    for t in tasks:
        per_host[t.container_instance_arn] = per_host.get(t.container_instance_arn, 0) + 1
    return sorted(
        tasks,
        key=lambda t: (_healthy(t), -per_host.get(t.container_instance_arn, 0), -getattr(t, "_standin_pass", 0)),
    )


def _circuit_breaker(svc):
    return (getattr(svc, "deployment_configuration", None) or {}).get("deploymentCircuitBreaker") or {}


def _failure_threshold(cb, desired):
    """0.5 x the desired count, rounded up, at least 3 and at most 200; thresholdConfiguration may
    say otherwise (COUNT: the value itself; UNBOUNDED_PERCENT: value% of desired, unbounded)."""
    tc = cb.get("thresholdConfiguration") or {}
    kind = str(tc.get("type") or "BOUNDED_PERCENT").upper()
    value = int(tc["value"]) if tc.get("value") is not None else CIRCUIT_BREAKER_PERCENT
    if kind == "COUNT":
        return max(value, 1)
    n = -(-desired * value // 100)  # rounded up
    if kind == "UNBOUNDED_PERCENT":
        return max(n, 1)
    return min(max(n, CIRCUIT_BREAKER_MIN), CIRCUIT_BREAKER_MAX)


def _trip_circuit_breaker(svc, desired):
    """The PRIMARY deployment fails once its failedTasks reach the threshold (circuit breaker on).
    With rollback, the most recent COMPLETED deployment becomes PRIMARY again, IN_PROGRESS, and the
    service's task definition goes back to its own. True when the PRIMARY changed."""
    cb = _circuit_breaker(svc)
    primary = svc.deployments[0]
    if not cb.get("enable") or primary.get("rolloutState") != "IN_PROGRESS":
        return False
    if int(primary.get("failedTasks") or 0) < _failure_threshold(cb, desired):
        return False
    primary["rolloutState"] = "FAILED"
    primary["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
    primary["updatedAt"] = utcnow()
    _event(svc, f"(service {svc.name}) (deployment {primary['id']}) deployment failed: tasks failed to start.")
    target = getattr(svc, "_standin_completed", None)
    if not cb.get("rollback") or target is None or target["id"] == primary["id"]:
        return False  # stalled: a FAILED deployment launches no new tasks
    back = next((d for d in svc.deployments if d.get("id") == target["id"]), None)
    if back is None:
        back = copy.deepcopy(target)
        back.update({"runningCount": 0, "pendingCount": 0})
    others = [d for d in svc.deployments if d is not back]
    for d in others:
        d["status"] = "ACTIVE"
    back.update(
        {
            "status": "PRIMARY",
            "desiredCount": desired,
            "failedTasks": 0,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment circuit breaker: rolling back to deploymentId {back['id']}.",
            "updatedAt": utcnow(),
        }
    )
    svc.deployments = [back] + others
    svc.task_definition = back["taskDefinition"]
    svc._standin_completed = None  # in progress again: not eligible for another rollback until COMPLETED
    svc._standin_to_replace = 0
    _event(svc, f"(service {svc.name}) rolling back to deployment {back['id']}.")
    return True


def reconcile(backend, svc):
    """One pass of the scheduler over one service."""
    if svc.status not in ("ACTIVE", "DRAINING"):
        return
    cluster = backend.clusters.get(svc.cluster_name)
    if cluster is None:
        return
    td = backend.describe_task_definition(svc.task_definition)
    svc.task_definition = td.arn  # UpdateService stores the raw string it was given
    if not svc.deployments:
        svc.deployments = [_new_deployment(svc, td.arn)]
    if svc.deployments[0].get("taskDefinition") != td.arn:
        _begin_deployment(svc, td.arn)  # a new revision is a new deployment
    primary = svc.deployments[0]
    desired = 0 if svc.status == "DRAINING" else int(svc.desired_count or 0)
    max_pct, min_pct = _percents(svc)
    upper = desired * max_pct // 100  # rounded down
    lower = -(-desired * min_pct // 100)  # rounded up
    registered = backend.container_instances.get(cluster.name, {})
    by_arn = {ci.container_instance_arn: ci for ci in registered.values()}
    cp_strategy = getattr(svc, "capacity_provider_strategy", None) or []
    fargate = svc.launch_type == "FARGATE" or (not svc.launch_type and bool(cp_strategy) and not _ec2_strategy(cp_strategy))
    cp_strategy = None if svc.launch_type else _ec2_strategy(cp_strategy)
    group = f"service:{svc.name}"
    now = time.time()
    _flush_lb_events(svc)  # tasks stopped since the last pass (StopTask, a terminated host)
    tasks = [
        t
        for t in backend.tasks.get(cluster.name, {}).values()
        if t.group == group
        and t.desired_status == "RUNNING"
        # orphaned by a forced deregistration: no longer tracked, so replaced
        and (fargate or not t.container_instance_arn or t.container_instance_arn in by_arn)
    ]
    for t in tasks:
        if (
            t.last_status == "PENDING"
            and getattr(t, "_standin_pass", -1) < _pass[0]
            and now >= getattr(t, "_standin_placed", 0) + PENDING_SECONDS
        ):
            _mark_running(t)
            _register_targets(backend, svc, t)
    _flush_lb_events(svc)
    # A task that reaches a healthy state resets its deployment's failure count (resetOnHealthyTask,
    # true unless the circuit breaker says false).
    reset = _circuit_breaker(svc).get("resetOnHealthyTask", True) is not False
    for t in tasks:
        if not getattr(t, "_standin_was_healthy", False) and _healthy(t, now):
            t._standin_was_healthy = True
            for d in svc.deployments:
                if reset and d.get("id") == t.started_by and d.get("failedTasks"):
                    d["failedTasks"] = 0
                    d["updatedAt"] = utcnow()

    def draining(t):
        ci = by_arn.get(t.container_instance_arn)
        return ci is not None and ci.status != "ACTIVE"

    def launch(n, alive, replaced):
        """Places up to n tasks of the PRIMARY; the event says how many replace unhealthy tasks."""
        placed, failure = [], None
        if fargate:
            try:
                placed = _orig_run_task(backend, cluster.name, td.arn, n, None, primary["id"], None, "FARGATE",
                                        svc.network_configuration or None, group)
            except Exception as e:  # e.g. no network configuration for awsvpc
                sys.stderr.write(f"scheduler: cannot start a task of service {svc.name}: {e}\n")
        else:
            counts = {}
            for t in alive:
                name = getattr(t, "capacity_provider_name", None)
                counts[name] = counts.get(name, 0) + 1
            try:
                placed, failure = _place(
                    backend, cluster, td, n, group, primary["id"], launch_type=svc.launch_type or "EC2",
                    networking=svc.network_configuration or None,
                    strategies=getattr(svc, "placement_strategy", None) or DEFAULT_SERVICE_STRATEGY,
                    cp_strategy=cp_strategy, cp_counts=counts,
                )
            except Exception as e:
                sys.stderr.write(f"scheduler: cannot start a task of service {svc.name}: {e}\n")
        for t in placed:
            _start(t, td, None, pending=True)
            t._standin_lbs = copy.deepcopy(list(getattr(svc, "load_balancers", None) or []))
        if placed:
            message = f"(service {svc.name}) has started {len(placed)} tasks: {_task_ids(placed)}."
            k = min(len(placed), replaced)
            if k:
                message += f" Amazon ECS replaced {k} tasks due to an unhealthy status."
            _event(svc, message)
        if failure is not None:
            _event(svc, _unable_to_place(svc, failure))
        return placed

    # Unhealthy tasks (container health checks, target groups) are replaced: a replacement starts
    # first where maximumPercent leaves room, then the unhealthy task stops, and counts as failed.
    frozen = primary.get("rolloutState") == "FAILED"
    sick = [(t, why) for t in tasks if (why := _sickness(svc, t, now))]
    if sick:
        replaced = 0
        cb = _circuit_breaker(svc)
        failing = int(primary.get("failedTasks") or 0) + sum(1 for t, _ in sick if t.started_by == primary["id"])
        trips = cb.get("enable") and primary.get("rolloutState") == "IN_PROGRESS" and failing >= _failure_threshold(cb, desired)
        if not frozen and not trips and svc.status == "ACTIVE":
            mine = [t for t in tasks if t.started_by == primary["id"] and not draining(t)]
            limit = upper if len(mine) < len(tasks) else max(upper, desired)
            sick_mine = sum(1 for t, _ in sick if t in mine)
            room = min(len(sick), limit - len(tasks), desired - (len(mine) - sick_mine))
            if room > 0:
                placed = launch(room, tasks, room)
                replaced = len(placed)
                tasks += placed
        for t, (reason, message) in sick:
            _event(svc, message)
            _stop(backend, cluster.name, t, reason)
            _count_failure(svc, t)
        svc._standin_to_replace = getattr(svc, "_standin_to_replace", 0) + len(sick) - replaced
        _flush_lb_events(svc)
        _event(svc, f"(service {svc.name}) has stopped {len(sick)} running tasks: {_task_ids([t for t, _ in sick])}.")
        gone = {id(t) for t, _ in sick}
        tasks = [t for t in tasks if id(t) not in gone]

    if svc.status == "ACTIVE" and _trip_circuit_breaker(svc, desired):
        td = backend.describe_task_definition(svc.task_definition)  # rolled back
        primary = svc.deployments[0]
    frozen = primary.get("rolloutState") == "FAILED"

    keep = [t for t in tasks if t.started_by == primary["id"] and not draining(t)]
    leave = [t for t in tasks if t not in keep]
    stopped = []

    # Scale-in: the primary's tasks beyond desiredCount.
    if len(keep) > desired:
        for t in _scale_in_order(keep, by_arn)[: len(keep) - desired]:
            _stop(backend, cluster.name, t, f"Scaling activity initiated by (deployment {primary['id']})")
            stopped.append(t)
        keep = [t for t in keep if t not in stopped]

    # Replacement: old tasks go while the healthy ones stay at or above the lower limit. Tasks
    # that are not healthy do not count towards it, so they may always go. A FAILED deployment
    # (circuit breaker, no rollback) is stalled: nothing is replaced.
    healthy = sum(1 for t in keep + leave if _healthy(t, now))
    for t in [] if frozen else sorted(leave, key=lambda t: _healthy(t, now)):
        if _healthy(t, now):
            if healthy - 1 < lower:
                continue
            healthy -= 1
        if draining(t) and t.started_by == primary["id"]:
            reason = f"Service {svc.name}: container instance is in DRAINING state"
        else:
            reason = f"Task stopped by the deployment {primary['id']} (replaced by {td.family}:{td.revision})"
        _stop(backend, cluster.name, t, reason)
        stopped.append(t)
    leave = [t for t in leave if t not in stopped]
    if stopped:
        _flush_lb_events(svc)
        _event(svc, f"(service {svc.name}) has stopped {len(stopped)} running tasks: {_task_ids(stopped)}.")

    # New tasks while RUNNING + PENDING stay at or under the upper limit; a FAILED deployment
    # launches none.
    limit = upper if leave else max(upper, desired)
    missing = min(desired - len(keep), limit - len(keep) - len(leave))
    if missing > 0 and not frozen:
        to_replace = getattr(svc, "_standin_to_replace", 0)
        placed = launch(missing, keep + leave, to_replace)
        svc._standin_to_replace = max(0, to_replace - len(placed))
        keep += placed

    # Counts per deployment; an old deployment without tasks is gone.
    live = keep + leave
    deployments = []
    for i, d in enumerate(svc.deployments):
        mine = [t for t in live if t.started_by == d["id"]]
        if i > 0 and not mine:
            continue
        running = sum(1 for t in mine if _healthy(t, now))
        counts = (desired if i == 0 else len(mine), running, len(mine) - running)
        if counts != (d.get("desiredCount"), d.get("runningCount"), d.get("pendingCount")):
            d["desiredCount"], d["runningCount"], d["pendingCount"] = counts
            d["updatedAt"] = utcnow()
        d.setdefault("failedTasks", 0)
        d["launchType"] = svc.launch_type
        if i == 0:
            if getattr(svc, "capacity_provider_strategy", None):
                d["capacityProviderStrategy"] = svc.capacity_provider_strategy
            else:
                d.pop("capacityProviderStrategy", None)
        deployments.append(d)
    svc.deployments = deployments
    svc.running_count = sum(d["runningCount"] for d in deployments)
    svc.pending_count = sum(d["pendingCount"] for d in deployments)
    steady = len(deployments) == 1 and not leave and primary["runningCount"] == desired and primary["pendingCount"] == 0
    if steady and primary.get("rolloutState") == "IN_PROGRESS":
        primary["rolloutState"] = "COMPLETED"
        primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
        primary["updatedAt"] = utcnow()
        svc._standin_completed = copy.deepcopy(primary)  # what a circuit breaker rolls back to

    if svc.status == "DRAINING":
        if svc.running_count + svc.pending_count == 0:
            svc.status = "INACTIVE"
        return
    if steady and not frozen:
        _event(svc, f"(service {svc.name}) has reached a steady state.")


def _reconcile_all(backend):
    """One scheduler pass: containers that exited, health as of now, then every service of this
    account and region."""
    _pass[0] += 1
    _finish_exited_tasks(backend)
    now = time.time()
    for tasks in backend.tasks.values():
        for t in tasks.values():
            _refresh_health(t, now)
            if t.desired_status == "STOPPED" and getattr(t, "_standin_targets", None):
                _deregister_targets(backend, t)  # stopped behind the scheduler's back (agent.py)
    for svc in list(backend.services.values()):
        if svc.status not in ("ACTIVE", "DRAINING"):
            continue
        try:
            reconcile(backend, svc)
        except Exception:  # one broken service must not stop the others
            sys.stderr.write(f"scheduler: reconcile of service {svc.name} failed:\n")
            traceback.print_exc()


# ---------------------------------------------------------------------------------------------
# hooks (see launch.py)

_KEPT_SETTINGS = {
    "deploymentConfiguration": "deployment_configuration",
    "placementStrategy": "placement_strategy",
    "placementConstraints": "placement_constraints",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "loadBalancers": "load_balancers",  # moto keeps them too; UpdateService's as well
    # ECS keeps and returns both; moto's CreateService drops them (its UpdateService keeps them).
    "enableExecuteCommand": "enable_execute_command",
    "enableECSManagedTags": "enable_ecs_managed_tags",
}


def _keep_strategy(backend, svc, p, created):
    """The service's capacity provider strategy: CreateService's, or the cluster's default when the
    call names neither a strategy nor a launch type (moto drops the strategy and gives launchType
    EC2); UpdateService's (moto keeps it), where an empty list means the launch type again."""
    strategy = p.get("capacityProviderStrategy")
    if created and not strategy and not p.get("launchType"):
        cluster = backend.clusters.get(svc.cluster_name)
        strategy = copy.deepcopy(getattr(cluster, "default_capacity_provider_strategy", None) or [])
    if strategy is None:
        return
    svc.capacity_provider_strategy = copy.deepcopy(list(strategy))
    if strategy:
        svc.launch_type = None
    elif not svc.launch_type:
        svc.launch_type = "EC2"
    for d in svc.deployments or []:
        d["launchType"] = svc.launch_type


def _service_response(orig, created):
    """CreateService / UpdateService: the strategy is applied before moto serialises the answer."""

    def handler(self):
        _check_service_load_balancers(self, created)
        result = orig(self)
        svc = result.result.get("service") if isinstance(getattr(result, "result", None), dict) else None
        if svc is not None:
            p = {"capacityProviderStrategy": self._get_param("capacityProviderStrategy"), "launchType": self._get_param("launchType")}
            _keep_strategy(self.ecs_backend, svc, p, created)
        return result

    return handler


def _check_service_load_balancers(resp, created):
    """The load balancers CreateService or UpdateService would leave the service with, against the
    task definition its new tasks would run (UpdateService: the ones given, else the kept ones)."""
    backend = resp.ecs_backend
    lbs = resp._get_param("loadBalancers")
    td_str = resp._get_param("taskDefinition")
    if not created:
        svc = _find_service(backend, resp._get_param("cluster", "default"), _short(resp._get_param("service") or ""))
        if svc is None:
            return
        lbs = lbs if lbs is not None else getattr(svc, "load_balancers", None)
        td_str = td_str or svc.task_definition
    if not lbs or not td_str:
        return
    try:
        td = backend.describe_task_definition(td_str)
    except Exception:
        return  # moto answers for a task definition that does not exist
    _check_load_balancers(backend, lbs, td)


EC2ContainerServiceResponse.create_service = _service_response(EC2ContainerServiceResponse.create_service, True)
EC2ContainerServiceResponse.update_service = _service_response(EC2ContainerServiceResponse.update_service, False)


def _default_deployment_configuration():
    return {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": DEFAULT_MAXIMUM_PERCENT,
        "minimumHealthyPercent": DEFAULT_MINIMUM_HEALTHY_PERCENT,
    }


def before(req):
    if req.service != "ecs":
        return
    backend = _backend(req)
    if req.action == "UpdateService":
        svc = _find_service(backend, req.params.get("cluster", "default"), _short(req.params.get("service", "")))
        if svc is not None:
            _before_update[id(svc)] = (
                copy.deepcopy(svc.deployments),
                copy.deepcopy(getattr(svc, "deployment_configuration", None)),
                copy.deepcopy(getattr(svc, "load_balancers", None) or []),
            )
    _reconcile_all(backend)


def after(req):
    if req.service != "ecs":
        return
    backend = _backend(req)
    p = req.params
    cluster = p.get("cluster", "default")
    if req.action == "UpdateService":
        svc = _find_service(backend, cluster, _short(p.get("service", "")))
        saved = _before_update.pop(id(svc), None) if svc is not None else None
        if svc is None or saved is None or req.status != 200:
            return
        deployments, config, lbs = saved
        # moto renames deployments[0] on forceNewDeployment and replaces the whole configuration.
        svc.deployments = deployments
        merged = dict(config or _default_deployment_configuration())
        merged.update(p.get("deploymentConfiguration") or {})
        svc.deployment_configuration = merged
        _keep_strategy(backend, svc, p, created=False)
        td_arn = backend.describe_task_definition(svc.task_definition).arn
        # UpdateService's loadBalancers: "This parameter triggers a new service deployment."
        lbs_changed = p.get("loadBalancers") is not None and p["loadBalancers"] != lbs
        if (
            p.get("forceNewDeployment")
            or lbs_changed
            or not svc.deployments
            or svc.deployments[0].get("taskDefinition") != td_arn
        ):
            _begin_deployment(svc, td_arn)
        reconcile(backend, svc)
        return
    if req.status != 200:
        return
    if req.action == "CreateService":
        svc = _find_service(backend, cluster, p.get("serviceName", ""))
        if svc is None:
            return
        for key, attr in _KEPT_SETTINGS.items():
            if key in p:
                setattr(svc, attr, p[key])
        merged = _default_deployment_configuration()
        merged.update(p.get("deploymentConfiguration") or {})
        svc.deployment_configuration = merged
        _keep_strategy(backend, svc, p, created=True)
        svc.created_at = utcnow()
        for d in svc.deployments:  # moto's first deployment is the one the caller saw: keep its id
            d.update({"runningCount": 0, "pendingCount": 0, "failedTasks": 0, "rolloutState": "IN_PROGRESS",
                      "rolloutStateReason": f"ECS deployment {d['id']} in progress."})
        reconcile(backend, svc)
    elif req.action == "DeleteService":
        svc = _find_service(backend, cluster, _short(p.get("service", "")))
        if svc is None:
            return
        # ECS answers DRAINING and goes INACTIVE once the tasks are gone (here: on the next look).
        svc.status = "DRAINING"
        reconcile(backend, svc)
        svc.status = "DRAINING"
