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
  stopped only while the healthy (RUNNING) tasks stay at or over ceil(desired * min / 100). A task
  that was placed is PENDING for a quarter of a second (and at least until the scheduler's next
  pass, the next ECS call) and counts as healthy once RUNNING. So one instance, a fixed host port,
  desired 1 and 100%/200% is stuck for good, as on AWS: the new task cannot be placed (port
  taken) and the old one may not stop.
  An old deployment without tasks is removed; the PRIMARY's rolloutState becomes COMPLETED once it
  runs desiredCount tasks and no other deployment is left, and stays so. Service-level
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
  Placement constraints are kept and returned, not evaluated.
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
  A container whose command (override or task definition) says `exit N` runs for about a second
  and exits with code N ("Essential container in task exited", stopCode EssentialContainerExited,
  counted in its deployment's failedTasks); while it runs, a service counts its task as pending,
  and the service keeps replacing it, as ECS does with a crashing container. Other service tasks
  run until stopped; other one-off tasks (RunTask) exit 0 after a second, unless the command says
  `sleep infinity`. Containers report PENDING / RUNNING / STOPPED and exit codes.
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
schedules all the time, not only when asked). Not played: health checks and the 40 s a task
without one needs before it counts as healthy (here it counts once RUNNING), load balancers,
the deployment circuit breaker, blue/green and external controllers, DAEMON services, managed
scaling of capacity providers (no task is ever PROVISIONING). Every hook runs under launch.py's
global lock.
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
from moto.ecs.models import EC2ContainerServiceBackend, Task, ecs_backends
from moto.ecs.responses import EC2ContainerServiceResponse
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

# One scheduler pass per ECS call: a task placed in pass N is RUNNING from pass N+1 on.
_pass = [0]
# What the last placement could not do, for RunTask's `failures`: (container instance ARN, reason).
_last_failure = [None]
# RunTask's placementStrategy (moto's response handler does not hand it to the backend).
_run_task_strategy = [None]
# UpdateService: the service's deployments and deployment configuration before moto touched them.
_before_update = {}


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
            short = _shortfalls(ci, req)
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
}
_FAILURE_REASON = {
    "MEMORY": "RESOURCE:MEMORY",
    "CPU": "RESOURCE:CPU",
    "PORTS": "RESOURCE:PORTS",
    "PORTS_UDP": "RESOURCE:PORTS_UDP",
    "AGENT": "AGENT",
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
    for c in task.containers:
        c.last_status = "RUNNING"


def _start(task, td, overrides, pending):
    task.created_at = utcnow()
    task._standin_td = td
    task._standin_pass = _pass[0]
    task._standin_placed = time.time()
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


def _finish_exited_tasks(backend):
    now = time.time()
    for cluster_name, tasks in backend.tasks.items():
        for t in list(tasks.values()):
            stop_at = getattr(t, "_standin_stop_at", None)
            if stop_at is None or stop_at > now or t.desired_status != "RUNNING":
                continue
            code = t._standin_exit
            _stop(backend, cluster_name, t, "Essential container in task exited", stop_code="EssentialContainerExited")
            for c in t.containers:
                c.exitCode = code
                c.exit_code = code
            if t.group.startswith("service:"):
                svc = backend.services.get(f"{cluster_name}:{t.group[len('service:'):]}")
                for d in getattr(svc, "deployments", None) or []:
                    if d.get("id") == t.started_by:
                        d["failedTasks"] = int(d.get("failedTasks") or 0) + 1


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


def _healthy(task):
    """RUNNING, and not a container about to exit (such a task never gets healthy)."""
    return task.last_status == "RUNNING" and getattr(task, "_standin_stop_at", None) is None


def _scale_in_order(tasks, by_arn):
    """Which surplus tasks go first: pending ones, then from the instance with most of them, newest."""
    per_host = {}
    for t in tasks:
        per_host[t.container_instance_arn] = per_host.get(t.container_instance_arn, 0) + 1
    return sorted(
        tasks,
        key=lambda t: (_healthy(t), -per_host.get(t.container_instance_arn, 0), -getattr(t, "_standin_pass", 0)),
    )


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
            and time.time() >= getattr(t, "_standin_placed", 0) + PENDING_SECONDS
        ):
            _mark_running(t)

    def draining(t):
        ci = by_arn.get(t.container_instance_arn)
        return ci is not None and ci.status != "ACTIVE"

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
    # that are not healthy do not count towards it, so they may always go.
    healthy = sum(1 for t in keep + leave if _healthy(t))
    for t in sorted(leave, key=_healthy):
        if _healthy(t):
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
        _event(svc, f"(service {svc.name}) has stopped {len(stopped)} running tasks: {_task_ids(stopped)}.")

    # New tasks while RUNNING + PENDING stay at or under the upper limit.
    limit = upper if leave else max(upper, desired)
    missing = min(desired - len(keep), limit - len(keep) - len(leave))
    if missing > 0:
        placed, failure = [], None
        if fargate:
            try:
                placed = _orig_run_task(backend, cluster.name, td.arn, missing, None, primary["id"], None, "FARGATE",
                                        svc.network_configuration or None, group)
            except Exception as e:  # e.g. no network configuration for awsvpc
                sys.stderr.write(f"scheduler: cannot start a task of service {svc.name}: {e}\n")
        else:
            counts = {}
            for t in keep + leave:
                name = getattr(t, "capacity_provider_name", None)
                counts[name] = counts.get(name, 0) + 1
            try:
                placed, failure = _place(
                    backend, cluster, td, missing, group, primary["id"], launch_type=svc.launch_type or "EC2",
                    networking=svc.network_configuration or None,
                    strategies=getattr(svc, "placement_strategy", None) or DEFAULT_SERVICE_STRATEGY,
                    cp_strategy=cp_strategy, cp_counts=counts,
                )
            except Exception as e:
                sys.stderr.write(f"scheduler: cannot start a task of service {svc.name}: {e}\n")
        for t in placed:
            _start(t, td, None, pending=True)
        if placed:
            _event(svc, f"(service {svc.name}) has started {len(placed)} tasks: {_task_ids(placed)}.")
        if failure is not None:
            _event(svc, _unable_to_place(svc, failure))
        keep += placed

    # Counts per deployment; an old deployment without tasks is gone.
    live = keep + leave
    deployments = []
    for i, d in enumerate(svc.deployments):
        mine = [t for t in live if t.started_by == d["id"]]
        if i > 0 and not mine:
            continue
        running = sum(1 for t in mine if _healthy(t))
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

    if svc.status == "DRAINING":
        if svc.running_count + svc.pending_count == 0:
            svc.status = "INACTIVE"
        return
    if steady:
        _event(svc, f"(service {svc.name}) has reached a steady state.")


def _reconcile_all(backend):
    """One scheduler pass: containers that exited, then every service of this account and region."""
    _pass[0] += 1
    _finish_exited_tasks(backend)
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
        result = orig(self)
        svc = result.result.get("service") if isinstance(getattr(result, "result", None), dict) else None
        if svc is not None:
            p = {"capacityProviderStrategy": self._get_param("capacityProviderStrategy"), "launchType": self._get_param("launchType")}
            _keep_strategy(self.ecs_backend, svc, p, created)
        return result

    return handler


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
        deployments, config = saved
        # moto renames deployments[0] on forceNewDeployment and replaces the whole configuration.
        svc.deployments = deployments
        merged = dict(config or _default_deployment_configuration())
        merged.update(p.get("deploymentConfiguration") or {})
        svc.deployment_configuration = merged
        _keep_strategy(backend, svc, p, created=False)
        td_arn = backend.describe_task_definition(svc.task_definition).arn
        if p.get("forceNewDeployment") or not svc.deployments or svc.deployments[0].get("taskDefinition") != td_arn:
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
