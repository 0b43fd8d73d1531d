"""Self-test of the capacity provider and Auto Scaling rules (capacity.py, with agent.py and
scheduler.py): starts launch.py with --standins=agent,scheduler,capacity on a free loopback port,
drives it with boto3 and checks each rule against AWS's behaviour and wording.

    .tools/venv/bin/python acceptance-tests/standins/selftest_capacity.py [-k NAME]

Every scenario uses its own cluster (and groups) on one server. Exits non-zero if any check fails;
the last line is `N passed, M failed`.
"""

import argparse
import base64
import os
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
REGION = "us-east-1"
STANDINS = "agent,scheduler,capacity"
WAIT_SECONDS = 15

# AWS's messages (see FIDELITY.md, "Capacity providers and Auto Scaling", for the pages).
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
IN_USE = "The specified capacity provider is in use and cannot be removed."
TERMINATION_PROTECTION = (
    "The managed termination protection setting for the capacity provider is invalid. To enable managed termination "
    "protection for a capacity provider, the Auto Scaling group must have instance protection from scale in enabled."
)
GROUP_HAS_INSTANCES = (
    "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group."
)

SCENARIOS = []


def scenario(fn):
    SCENARIOS.append(fn)
    return fn


class Failed(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failed(msg)


def refused(call, code, message=None, **kw):
    """Runs call(**kw) and checks that AWS's error `code` (and `message`) comes back."""
    try:
        call(**kw)
    except ClientError as e:
        err = e.response.get("Error", {})
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        check(status == 400, f"{call.__name__}: HTTP {status}, want 400 ({err.get('Code')}: {err.get('Message')!r})")
        check(err.get("Code") == code, f"{call.__name__}: error code {err.get('Code')!r}, want {code!r} ({err.get('Message')!r})")
        if message is not None:
            check(err.get("Message") == message, f"{call.__name__}: message {err.get('Message')!r}, want {message!r}")
        return
    raise Failed(f"{call.__name__} must be refused with {code}")


# ---------------------------------------------------------------------------------------------
# server


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="selftest_capacity_")
        env = dict(os.environ, MOTO_EC2_LOAD_DEFAULT_AMIS="false")
        self.port = free_port()
        self.log_path = os.path.join(self.dir, "moto.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "launch.py"), "-H", "127.0.0.1", "-p", str(self.port), f"--standins={STANDINS}"],
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
        self.asg = boto3.client("autoscaling", **kw)

    def cluster(self, name):
        self.ecs.create_cluster(clusterName=name)
        return name

    def group(self, cluster, name, desired=0, protected=False):
        """A launch template whose user data joins `cluster`, and an Auto Scaling group of it."""
        ud = base64.b64encode(f"#!/bin/bash\necho ECS_CLUSTER={cluster} >> /etc/ecs/ecs.config\n".encode()).decode()
        lt = self.ec2.create_launch_template(
            LaunchTemplateName=f"lt-{name}",
            LaunchTemplateData={"ImageId": "ami-12345678", "InstanceType": "t3.large", "UserData": ud},
        )["LaunchTemplate"]["LaunchTemplateId"]
        self.asg.create_auto_scaling_group(
            AutoScalingGroupName=name, LaunchTemplate={"LaunchTemplateId": lt}, MinSize=0, MaxSize=10,
            DesiredCapacity=desired, AvailabilityZones=[f"{REGION}a"], NewInstancesProtectedFromScaleIn=protected,
        )
        return self.group_info(name)["AutoScalingGroupARN"]

    def group_info(self, name):
        groups = self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
        return groups[0] if groups else None

    def associate(self, cluster, provider, default=None):
        c = self.ecs.describe_clusters(clusters=[cluster])["clusters"][0]
        providers = list(c.get("capacityProviders") or []) + [provider]
        strategy = default if default is not None else c.get("defaultCapacityProviderStrategy") or []
        self.ecs.put_cluster_capacity_providers(cluster=cluster, capacityProviders=providers, defaultCapacityProviderStrategy=strategy)

    def provider(self, cluster, name, instances, protected=False, associate=True):
        """The recommended order: an empty group, its capacity provider, the association, then scale out."""
        arn = self.group(cluster, f"g-{name}", 0, protected)
        self.ecs.create_capacity_provider(name=name, autoScalingGroupProvider={"autoScalingGroupArn": arn})
        if associate:
            self.associate(cluster, name)
        if instances:
            self.asg.set_desired_capacity(AutoScalingGroupName=f"g-{name}", DesiredCapacity=instances)
        return self.instances(cluster, group=f"g-{name}")

    def instances(self, cluster, group=None):
        """The cluster's container instances {arn: description}, optionally only those of a group."""
        arns = self.ecs.list_container_instances(cluster=cluster)["containerInstanceArns"]
        cis = self.ecs.describe_container_instances(cluster=cluster, containerInstances=arns)["containerInstances"] if arns else []
        if group is not None:
            info = self.group_info(group)
            ids = {i["InstanceId"] for i in (info or {}).get("Instances", [])}
            cis = [c for c in cis if c["ec2InstanceId"] in ids]
        return {c["containerInstanceArn"]: c for c in cis}

    def plain_instance(self, cluster):
        """An EC2 instance joining `cluster` through its user data, outside any group."""
        ud = f"#!/bin/bash\necho ECS_CLUSTER={cluster} >> /etc/ecs/ecs.config\n"
        iid = self.ec2.run_instances(ImageId="ami-12345678", InstanceType="t3.large", MinCount=1, MaxCount=1, UserData=ud)["Instances"][0]["InstanceId"]
        return next(a for a, c in self.instances(cluster).items() if c["ec2InstanceId"] == iid)

    def task_definition(self, family, memory=128):
        c = {"name": family, "image": "nginx", "memory": memory, "essential": True, "command": ["sleep", "infinity"]}
        return self.ecs.register_task_definition(family=family, containerDefinitions=[c])["taskDefinition"]["taskDefinitionArn"]

    def service(self, cluster, name):
        return self.ecs.describe_services(cluster=cluster, services=[name])["services"][0]

    def tasks(self, cluster, service=None, desired="RUNNING"):
        kw = {"serviceName": service} if service else {}
        arns = self.ecs.list_tasks(cluster=cluster, desiredStatus=desired, **kw)["taskArns"]
        return self.ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []

    def wait_running(self, cluster, name, count):
        deadline = time.time() + WAIT_SECONDS
        while True:
            s = self.service(cluster, name)
            if s["runningCount"] == count and s["pendingCount"] == 0:
                return s
            if time.time() > deadline:
                raise Failed(f"service {name}: {s['runningCount']} running, {s['pendingCount']} pending, want {count}; events {[e['message'] for e in s['events'][:3]]}")
            time.sleep(0.05)

    def providers(self, names):
        return self.ecs.describe_capacity_providers(capacityProviders=names)


def hosts(tasks):
    return {t["containerInstanceArn"] for t in tasks}


# ---------------------------------------------------------------------------------------------
# scenarios


@scenario
def group_instances_register_with_their_capacity_provider(aws):
    """Instances a provider's group launches carry capacityProviderName; others do not."""
    c = aws.cluster("cpname")
    mine = aws.provider(c, "cpname-a", 2)
    check(len(mine) == 2, f"two container instances of the group: {len(mine)}")
    for ci in mine.values():
        check(ci.get("capacityProviderName") == "cpname-a", f"capacityProviderName of a group instance: {ci.get('capacityProviderName')!r}")
    plain = aws.plain_instance(c)
    check("capacityProviderName" not in aws.instances(c)[plain], "an instance outside any group has no capacity provider")
    # An instance terminated through EC2 is replaced by the group (moto: at once); the replacement
    # registers with the capacity provider too.
    victim = next(iter(mine.values()))["ec2InstanceId"]
    aws.ec2.terminate_instances(InstanceIds=[victim])
    now = aws.instances(c, group="g-cpname-a")
    check(len(now) == 2 and victim not in {ci["ec2InstanceId"] for ci in now.values()}, f"the replacement registered: {[ci['ec2InstanceId'] for ci in now.values()]}")
    check(all(ci.get("capacityProviderName") == "cpname-a" for ci in now.values()), f"replacement's capacityProviderName: {[ci.get('capacityProviderName') for ci in now.values()]}")


@scenario
def instances_registered_before_the_provider_have_none(aws):
    """A group that launched (and registered) before its capacity provider existed and was associated."""
    c = aws.cluster("early")
    arn = aws.group(c, "g-early", desired=1)
    aws.ecs.create_capacity_provider(name="early-cp", autoScalingGroupProvider={"autoScalingGroupArn": arn})
    aws.associate(c, "early-cp")
    early = aws.instances(c, group="g-early")
    check(len(early) == 1 and "capacityProviderName" not in next(iter(early.values())), f"registered before the provider: {early}")
    # Scaled out after the association: the new instance has it.
    aws.asg.set_desired_capacity(AutoScalingGroupName="g-early", DesiredCapacity=2)
    names = sorted(str(ci.get("capacityProviderName")) for ci in aws.instances(c, group="g-early").values())
    check(names == ["None", "early-cp"], f"only the instance launched after the association: {names}")
    # A provider created but not associated with the cluster: no name either.
    aws.ecs.create_capacity_provider(name="early-lone", autoScalingGroupProvider={"autoScalingGroupArn": aws.group(c, "g-lone")})
    aws.asg.set_desired_capacity(AutoScalingGroupName="g-lone", DesiredCapacity=1)
    lone = aws.instances(c, group="g-lone")
    check(len(lone) == 1 and "capacityProviderName" not in next(iter(lone.values())), f"provider not associated: {lone}")


@scenario
def service_strategy_places_on_its_providers_instances(aws):
    """A service with a strategy uses only its providers' instances, split by base and weight."""
    c = aws.cluster("svcplace")
    a = aws.provider(c, "sp-a", 1)
    b = aws.provider(c, "sp-b", 1)
    plain = aws.plain_instance(c)
    td = aws.task_definition("small", 128)
    answer = aws.ecs.create_service(cluster=c, serviceName="only-a", taskDefinition=td, desiredCount=3,
                                    capacityProviderStrategy=[{"capacityProvider": "sp-a", "weight": 1}])["service"]
    check(answer.get("capacityProviderStrategy") == [{"capacityProvider": "sp-a", "weight": 1}] and "launchType" not in answer,
          f"CreateService's answer: {answer.get('capacityProviderStrategy')} {answer.get('launchType')}")
    aws.wait_running(c, "only-a", 3)
    ts = aws.tasks(c, "only-a")
    check(hosts(ts) == set(a), f"all on sp-a's instance: {hosts(ts)} vs {set(a)}")
    check({t.get("capacityProviderName") for t in ts} == {"sp-a"}, f"tasks' capacityProviderName: {[t.get('capacityProviderName') for t in ts]}")
    check({t.get("launchType") for t in ts} == {"EC2"}, f"tasks' launchType: {[t.get('launchType') for t in ts]}")
    s = aws.service(c, "only-a")
    check(s.get("capacityProviderStrategy") == [{"capacityProvider": "sp-a", "weight": 1}], f"service strategy: {s.get('capacityProviderStrategy')}")
    check("launchType" not in s, f"a service with a strategy has no launchType: {s.get('launchType')}")

    aws.ecs.create_service(cluster=c, serviceName="split", taskDefinition=td, desiredCount=5,
                           capacityProviderStrategy=[{"capacityProvider": "sp-a", "base": 1, "weight": 1},
                                                     {"capacityProvider": "sp-b", "weight": 1}])
    aws.wait_running(c, "split", 5)
    per = {}
    for t in aws.tasks(c, "split"):
        per[t.get("capacityProviderName")] = per.get(t.get("capacityProviderName"), 0) + 1
        check(t["containerInstanceArn"] in (a if t.get("capacityProviderName") == "sp-a" else b), f"task on its provider's instance: {t}")
    check(per == {"sp-a": 3, "sp-b": 2}, f"base 1 on sp-a, then 1:1: {per}")

    # UpdateService moves new tasks to another provider (no new deployment; the old tasks stay).
    aws.ecs.update_service(cluster=c, service="only-a", capacityProviderStrategy=[{"capacityProvider": "sp-b", "weight": 1}], desiredCount=4)
    aws.wait_running(c, "only-a", 4)
    per = sorted(str(t.get("capacityProviderName")) for t in aws.tasks(c, "only-a"))
    check(per == ["sp-a", "sp-a", "sp-a", "sp-b"], f"the added task goes to sp-b: {per}")
    check(plain not in hosts(aws.tasks(c)), "nothing with a strategy on the instance outside the providers")


@scenario
def run_task_strategy_default_and_launch_type(aws):
    """RunTask: an explicit strategy, the cluster's default strategy, and launchType EC2."""
    c = aws.cluster("rtplace")
    a = aws.provider(c, "rt-a", 1)
    b = aws.provider(c, "rt-b", 1)
    td = aws.task_definition("job", 128)
    out = aws.ecs.run_task(cluster=c, taskDefinition=td, count=2, capacityProviderStrategy=[{"capacityProvider": "rt-b", "weight": 1}])
    check(len(out["tasks"]) == 2 and hosts(out["tasks"]) == set(b), f"explicit strategy on rt-b: {out['failures']} {hosts(out['tasks'])}")
    check({t.get("capacityProviderName") for t in out["tasks"]} == {"rt-b"}, f"{[t.get('capacityProviderName') for t in out['tasks']]}")

    aws.ecs.put_cluster_capacity_providers(cluster=c, capacityProviders=["rt-a", "rt-b"],
                                           defaultCapacityProviderStrategy=[{"capacityProvider": "rt-a", "weight": 1}])
    out = aws.ecs.run_task(cluster=c, taskDefinition=td, count=2)
    check(len(out["tasks"]) == 2 and hosts(out["tasks"]) == set(a), f"default strategy on rt-a: {out['failures']} {hosts(out['tasks'])}")
    check({t.get("capacityProviderName") for t in out["tasks"]} == {"rt-a"}, f"{[t.get('capacityProviderName') for t in out['tasks']]}")
    answer = aws.ecs.create_service(cluster=c, serviceName="dflt", taskDefinition=td, desiredCount=1)["service"]
    check(answer.get("capacityProviderStrategy") == [{"capacityProvider": "rt-a", "weight": 1}] and "launchType" not in answer,
          f"CreateService's answer with the default strategy: {answer.get('capacityProviderStrategy')} {answer.get('launchType')}")
    s = aws.wait_running(c, "dflt", 1)
    check(s.get("capacityProviderStrategy") == [{"capacityProvider": "rt-a", "weight": 1}] and "launchType" not in s,
          f"a service with neither takes the default strategy: {s.get('capacityProviderStrategy')} {s.get('launchType')}")
    check(hosts(aws.tasks(c, "dflt")) == set(a), "the default-strategy service's task is on rt-a")

    out = aws.ecs.run_task(cluster=c, taskDefinition=td, count=1, launchType="EC2")
    check(len(out["tasks"]) == 1 and "capacityProviderName" not in out["tasks"][0], f"launchType EC2 places without a provider: {out}")
    aws.ecs.create_service(cluster=c, serviceName="lt", taskDefinition=td, desiredCount=1, launchType="EC2")
    s = aws.wait_running(c, "lt", 1)
    check(s.get("launchType") == "EC2" and not s.get("capacityProviderStrategy"), f"launchType service: {s.get('launchType')} {s.get('capacityProviderStrategy')}")
    # UpdateService from the launch type to a strategy, and back with an empty list.
    answer = aws.ecs.update_service(cluster=c, service="lt", capacityProviderStrategy=[{"capacityProvider": "rt-b", "weight": 1}], desiredCount=2)["service"]
    check("launchType" not in answer, f"UpdateService's answer: launchType {answer.get('launchType')}")
    s = aws.wait_running(c, "lt", 2)
    check("launchType" not in s and s.get("capacityProviderStrategy") == [{"capacityProvider": "rt-b", "weight": 1}],
          f"after the update to a strategy: {s.get('launchType')} {s.get('capacityProviderStrategy')}")
    check("rt-b" in {t.get("capacityProviderName") for t in aws.tasks(c, "lt")}, "the added task is on rt-b")
    aws.ecs.update_service(cluster=c, service="lt", capacityProviderStrategy=[])
    s = aws.service(c, "lt")
    check(s.get("launchType") == "EC2" and not s.get("capacityProviderStrategy"), f"back to the launch type: {s.get('launchType')} {s.get('capacityProviderStrategy')}")


@scenario
def launch_type_and_strategy_together_refused(aws):
    c = aws.cluster("both")
    aws.provider(c, "both-a", 0)
    td = aws.task_definition("both", 128)
    strategy = [{"capacityProvider": "both-a", "weight": 1}]
    refused(aws.ecs.create_service, "InvalidParameterException", BOTH, cluster=c, serviceName="s", taskDefinition=td,
            desiredCount=0, launchType="EC2", capacityProviderStrategy=strategy)
    check(aws.ecs.describe_services(cluster=c, services=["s"])["failures"], "no service was created")
    refused(aws.ecs.run_task, "InvalidParameterException", BOTH, cluster=c, taskDefinition=td, launchType="EC2", capacityProviderStrategy=strategy)


@scenario
def strategy_with_unassociated_provider_refused(aws):
    c = aws.cluster("unassoc")
    aws.provider(c, "ua-in", 1)
    aws.provider(c, "ua-out", 0, associate=False)
    td = aws.task_definition("ua", 128)
    bad = [{"capacityProvider": "ua-out", "weight": 1}]
    refused(aws.ecs.create_service, "InvalidParameterException", NOT_ASSOCIATED, cluster=c, serviceName="s",
            taskDefinition=td, desiredCount=1, capacityProviderStrategy=bad)
    refused(aws.ecs.run_task, "InvalidParameterException", NOT_ASSOCIATED, cluster=c, taskDefinition=td, capacityProviderStrategy=bad)
    refused(aws.ecs.run_task, "InvalidParameterException", NOT_ASSOCIATED, cluster=c, taskDefinition=td,
            capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}])
    aws.ecs.create_service(cluster=c, serviceName="ok", taskDefinition=td, desiredCount=1, capacityProviderStrategy=[{"capacityProvider": "ua-in", "weight": 1}])
    refused(aws.ecs.update_service, "InvalidParameterException", NOT_ASSOCIATED, cluster=c, service="ok", capacityProviderStrategy=bad)
    check(aws.service(c, "ok")["capacityProviderStrategy"] == [{"capacityProvider": "ua-in", "weight": 1}], "the refused update changed nothing")


@scenario
def strategy_without_weight_refused(aws):
    c = aws.cluster("noweight")
    aws.provider(c, "nw-a", 1)
    td = aws.task_definition("nw", 128)
    aws.ecs.put_cluster_capacity_providers(cluster=c, capacityProviders=["nw-a"], defaultCapacityProviderStrategy=[{"capacityProvider": "nw-a", "base": 1}])
    refused(aws.ecs.create_service, "InvalidParameterException", NO_WEIGHT_DEFAULT, cluster=c, serviceName="s", taskDefinition=td, desiredCount=1)
    refused(aws.ecs.run_task, "InvalidParameterException", NO_WEIGHT_DEFAULT, cluster=c, taskDefinition=td)
    refused(aws.ecs.run_task, "InvalidParameterException", None, cluster=c, taskDefinition=td,
            capacityProviderStrategy=[{"capacityProvider": "nw-a", "weight": 0}])
    out = aws.ecs.run_task(cluster=c, taskDefinition=td, launchType="EC2")
    check(len(out["tasks"]) == 1, f"a launch type does not use the default strategy: {out['failures']}")


@scenario
def removing_a_provider_in_use_refused(aws):
    c = aws.cluster("inuse")
    aws.provider(c, "iu-a", 1)
    aws.provider(c, "iu-b", 1)
    td = aws.task_definition("iu", 128)
    aws.ecs.create_service(cluster=c, serviceName="s", taskDefinition=td, desiredCount=1, capacityProviderStrategy=[{"capacityProvider": "iu-a", "weight": 1}])
    refused(aws.ecs.put_cluster_capacity_providers, "ResourceInUseException", IN_USE, cluster=c, capacityProviders=["iu-b"], defaultCapacityProviderStrategy=[])
    task = aws.ecs.run_task(cluster=c, taskDefinition=td, capacityProviderStrategy=[{"capacityProvider": "iu-b", "weight": 1}])["tasks"][0]
    refused(aws.ecs.put_cluster_capacity_providers, "ResourceInUseException", IN_USE, cluster=c, capacityProviders=["iu-a"], defaultCapacityProviderStrategy=[])
    aws.ecs.stop_task(cluster=c, task=task["taskArn"])
    aws.ecs.put_cluster_capacity_providers(cluster=c, capacityProviders=["iu-a"], defaultCapacityProviderStrategy=[])
    got = aws.ecs.describe_clusters(clusters=[c])["clusters"][0]["capacityProviders"]
    check(got == ["iu-a"], f"iu-b removed once its task stopped: {got}")
    refused(aws.ecs.put_cluster_capacity_providers, "InvalidParameterException", NOT_ASSOCIATED, cluster=c,
            capacityProviders=["iu-a"], defaultCapacityProviderStrategy=[{"capacityProvider": "iu-b", "weight": 1}])
    # Once the service is gone (INACTIVE), its provider may leave.
    aws.ecs.delete_service(cluster=c, service="s", force=True)
    deadline = time.time() + WAIT_SECONDS
    while aws.service(c, "s")["status"] != "INACTIVE":
        check(time.time() < deadline, "the service did not become INACTIVE")
        time.sleep(0.05)
    aws.ecs.put_cluster_capacity_providers(cluster=c, capacityProviders=[], defaultCapacityProviderStrategy=[])


@scenario
def termination_protection_needs_a_protected_group(aws):
    c = aws.cluster("mtp")
    loose = aws.group(c, "g-mtp-loose")
    tight = aws.group(c, "g-mtp-tight", protected=True)
    mtp = {"managedTerminationProtection": "ENABLED", "managedScaling": {"status": "ENABLED", "targetCapacity": 100}}
    refused(aws.ecs.create_capacity_provider, "InvalidParameterException", TERMINATION_PROTECTION,
            name="mtp-loose", autoScalingGroupProvider=dict(mtp, autoScalingGroupArn=loose))
    check(aws.providers(["mtp-loose"])["failures"], "no provider was created")
    out = aws.ecs.create_capacity_provider(name="mtp-tight", autoScalingGroupProvider=dict(mtp, autoScalingGroupArn=tight))
    check(out["capacityProvider"]["autoScalingGroupProvider"]["managedTerminationProtection"] == "ENABLED", f"{out['capacityProvider']}")
    aws.ecs.create_capacity_provider(name="mtp-later", autoScalingGroupProvider={"autoScalingGroupArn": loose})
    refused(aws.ecs.update_capacity_provider, "InvalidParameterException", TERMINATION_PROTECTION,
            name="mtp-later", autoScalingGroupProvider={"managedTerminationProtection": "ENABLED"})


@scenario
def delete_capacity_provider_is_asynchronous(aws):
    c = aws.cluster("cpdel")
    aws.provider(c, "del-a", 0)
    out = aws.ecs.delete_capacity_provider(capacityProvider="del-a")["capacityProvider"]
    check(out["status"] == "ACTIVE" and out.get("updateStatus") == "DELETE_IN_PROGRESS", f"the answer: {out.get('status')} {out.get('updateStatus')}")
    got = aws.providers(["del-a"])["capacityProviders"]
    check(len(got) == 1, f"still there: {got}")
    want = "The capacity provider cannot be deleted because it is associated with cluster: cpdel. Remove the capacity provider from the cluster and try again."
    check(got[0]["status"] == "ACTIVE" and got[0].get("updateStatus") == "DELETE_FAILED" and got[0].get("updateStatusReason") == want,
          f"associated: {got[0].get('status')} {got[0].get('updateStatus')} {got[0].get('updateStatusReason')!r}")
    aws.ecs.put_cluster_capacity_providers(cluster=c, capacityProviders=[], defaultCapacityProviderStrategy=[])
    arn = got[0]["capacityProviderArn"]
    out = aws.ecs.delete_capacity_provider(capacityProvider=arn)["capacityProvider"]
    check(out.get("updateStatus") == "DELETE_IN_PROGRESS", f"{out.get('updateStatus')}")
    for ref in ("del-a", arn):
        d = aws.providers([ref])
        check(len(d["capacityProviders"]) == 1 and not d["failures"], f"an INACTIVE provider stays describable by {ref}: {d}")
        p = d["capacityProviders"][0]
        check(p["status"] == "INACTIVE" and p.get("updateStatus") == "DELETE_COMPLETE", f"deleted: {p.get('status')} {p.get('updateStatus')}")
    # The name can be used again.
    aws.ecs.create_capacity_provider(name="del-a", autoScalingGroupProvider={"autoScalingGroupArn": aws.group(c, "g-del-again")})
    p = aws.providers(["del-a"])["capacityProviders"][0]
    check(p["status"] == "ACTIVE" and not p.get("updateStatus"), f"a new provider of that name: {p.get('status')} {p.get('updateStatus')}")


@scenario
def delete_group_with_instances_refused_unless_forced(aws):
    c = aws.cluster("asgdel")
    aws.group(c, "g-asgdel", desired=2, protected=True)
    mine = aws.instances(c, group="g-asgdel")
    check(len(mine) == 2, f"two instances registered: {len(mine)}")
    refused(aws.asg.delete_auto_scaling_group, "ResourceInUse", GROUP_HAS_INSTANCES, AutoScalingGroupName="g-asgdel")
    check(aws.group_info("g-asgdel") is not None, "the group is still there")
    ids = [ci["ec2InstanceId"] for ci in mine.values()]
    aws.asg.delete_auto_scaling_group(AutoScalingGroupName="g-asgdel", ForceDelete=True)
    check(aws.group_info("g-asgdel") is None, "ForceDelete deletes the group")
    states = {i["InstanceId"]: i["State"]["Name"] for r in aws.ec2.describe_instances(InstanceIds=ids)["Reservations"] for i in r["Instances"]}
    check(set(states.values()) == {"terminated"}, f"ForceDelete terminates the instances, protected ones too: {states}")
    check(not aws.instances(c), f"their container instances are deregistered: {list(aws.instances(c))}")
    # An empty group is deleted without ForceDelete.
    aws.group(c, "g-asgdel-empty")
    aws.asg.delete_auto_scaling_group(AutoScalingGroupName="g-asgdel-empty")
    check(aws.group_info("g-asgdel-empty") is None, "an empty group is deleted")


@scenario
def scale_in_spares_protected_instances_and_the_agent_follows(aws):
    """moto's own rule (scale-in skips protected instances), and agent.py following the terminations."""
    c = aws.cluster("scalein")
    mine = aws.provider(c, "si-a", 2)
    td = aws.task_definition("si", 128)
    out = aws.ecs.run_task(cluster=c, taskDefinition=td, count=2, capacityProviderStrategy=[{"capacityProvider": "si-a", "weight": 1}],
                           placementStrategy=[{"type": "spread", "field": "instanceId"}])
    check(len(out["tasks"]) == 2, f"{out['failures']}")
    keep_id = next(iter(mine.values()))["ec2InstanceId"]
    aws.asg.set_instance_protection(AutoScalingGroupName="g-si-a", InstanceIds=[keep_id], ProtectedFromScaleIn=True)
    aws.asg.set_desired_capacity(AutoScalingGroupName="g-si-a", DesiredCapacity=0)
    left = [i["InstanceId"] for i in aws.group_info("g-si-a")["Instances"]]
    check(left == [keep_id], f"the protected instance stays in the group: {left}")
    now = aws.instances(c)
    check([ci["ec2InstanceId"] for ci in now.values()] == [keep_id], f"the terminated instance's container instance is gone: {[ci['ec2InstanceId'] for ci in now.values()]}")
    gone = next(a for a, ci in mine.items() if ci["ec2InstanceId"] != keep_id)
    stopped = [t for t in aws.ecs.describe_tasks(cluster=c, tasks=[t["taskArn"] for t in out["tasks"]])["tasks"] if t["containerInstanceArn"] == gone]
    check(stopped and all(t["lastStatus"] == "STOPPED" for t in stopped), f"its task stopped: {[t['lastStatus'] for t in stopped]}")


# ---------------------------------------------------------------------------------------------


@scenario
def instance_refresh_replaces_the_instances_it_found(aws):
    c = aws.cluster("refresh")
    aws.group(c, "g-refresh", desired=2)
    before = sorted(ci["ec2InstanceId"] for ci in aws.instances(c, group="g-refresh").values())
    check(len(before) == 2, f"two instances registered: {before}")
    rid = aws.asg.start_instance_refresh(AutoScalingGroupName="g-refresh")["InstanceRefreshId"]
    refused(aws.asg.start_instance_refresh, "InstanceRefreshInProgress", AutoScalingGroupName="g-refresh")
    seen = []
    for _ in range(5):
        r = aws.asg.describe_instance_refreshes(AutoScalingGroupName="g-refresh", InstanceRefreshIds=[rid])["InstanceRefreshes"][0]
        seen.append(r["Status"])
        if r["Status"] == "Successful":
            break
    check(seen[0] == "InProgress" and seen[-1] == "Successful", f"the refresh runs, then succeeds: {seen}")
    check(len(seen) == 2, f"one instance replaced per look: {seen}")
    group = aws.group_info("g-refresh")
    after = sorted(i["InstanceId"] for i in group["Instances"])
    check(len(after) == 2 and not set(after) & set(before), f"every instance it found was replaced: {before} -> {after}")
    registered = sorted(ci["ec2InstanceId"] for ci in aws.instances(c, group="g-refresh").values())
    check(registered == after, f"the replacements joined the cluster: {registered}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default="", help="only scenarios whose name contains this")
    args = ap.parse_args()
    server = Server()
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
