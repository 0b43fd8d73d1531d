"""The ECS service scheduler, as a TEST DOUBLE for the acceptance tests (never part of the provider).

moto stores services but never schedules them (../shared/MOTO.md section 4): CreateService creates no
task, runningCount stays 0, deployments[0] never completes and `events` stays empty. This module,
loaded by launch.py (`--standins=scheduler`), plays the part of the ECS scheduler on moto's own
backend objects, so that the provider's waits can be tested against something that behaves like ECS:

* Services are reconciled after CreateService / UpdateService / DeleteService and before every
  DescribeServices: tasks are placed with moto's own `run_task` (so memory, CPU and host ports of the
  registered container instances are honoured), in group `service:<name>`, startedBy the deployment
  id; tasks of an older task definition and surplus tasks are stopped; runningCount, pendingCount
  and deployments[0] (taskDefinition as an ARN, counts, rolloutState) follow what is placed.
* AWS-style events, newest first: "(service x) has started N tasks: (task ...).",
  "(service x) was unable to place a task because no container instance met all of its
  requirements. The closest matching (container-instance ...) has insufficient memory available.",
  "(service x) has reached a steady state."
* Settings moto drops on CreateService (deploymentConfiguration, placementStrategy,
  placementConstraints, healthCheckGracePeriodSeconds) are kept on the service, as ECS keeps them.
* DeleteService leaves the service DRAINING until its tasks are stopped, then INACTIVE.
* Task states are pinned (moto would otherwise advance a task one state per DescribeTasks call).
  A container whose command (override or task definition) says `exit N` runs for about a second
  and exits with code N ("Essential container in task exited"); while it runs, a service counts
  its task as pending, and the service keeps replacing it, as ECS does with a crashing container.
  Other service tasks run until stopped; other one-off tasks (RunTask) exit 0 after a second,
  unless the command says `sleep infinity`. Containers report RUNNING / STOPPED and exit codes.
* RunTask reports tasks it could not place in `failures` (reason RESOURCE:MEMORY, RESOURCE:CPU,
  RESOURCE:PORTS, or "No Container Instances were found in your cluster.") instead of dropping
  them silently or answering HTTP 500; ListTasks defaults to desiredStatus RUNNING, as ECS does.

It is crude on purpose: no placement strategies or constraints, no health checks, one deployment
at a time. Every hook runs under launch.py's global lock.
"""

import re
import time

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.models import EC2ContainerServiceBackend, ecs_backends
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api import state_manager
from moto.moto_api._internal import mock_random

# Tasks never advance on their own: this module decides when they stop.
state_manager.set_transition(model_name="ecs::task", transition={"progression": "manual", "times": 10**9})

ONE_OFF_RUN_SECONDS = 1.0
_EXIT = re.compile(r"\bexit\s+(\d+)")


# ---------------------------------------------------------------------------------------------
# helpers


def _backend(req):
    return ecs_backends[req.account][req.region]


def _service_tasks(backend, svc, running_only=True):
    out = []
    for t in backend.tasks.get(svc.cluster_name, {}).values():
        if t.group != f"service:{svc.name}":
            continue
        if running_only and t.desired_status != "RUNNING":
            continue
        out.append(t)
    return out


def _event(svc, message):
    """Adds an event unless it repeats the newest one (ECS does not repeat itself every second)."""
    if svc.events and svc.events[0]["message"] == message:
        return
    svc.events.insert(0, {"id": str(mock_random.uuid4()), "createdAt": utcnow(), "message": message})
    del svc.events[100:]


def _short(arn):
    return arn.split("/")[-1]


def _stop(backend, cluster_name, task, reason, stop_code="ServiceSchedulerInitiated"):
    backend.stop_task(cluster_name, task.task_arn, reason)
    task.stop_code = stop_code
    task.stopped_at = utcnow()
    for c in task.containers:
        c.last_status = "STOPPED"


def _why_not_placed(backend, cluster_name, td):
    """(closest container instance ARN, AWS-style reason) for a task that fits nowhere."""
    req = backend._calculate_task_resource_requirements(td)
    instances = [ci for ci in backend.container_instances.get(cluster_name, {}).values() if ci.status == "ACTIVE"]
    if not instances:
        return None, None
    best = None
    for ci in instances:
        rem = {r["name"]: r for r in ci.remaining_resources}
        if req["MEMORY"] > rem["MEMORY"]["integerValue"]:
            reason = "MEMORY"
        elif req["CPU"] > rem["CPU"]["integerValue"]:
            reason = "CPU"
        elif any(str(p) in rem["PORTS"].get("stringSetValue", []) for p in req["PORTS"]):
            reason = "PORTS"
        else:
            continue
        if best is None:
            best = (ci.container_instance_arn, reason)
    return best or (instances[0].container_instance_arn, "MEMORY")


_REASON_TEXT = {
    "MEMORY": "has insufficient memory available",
    "CPU": "has insufficient CPU units available",
    "PORTS": "is already using a port required by your task",
}


# ---------------------------------------------------------------------------------------------
# the scheduler


def reconcile(backend, svc):
    if svc.status == "INACTIVE":
        return
    cluster_name = svc.cluster_name
    td = backend.describe_task_definition(svc.task_definition)
    svc.task_definition = td.arn  # UpdateService stores the raw string it was given
    dep = svc.deployments[0] if svc.deployments else None
    if dep is None:
        dep = {"id": f"ecs-svc/{mock_random.randint(0, 32**12)}", "status": "PRIMARY", "createdAt": utcnow()}
        svc.deployments = [dep]
    if dep.get("taskDefinition") != td.arn:
        # A new revision is a new deployment.
        dep["id"] = f"ecs-svc/{mock_random.randint(0, 32**12)}"
        dep["createdAt"] = utcnow()
        dep["taskDefinition"] = td.arn
    desired = 0 if svc.status == "DRAINING" else int(svc.desired_count or 0)

    tasks = _service_tasks(backend, svc)
    old = [t for t in tasks if t.task_definition_arn != td.arn or getattr(t, "_standin_replace", False)]
    for t in old:
        _stop(backend, cluster_name, t, f"Task stopped by the deployment {dep['id']} (replaced by {td.family}:{td.revision})")
    if old:
        _event(svc, f"(service {svc.name}) has stopped {len(old)} running tasks: " + " ".join(f"(task {_short(t.task_arn)})" for t in old) + ".")
    current = [t for t in tasks if t not in old]
    surplus = current[desired:]
    for t in surplus:
        _stop(backend, cluster_name, t, "Scaling activity initiated by (deployment %s)" % dep["id"])
    if surplus:
        _event(svc, f"(service {svc.name}) has stopped {len(surplus)} running tasks: " + " ".join(f"(task {_short(t.task_arn)})" for t in surplus) + ".")
    current = current[:desired]

    missing = desired - len(current)
    if missing > 0:
        launch_type = svc.launch_type or "EC2"
        has_instances = launch_type == "FARGATE" or any(
            ci.status == "ACTIVE" for ci in backend.container_instances.get(cluster_name, {}).values()
        )
        placed = []
        if has_instances:
            placed = backend.run_task(cluster_name, td.arn, missing, None, dep["id"], None, launch_type, group=f"service:{svc.name}")
        for t in placed:
            for c in t.containers:
                c.last_status = "RUNNING"
            t.started_at = utcnow()
        if placed:
            _event(svc, f"(service {svc.name}) has started {len(placed)} tasks: " + " ".join(f"(task {_short(t.task_arn)})" for t in placed) + ".")
        current += placed
        if len(placed) < missing:
            ci_arn, why = _why_not_placed(backend, cluster_name, td)
            if ci_arn is None:
                _event(svc, f"(service {svc.name}) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster.")
            else:
                _event(svc, f"(service {svc.name}) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance {_short(ci_arn)}) {_REASON_TEXT[why]}.")

    # A task whose container is about to exit never gets healthy: ECS shows it as pending.
    doomed = [t for t in current if getattr(t, "_standin_stop_at", None) is not None]
    svc.running_count = len(current) - len(doomed)
    svc.pending_count = len(doomed)
    done = svc.running_count == desired
    dep.update(
        {
            "desiredCount": desired,
            "runningCount": svc.running_count,
            "pendingCount": svc.pending_count,
            "rolloutState": "COMPLETED" if done else "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment {dep['id']} {'completed' if done else 'in progress'}.",
            "updatedAt": utcnow(),
            "launchType": svc.launch_type,
        }
    )
    if svc.status == "DRAINING":
        if svc.running_count == 0:
            svc.status = "INACTIVE"
        return
    if done:
        _event(svc, f"(service {svc.name}) has reached a steady state.")


def _find_service(backend, cluster, name):
    try:
        return backend._get_service(cluster, name)
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------
# containers that exit


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


_orig_run_task = EC2ContainerServiceBackend.run_task


def _run_task(self, cluster_str, task_definition_str, count, overrides, started_by, tags, launch_type, *args, **kwargs):
    tasks = _orig_run_task(self, cluster_str, task_definition_str, count, overrides, started_by, tags, launch_type, *args, **kwargs)
    td = self.describe_task_definition(task_definition_str)
    for t in tasks:
        for c in t.containers:
            c.last_status = "RUNNING"
        t.started_at = utcnow()
        t._standin_td = td
        code = _exit_plan(t, overrides)
        if code is not None:
            t._standin_stop_at = time.time() + ONE_OFF_RUN_SECONDS
            t._standin_exit = code
    return tasks


EC2ContainerServiceBackend.run_task = _run_task

_orig_run_task_response = EC2ContainerServiceResponse.run_task


def _run_task_response(self):
    backend = self.ecs_backend
    cluster_str = self._get_param("cluster", "default")
    count = self._get_int_param("count", 1)
    launch_type = self._get_param("launchType")
    cluster = backend._get_cluster(cluster_str)
    active = [ci for ci in backend.container_instances.get(cluster.name, {}).values() if ci.status == "ACTIVE"]
    if launch_type != "FARGATE" and not active:
        backend.describe_task_definition(self._get_param("taskDefinition"))
        return ActionResult({"tasks": [], "failures": [{"reason": "No Container Instances were found in your cluster."}]})
    result = _orig_run_task_response(self)
    tasks = result.result["tasks"]
    if len(tasks) < count:
        td = backend.describe_task_definition(self._get_param("taskDefinition"))
        ci_arn, why = _why_not_placed(backend, cluster.name, td)
        result.result["failures"] = [{"arn": ci_arn, "reason": f"RESOURCE:{why}"} for _ in range(count - len(tasks))]
    return result


EC2ContainerServiceResponse.run_task = _run_task_response

_orig_list_tasks = EC2ContainerServiceBackend.list_tasks


def _list_tasks(self, cluster_str=None, container_instance=None, family=None, started_by=None, service_name=None, desiredStatus=None):
    return _orig_list_tasks(self, cluster_str, container_instance, family, started_by, service_name, desiredStatus or "RUNNING")


EC2ContainerServiceBackend.list_tasks = _list_tasks


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


# ---------------------------------------------------------------------------------------------
# hooks (see launch.py)

_KEPT_SETTINGS = {
    "deploymentConfiguration": "deployment_configuration",
    "placementStrategy": "placement_strategy",
    "placementConstraints": "placement_constraints",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
}


def before(req):
    if req.service != "ecs":
        return
    backend = _backend(req)
    if req.action in ("DescribeTasks", "ListTasks", "StopTask", "DescribeServices"):
        _finish_exited_tasks(backend)
    if req.action == "DescribeServices":
        cluster = req.params.get("cluster", "default")
        for name in req.params.get("services", []):
            svc = _find_service(backend, cluster, name.split("/")[-1])
            if svc is not None:
                reconcile(backend, svc)


def after(req):
    if req.service != "ecs" or req.status != 200:
        return
    backend = _backend(req)
    p = req.params
    cluster = p.get("cluster", "default")
    if req.action == "CreateService":
        svc = _find_service(backend, cluster, p.get("serviceName", ""))
        if svc is None:
            return
        for key, attr in _KEPT_SETTINGS.items():
            if key in p:
                setattr(svc, attr, p[key])
        svc.created_at = utcnow()
        reconcile(backend, svc)
    elif req.action == "UpdateService":
        svc = _find_service(backend, cluster, p.get("service", "").split("/")[-1])
        if svc is None:
            return
        if p.get("forceNewDeployment") and svc.deployments:
            svc.deployments[0]["taskDefinition"] = None  # the next reconcile starts a new deployment
            for t in _service_tasks(backend, svc):
                t._standin_replace = True  # replaced like tasks of an old revision
        reconcile(backend, svc)
    elif req.action == "DeleteService":
        svc = _find_service(backend, cluster, p.get("service", "").split("/")[-1])
        if svc is None:
            return
        # ECS answers DRAINING and goes INACTIVE once the tasks are gone (here: on the next look).
        svc.status = "DRAINING"
        reconcile(backend, svc)
        svc.status = "DRAINING"
