"""The ECS agent stand-in: a TEST DOUBLE for the acceptance tests, never part of the provider.

moto has no ECS agent, so an EC2 instance started with `ECS_CLUSTER=<name>` in its user data never
joins the cluster. This module, loaded by launch.py (`--standins=agent`), plays the agent's part by
acting on moto's backends in-process, around every API call, for the caller's account and region:

* a *running* EC2 instance whose base64 user data sets `ECS_CLUSTER=<name>` of an ACTIVE cluster is
  registered once (moto's RegisterContainerInstance semantics), with CPU and memory taken from its
  instance type (moto would give every instance 4096 CPU units / 7482 MiB);
* a stopped (or stopping) instance shows as agentConnected=false; started again, it reconnects with
  the same container instance, as the real agent does;
* a terminated instance's container instance is deregistered (forced, as ECS does when the
  instance disappears), and the tasks that ran on it are marked STOPPED. This holds for instances
  an Auto Scaling group terminates (scale-in, ForceDelete), which moto does inside its Auto Scaling
  backend without an EC2 call: the agent looks at the instances' state, so it follows them too;
* an instance that an Auto Scaling group launched registers with `capacityProviderName` set when,
  at registration, an ACTIVE capacity provider names that group (autoScalingGroupProvider.
  autoScalingGroupArn, ARN or name) and the instance's cluster has that provider. It is set once:
  an instance that registered before the capacity provider existed, or before it was associated
  with the cluster, never gets it ("Amazon ECS capacity providers for the EC2 launch type": such
  instances "might not be properly registered with the capacity provider"; AWS recommends creating
  the group empty and scaling it out after the capacity provider is created and associated).
  Instances attached to a group (AttachInstances) are not the group's launches and get none.

An instance is registered at most once: after the provider deregisters it (while it is still
running, before TerminateInstances), it does not come back, like an agent that was told to stop.
"""

import re

from moto.autoscaling.models import autoscaling_backends
from moto.ec2.models import ec2_backends
from moto.ecs.models import ecs_backends

_ECS_CLUSTER = re.compile(r"ECS_CLUSTER=([A-Za-z0-9_-]+)")

# CPU units (1024 per vCPU) and the memory (MiB) the ECS agent reports, roughly the instance's memory
# less what the OS keeps. Unknown types fall back to a guess from the size suffix.
_TYPES = {
    "t2.nano": (1024, 460),
    "t2.micro": (1024, 982),
    "t2.small": (1024, 1993),
    "t2.medium": (2048, 3943),
    "t2.large": (2048, 7975),
    "t3.micro": (2048, 943),
    "t3.small": (2048, 1939),
    "t3.medium": (2048, 3917),
    "t3.large": (2048, 7846),
    "m5.large": (2048, 7748),
    "m5.xlarge": (4096, 15575),
    "c5.large": (2048, 3758),
    "c5.xlarge": (4096, 7680),
}
_SIZES = {"nano": 1, "micro": 1, "small": 1, "medium": 2, "large": 2, "xlarge": 4}

# (account, region) -> {instance id: (cluster name, container instance id)}
_registered = {}


def _resources(instance_type):
    if instance_type in _TYPES:
        return _TYPES[instance_type]
    size = instance_type.split(".")[-1]
    m = re.match(r"(\d+)xlarge$", size)
    vcpus = int(m.group(1)) * 4 if m else _SIZES.get(size, 2)
    return vcpus * 1024, vcpus * 3800


def _cluster_of(instance):
    ud = getattr(instance, "user_data", None)
    if ud is None:
        return None
    try:
        text = ud.decode() if hasattr(ud, "decode") else str(ud)
    except Exception:
        return None
    m = _ECS_CLUSTER.search(text)
    return m.group(1) if m else None


def _set_capacity(ci, cpu, memory):
    for res in (ci.registered_resources, ci.remaining_resources):
        for r in res:
            if r.get("name") == "CPU":
                r["integerValue"] = cpu
            elif r.get("name") == "MEMORY":
                r["integerValue"] = memory


def _stop_tasks_of(ecs, cluster, ci_id):
    """Tasks die with their host, also those left behind by a forced deregistration."""
    for task in ecs.tasks.get(cluster, {}).values():
        if (task.container_instance_arn or "").endswith(ci_id) and task.desired_status != "STOPPED":
            task.last_status = "STOPPED"
            task.desired_status = "STOPPED"
            task.stopped_reason = "Host EC2 instance terminated"


def _capacity_provider_of(account, region, ecs, cluster, inst):
    """The capacity provider an instance registers with, or None (see the module's docstring)."""
    group = getattr(inst, "autoscaling_group", None)  # moto sets it on the instances a group launches
    if group is None:
        return None
    groups = autoscaling_backends[account][region].autoscaling_groups
    if groups.get(group.name) is not group or not any(s.instance is inst for s in group.instance_states):
        return None
    associated = ecs.clusters[cluster].capacity_providers or []
    for cp in ecs.capacity_providers.values():
        ref = (cp.auto_scaling_group_provider or {}).get("autoScalingGroupArn")
        if cp.status == "ACTIVE" and ref in (group.arn, group.name) and cp.name in associated:
            return cp.name
    return None


def _reconcile(account, region):
    ec2 = ec2_backends[account][region]
    ecs = ecs_backends[account][region]
    seen = _registered.setdefault((account, region), {})
    for inst in ec2.all_instances():
        state = inst.state
        if inst.id in seen:
            cluster, ci_id = seen[inst.id]
            if state == "terminated":
                _stop_tasks_of(ecs, cluster, ci_id)
            ci = ecs.container_instances.get(cluster, {}).get(ci_id)
            if ci is None:
                continue  # deregistered: the agent is gone for good
            if state == "terminated":
                ecs.deregister_container_instance(cluster, ci_id, True)
            else:
                ci.agent_connected = state == "running"
            continue
        if state != "running":
            continue
        cluster = _cluster_of(inst)
        c = ecs.clusters.get(cluster) if cluster else None
        if c is None or c.status != "ACTIVE":
            continue
        ci = ecs.register_container_instance(cluster, inst.id)
        _set_capacity(ci, *_resources(inst.instance_type))
        provider = _capacity_provider_of(account, region, ecs, cluster, inst)
        if provider is not None:
            ci.capacity_provider_name = provider  # DescribeContainerInstances: capacityProviderName
        seen[inst.id] = (cluster, ci.container_instance_arn.split("/")[-1])


def _hook(req):
    if req.service not in ("ecs", "ec2", "autoscaling"):
        return
    _reconcile(req.account, req.region)


# Before: ECS calls see what the agent would have done by now. After: EC2 and Auto Scaling calls
# that start, stop or terminate instances take effect at once.
before = _hook
after = _hook
