"""Capacity providers and Auto Scaling: a TEST DOUBLE for the acceptance tests, never part of the provider.

moto stores ECS capacity providers and runs Auto Scaling groups, but checks none of the rules that
tie them together (../../acceptance-tests/FIDELITY.md, "Capacity providers and Auto Scaling"). This
module, loaded by name (`--standins=agent,scheduler,capacity`), plays those rules on moto's own
backends. Two other stand-ins carry the parts that live with them:

* agent.py sets a container instance's `capacityProviderName` when it registers an instance that an
  Auto Scaling group of a capacity provider launched;
* scheduler.py keeps a service's `capacityProviderStrategy` (moto drops it at CreateService), uses
  the cluster's default strategy when a service or RunTask names neither a strategy nor a launch
  type, and places such tasks only on the container instances of the strategy's providers.

What this module plays (AWS's wording; the ledger cites the pages):

* CreateService, RunTask: a launch type together with a capacity provider strategy is refused,
  InvalidParameterException "Specifying both a launch type and capacity provider strategy is not
  supported. Remove one and try again." (moto: CreateService drops the strategy; RunTask refuses
  with its own wording).
* CreateService, UpdateService, RunTask: every provider of a strategy must be associated with the
  cluster, InvalidParameterException "The specified capacity provider strategy cannot contain a
  capacity provider that is not associated with the cluster. Associate the capacity provider with
  the cluster or specify a valid capacity provider and try again."; and a strategy in which no
  provider has a weight above zero is refused (the cluster's default strategy, used when the call
  names neither, with AWS's observed message; an explicit one with this stand-in's wording).
* PutClusterCapacityProviders: a provider left out of the new list while a service of the cluster
  (ACTIVE or DRAINING) names it in its strategy, or a task of the cluster that is not stopped runs
  on it, is refused, ResourceInUseException "The specified capacity provider is in use and cannot
  be removed."; a default strategy that names a provider missing from the new list is refused with
  the association message above.
* CreateCapacityProvider, UpdateCapacityProvider: managedTerminationProtection ENABLED on a group
  without NewInstancesProtectedFromScaleIn is refused, InvalidParameterException "The managed
  termination protection setting for the capacity provider is invalid. To enable managed
  termination protection for a capacity provider, the Auto Scaling group must have instance
  protection from scale in enabled."
* DeleteCapacityProvider is asynchronous (moto removes the provider at once): the answer shows
  updateStatus DELETE_IN_PROGRESS, and from the next ECS call on the provider is either gone for
  good, status INACTIVE and updateStatus DELETE_COMPLETE, still describable by name (AWS:
  "Capacity providers with an INACTIVE status may remain discoverable in your account for a
  period of time"; here, for the server's life), or, when an ACTIVE cluster still has it, stays
  ACTIVE with updateStatus DELETE_FAILED and updateStatusReason "The capacity provider cannot be
  deleted because it is associated with cluster: NAME. Remove the capacity provider from the
  cluster and try again." A new provider of the same name replaces the INACTIVE record.
* Auto Scaling DeleteAutoScalingGroup without ForceDelete while the group still has instances is
  refused, ResourceInUse "You cannot delete an AutoScalingGroup while there are instances or
  pending Spot instance request(s) still in the group." (moto deletes the group and ignores
  ForceDelete). With ForceDelete the instances are terminated, those protected from scale-in too
  (moto's scale-to-zero would leave protected instances running, outside any group).

Where it sits: the checks run inside moto's request handling, before the action (this module
replaces `call_action` of moto's ECS and Auto Scaling response classes), so an error goes out in
the service's own wire format, under launch.py's global lock, and no other stand-in's patch of an
action method can run first. Its `before(req)` hook settles pending deletions on every ECS call.
"""

import sys

from moto.autoscaling.exceptions import AutoscalingClientError
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import CapacityProviderFailure, EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

BOTH = "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again."
NOT_ASSOCIATED = (
    "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the "
    "cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again."
)
NO_WEIGHT_DEFAULT = (
    "There are no capacity providers with a weight value greater than zero defined in the default capacity provider "
    "strategy. At least one capacity provider must have a weight value greater than zero specified. Update the "
    "cluster's default capacity provider strategy or specify a valid capacity provider strategy and try again."
)
# AWS's message for an explicit strategy is not documented: the stand-in's own wording, after the default's.
NO_WEIGHT = (
    "There are no capacity providers with a weight value greater than zero defined in the capacity provider "
    "strategy. At least one capacity provider must have a weight value greater than zero specified. Specify a "
    "valid capacity provider strategy and try again."
)
IN_USE = "The specified capacity provider is in use and cannot be removed."
TERMINATION_PROTECTION = (
    "The managed termination protection setting for the capacity provider is invalid. To enable managed termination "
    "protection for a capacity provider, the Auto Scaling group must have instance protection from scale in enabled."
)
DELETE_FAILED = (
    "The capacity provider cannot be deleted because it is associated with cluster: {cluster}. "
    "Remove the capacity provider from the cluster and try again."
)
GROUP_HAS_INSTANCES = (
    "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group."
)


class ResourceInUseException(ECSException):
    code = "ResourceInUseException"


class ResourceInUseFault(AutoscalingClientError):
    code = "ResourceInUse"


def _log(line):
    sys.stderr.write(f"[capacity] {line}\n")
    sys.stderr.flush()


def _error(self, e):
    """The answer moto's call_action gives for a ServiceException raised by an action."""
    status, headers, body = self.serialized(ActionResult(e))
    headers["status"] = status
    status, headers, body = self._transform_response(self.response_headers, (body, headers))
    headers, body = self._enrich_response(headers, body)
    return status, headers, body


# ---------------------------------------------------------------------------------------------
# ECS


def _cluster(backend, name):
    c = backend.clusters.get(str(name or "default").split("/")[-1])
    return c if c is not None and c.status == "ACTIVE" else None


def _names(strategy):
    return [str(i.get("capacityProvider") or "") for i in strategy or []]


def _check_strategy(cluster, strategy, default=False):
    if not default:
        associated = set(cluster.capacity_providers or [])
        if any(n not in associated for n in _names(strategy)):
            raise InvalidParameterException(NOT_ASSOCIATED)
    if strategy and not any(int(i.get("weight") or 0) > 0 for i in strategy):
        raise InvalidParameterException(NO_WEIGHT_DEFAULT if default else NO_WEIGHT)


def _check_launch(self):
    """CreateService, RunTask: launch type or strategy, a valid strategy, or a valid default."""
    cluster = _cluster(self.ecs_backend, self._get_param("cluster", "default"))
    launch_type = self._get_param("launchType")
    strategy = self._get_param("capacityProviderStrategy") or []
    if launch_type and strategy:
        raise InvalidParameterException(BOTH)
    if cluster is None:
        return  # moto answers ClusterNotFoundException
    if strategy:
        _check_strategy(cluster, strategy)
    elif not launch_type and cluster.default_capacity_provider_strategy:
        _check_strategy(cluster, cluster.default_capacity_provider_strategy, default=True)


def _check_update_service(self):
    cluster = _cluster(self.ecs_backend, self._get_param("cluster", "default"))
    strategy = self._get_param("capacityProviderStrategy") or []
    if cluster is not None and strategy:
        _check_strategy(cluster, strategy)


def uses(backend, cluster, name):
    """Whether a service (ACTIVE or DRAINING) or a task of `cluster` that is not stopped uses provider `name`."""
    for svc in backend.services.values():
        if svc.cluster_name == cluster.name and svc.status in ("ACTIVE", "DRAINING"):
            if name in _names(getattr(svc, "capacity_provider_strategy", None)):
                return True
    for task in backend.tasks.get(cluster.name, {}).values():
        if task.desired_status != "STOPPED" and getattr(task, "capacity_provider_name", None) == name:
            return True
    return False


def _check_put_cluster(self):
    backend = self.ecs_backend
    cluster = _cluster(backend, self._get_param("cluster"))
    if cluster is None:
        return
    new = list(self._get_param("capacityProviders") or [])
    for name in cluster.capacity_providers or []:
        if name not in new and uses(backend, cluster, name):
            raise ResourceInUseException(IN_USE)
    if any(n not in new for n in _names(self._get_param("defaultCapacityProviderStrategy"))):
        raise InvalidParameterException(NOT_ASSOCIATED)


def _group_of(self, ref):
    """The Auto Scaling group a capacity provider names (ARN or name), or None."""
    from moto.autoscaling.models import autoscaling_backends

    groups = autoscaling_backends[self.current_account][self.region].autoscaling_groups
    for g in groups.values():
        if ref in (g.arn, g.name):
            return g
    return None


def _check_termination_protection(self):
    asg = self._get_param("autoScalingGroupProvider") or {}
    if asg.get("managedTerminationProtection") != "ENABLED":
        return
    ref = asg.get("autoScalingGroupArn")
    if ref is None:  # UpdateCapacityProvider: the provider's own group
        provider = self.ecs_backend._get_provider(self._get_param("name") or "")
        ref = ((provider.auto_scaling_group_provider if provider else None) or {}).get("autoScalingGroupArn")
    group = _group_of(self, ref) if ref else None
    if group is not None and not group.new_instances_protected_from_scale_in:
        raise InvalidParameterException(TERMINATION_PROTECTION)


_ECS_CHECKS = {
    "CreateService": _check_launch,
    "RunTask": _check_launch,
    "UpdateService": _check_update_service,
    "PutClusterCapacityProviders": _check_put_cluster,
    "CreateCapacityProvider": _check_termination_protection,
    "UpdateCapacityProvider": _check_termination_protection,
}
_orig_ecs_call_action = EC2ContainerServiceResponse.call_action


def _ecs_call_action(self):
    check = _ECS_CHECKS.get(self._get_action())
    if check is not None:
        try:
            check(self)
        except ServiceException as e:
            _log(f"{self._get_action()}: {e.code}: {e.message}")
            return _error(self, e)
    return _orig_ecs_call_action(self)


EC2ContainerServiceResponse.call_action = _ecs_call_action


# DeleteCapacityProvider: asynchronous, and refused (DELETE_FAILED) while a cluster has the provider.

# (account, region, name) -> (backend, provider) waiting for the next ECS call
_pending = {}
# (account, region, name) -> the deleted provider, INACTIVE / DELETE_COMPLETE
_inactive = {}
_orig_delete = EC2ContainerServiceBackend.delete_capacity_provider
_orig_create = EC2ContainerServiceBackend.create_capacity_provider
_orig_describe = EC2ContainerServiceBackend.describe_capacity_providers


def _delete_capacity_provider(self, name_or_arn):
    provider = self._get_provider(name_or_arn)
    if provider is None:
        return _orig_delete(self, name_or_arn)  # moto's own answer
    provider.update_status = "DELETE_IN_PROGRESS"
    provider.update_status_reason = None
    _pending[(self.account_id, self.region_name, provider.name)] = (self, provider)
    return provider


def _create_capacity_provider(self, name, asg_details, tags):
    _inactive.pop((self.account_id, self.region_name, name), None)
    return _orig_create(self, name, asg_details, tags)


def _describe_capacity_providers(self, names):
    if names is None:
        return _orig_describe(self, names)  # moto's own answer (see the ledger's gaps)
    providers, failures = [], []
    for name in names:
        provider = self._get_provider(name)
        if provider is None:
            gone = _inactive.get((self.account_id, self.region_name, str(name).split("/")[-1]))
            if gone is not None and name in (gone.name, gone.capacity_provider_arn):
                provider = gone
        if provider is not None:
            providers.append(provider)
        else:
            failures.append(CapacityProviderFailure("MISSING", name, self.account_id, self.region_name))
    return providers, failures


EC2ContainerServiceBackend.delete_capacity_provider = _delete_capacity_provider
EC2ContainerServiceBackend.create_capacity_provider = _create_capacity_provider
EC2ContainerServiceBackend.describe_capacity_providers = _describe_capacity_providers


def _settle():
    for key, (backend, provider) in list(_pending.items()):
        del _pending[key]
        if backend.capacity_providers.get(provider.name) is not provider:
            continue
        holders = [
            c.name for c in backend.clusters.values() if c.status == "ACTIVE" and provider.name in (c.capacity_providers or [])
        ]
        if holders:
            provider.update_status = "DELETE_FAILED"
            provider.update_status_reason = DELETE_FAILED.format(cluster=holders[0])
            _log(f"capacity provider {provider.name}: DELETE_FAILED (cluster {holders[0]})")
            continue
        del backend.capacity_providers[provider.name]
        provider.status = "INACTIVE"
        provider.update_status = "DELETE_COMPLETE"
        _inactive[key] = provider


# ---------------------------------------------------------------------------------------------
# Auto Scaling

_orig_asg_call_action = AutoScalingResponse.call_action


def _delete_group(self):
    """DeleteAutoScalingGroup: refused while instances remain; ForceDelete terminates them all."""
    backend = self.autoscaling_backend
    group = backend.autoscaling_groups.get(self._get_param("AutoScalingGroupName") or "")
    if group is None or not group.instance_states:
        return  # moto's answer: not found, or a group without instances to delete
    if not self._get_bool_param("ForceDelete", False):
        raise ResourceInUseFault(GROUP_HAS_INSTANCES)
    ids = [s.instance.id for s in group.instance_states]
    backend.ec2_backend.terminate_instances(ids)
    group.instance_states = []
    _log(f"ForceDelete of group {group.name}: terminated {', '.join(ids)}")


# Instance refreshes (moto has none): group name -> list of refreshes, newest last. A refresh
# replaces the instances the group had when it started, one per look at it (DescribeInstanceRefreshes),
# each by terminating it so that the group launches a replacement from its current launch template;
# it is Successful once none of them is left. AWS replaces in batches that keep
# MinHealthyPercentage (default 90) healthy and waits for each new instance's warm-up: this is one at
# a time and at once (a simplification listed in the ledger's gaps).
_refreshes = {}
_refresh_count = [0]


def _start_refresh(self):
    backend = self.autoscaling_backend
    name = self._get_param("AutoScalingGroupName") or ""
    group = backend.autoscaling_groups.get(name)
    if group is None:
        raise AutoscalingClientError("ValidationError", f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found")
    if any(r["Status"] in ("Pending", "InProgress") for r in _refreshes.get(name, [])):
        raise AutoscalingClientError("InstanceRefreshInProgress", f"An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.")
    _refresh_count[0] += 1
    refresh = {
        "InstanceRefreshId": f"{_refresh_count[0]:08d}-0000-4000-8000-{_refresh_count[0]:012d}",
        "AutoScalingGroupName": name,
        "Status": "InProgress",
        "PercentageComplete": 0,
        "InstancesToUpdate": 0,
        "old": [st.instance.id for st in group.instance_states],
    }
    refresh["InstancesToUpdate"] = len(refresh["old"])
    _refreshes.setdefault(name, []).append(refresh)
    _log(f"StartInstanceRefresh of {name}: replacing {', '.join(refresh['old']) or 'nothing'}")
    return refresh["InstanceRefreshId"]


def _progress(backend, refresh):
    group = backend.autoscaling_groups.get(refresh["AutoScalingGroupName"])
    if refresh["Status"] != "InProgress":
        return
    current = [st.instance.id for st in group.instance_states] if group else []
    left = [i for i in refresh["old"] if i in current]
    if left:
        backend.ec2_backend.terminate_instances([left[0]])
        backend.notify_terminate_instances([left[0]])
        _log(f"instance refresh {refresh['InstanceRefreshId']}: replaced {left[0]}")
        left = left[1:]
    total = max(len(refresh["old"]), 1)
    refresh["PercentageComplete"] = int(100 * (total - len(left)) / total) if refresh["old"] else 100
    refresh["InstancesToUpdate"] = len(left)
    if not left:
        refresh["Status"] = "Successful"


def _describe_refreshes(self):
    backend = self.autoscaling_backend
    name = self._get_param("AutoScalingGroupName") or ""
    wanted = self._get_param("InstanceRefreshIds") or []
    out = []
    for r in reversed(_refreshes.get(name, [])):
        if wanted and r["InstanceRefreshId"] not in wanted:
            continue
        _progress(backend, r)
        out.append({k: v for k, v in r.items() if k != "old"})
    return out


def _asg_call_action(self):
    action = self._get_action()
    if action in ("StartInstanceRefresh", "DescribeInstanceRefreshes"):
        try:
            if action == "StartInstanceRefresh":
                result = {"InstanceRefreshId": _start_refresh(self)}
            else:
                result = {"InstanceRefreshes": _describe_refreshes(self)}
        except ServiceException as e:
            _log(f"{action}: {e.code}: {e.message}")
            return _error(self, e)
        status, headers, body = self.serialized(ActionResult(result))
        headers["status"] = status
        status, headers, body = self._transform_response(self.response_headers, (body, headers))
        headers, body = self._enrich_response(headers, body)
        return status, headers, body
    if action == "DeleteAutoScalingGroup":
        try:
            _delete_group(self)
        except ServiceException as e:
            _log(f"DeleteAutoScalingGroup: {e.code}: {e.message}")
            return _error(self, e)
    return _orig_asg_call_action(self)


AutoScalingResponse.call_action = _asg_call_action


# ---------------------------------------------------------------------------------------------
# hooks (see launch.py)


def _fix_template_user_data():
    """moto stores the user data of a CreateLaunchTemplateVersion as a plain string (CreateLaunchTemplate
    wraps it), and then fails an assertion whenever a group launches from that version. AWS launches
    from any version: wrap them, so that a group replaces instances after a launch template update."""
    from moto.core.types import Base64EncodedString
    from moto.ec2.models import ec2_backends

    for account in ec2_backends.values():
        for backend in account.values():
            for template in getattr(backend, "launch_templates", {}).values():
                for version in template.versions:
                    data = version.data
                    if isinstance(data.get("UserData"), str):
                        try:
                            data["UserData"] = Base64EncodedString(data["UserData"])
                        except ValueError:
                            pass


def before(req):
    if req.service == "ecs":
        _settle()
    if req.service in ("autoscaling", "ec2"):
        _fix_template_user_data()
