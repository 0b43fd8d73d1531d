"""Self-test of the client-token stand-in (idempotency.py) through launch.py, with boto3 as the client.

    .tools/venv/bin/python acceptance-tests/standins/selftest_idempotency.py [-v]

Starts three launch.py servers on free 127.0.0.1 ports, each with a call record:

    with     --standins=faults,idempotency,agent,scheduler       (the order the brief names)
    without  --standins=faults,agent,scheduler                   (idempotency.py NOT loaded)
    reversed --standins=idempotency,agent,scheduler --faults F   (faults.py appended last by launch.py,
                                                                  so named after idempotency)

and checks the key scenario on each: the fault layer loses moto's reply to a create call (lose_reply)
and boto3 retries (standard mode, total_max_attempts 3). With the stand-in, one RunInstances /
CreateService / RunTask with a client token launches exactly one instance / service / task and the
client gets its id; without it, the same script launches two (so these checks can fail, and the
stand-in is what prevents the duplicate). Also: a repeated token answers byte-for-byte the original
response without reaching moto, the same token with other parameters gets AWS's error, a call
without a token (and a first call that failed) is not remembered, and token scopes (cluster, region).
Exits non-zero if a check failed; the last line is `N passed, M failed`.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1"
for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "AWS_PROFILE"):
    os.environ.pop(var, None)
os.environ["AWS_CONFIG_FILE"] = os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from botocore.handlers import generate_idempotent_uuid  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
VERBOSE = "-v" in sys.argv
REGION = "us-east-1"
AMI = "ami-12345678"
ECS_TARGET = "AmazonEC2ContainerServiceV20141113."

PASSED = 0
FAILED = 0


def check(name, ok, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print(f"ok    {name}")
    else:
        FAILED += 1
        print(f"FAIL  {name}  {detail}")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, tmp, label, standins, faults_file=None):
        self.label = label
        self.dir = os.path.join(tmp, label)
        os.makedirs(self.dir)
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.record = os.path.join(self.dir, "calls.log")
        self.log = os.path.join(self.dir, "server.log")
        args = [sys.executable, os.path.join(HERE, "launch.py"), "-H", "127.0.0.1", "-p", str(self.port),
                f"--standins={standins}", "--record", self.record]
        if faults_file:
            path = os.path.join(self.dir, "rules.json")
            with open(path, "w") as f:
                json.dump(faults_file, f)
            args += ["--faults", path]
        env = dict(os.environ, MOTO_EC2_LOAD_DEFAULT_AMIS="false")
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen(args, cwd=self.dir, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.out, stderr=subprocess.STDOUT)

    def wait_ready(self):
        deadline = time.time() + 60
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.label}: launch.py exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.endpoint + "/moto-api/data.json", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if time.time() > deadline:
                raise SystemExit(f"{self.label}: launch.py did not answer within 60 s:\n{self.tail()}")
            time.sleep(0.1)

    def tail(self, n=40):
        with open(self.log) as f:
            return "".join(f.readlines()[-n:])

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.close()

    def rules(self, *rules):
        req = urllib.request.Request(f"{self.endpoint}/standin-faults", data=json.dumps(list(rules)).encode(),
                                     method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def fault_state(self):
        with urllib.request.urlopen(f"{self.endpoint}/standin-faults", timeout=10) as r:
            return json.loads(r.read())

    def calls(self):
        with open(self.record) as f:
            return [line.rstrip("\n") for line in f]

    def client(self, service, attempts=1, token=True, region=REGION):
        c = boto3.client(
            service, region_name=region, endpoint_url=self.endpoint,
            aws_access_key_id="testing", aws_secret_access_key="testing",
            # total_max_attempts counts attempts (3 = one call and up to two retries).
            config=Config(retries={"mode": "standard", "total_max_attempts": attempts},
                          connect_timeout=2, read_timeout=15),
        )
        if not token:
            # botocore fills in members marked idempotencyToken (RunInstances.ClientToken,
            # RunTask.clientToken) by itself; this client sends none.
            c.meta.events.unregister("before-parameter-build", generate_idempotent_uuid)
        return c

    def raw(self, service, body, target=None):
        """(status, headers (lower-case names), body) of an unsigned-but-scoped POST (moto checks no signature)."""
        headers = {
            "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20240101/{REGION}/{service}/aws4_request, "
                             "SignedHeaders=host, Signature=00",
            "Content-Type": "application/x-amz-json-1.1" if target else "application/x-www-form-urlencoded; charset=utf-8",
        }
        if target:
            headers["X-Amz-Target"] = ECS_TARGET + target
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            conn.request("POST", "/", body=body, headers=headers)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()


def outcome(fn):
    """(result or None, error code or None, RetryAttempts) of fn()."""
    try:
        out = fn()
        return out, None, out["ResponseMetadata"].get("RetryAttempts")
    except ClientError as e:
        return e.response, e.response["Error"].get("Code"), e.response.get("ResponseMetadata", {}).get("RetryAttempts")


def instances(s, region=REGION):
    """{instance id: client token} of every instance of the server's region."""
    out = {}
    for r in s.client("ec2", region=region).describe_instances()["Reservations"]:
        for i in r["Instances"]:
            out[i["InstanceId"]] = i.get("ClientToken")
    return out


def lose_reply(s, service, action):
    s.rules({"fault": "lose_reply", "service": service, "action": action, "count": 1, "name": f"lose-{action}"})


def lost_and_retried(s, action):
    """The fault layer lost one reply of `action` and moto handled the call (moto_status 2xx)."""
    log = [e for e in s.fault_state()["log"] if e["action"] == action and e["fault"] == "lose_reply"]
    return bool(log) and 200 <= (log[-1]["moto_status"] or 0) < 300


def tasks_of(s, cluster):
    ecs = s.client("ecs")
    arns = []
    for desired in ("RUNNING", "STOPPED"):
        arns += ecs.list_tasks(cluster=cluster, desiredStatus=desired)["taskArns"]
    return sorted(set(arns))


class Ecs:
    """A cluster with one registered container instance (as harness/ecs.rs::register_instance does)
    and a task definition whose container runs until stopped."""

    def __init__(self, s, cluster):
        self.cluster = cluster
        ecs, ec2 = s.client("ecs"), s.client("ec2")
        ecs.create_cluster(clusterName=cluster)
        iid = ec2.run_instances(ImageId=AMI, InstanceType="t3.large", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        ecs.register_container_instance(cluster=cluster, instanceIdentityDocument=json.dumps({"instanceId": iid}))
        self.td = ecs.register_task_definition(
            family=f"{cluster}-td",
            containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128, "essential": True,
                                   "command": ["sleep", "infinity"]}],
        )["taskDefinition"]["taskDefinitionArn"]


# ---------------------------------------------------------------------------------------------------
# RunInstances


def run_instances_lost_reply(s, token, tag):
    """RunInstances with `token` (None: no token at all) while the fault layer loses moto's first reply.
    (client's instance id or None, error code, retries, new instance ids, moto-handled call count)."""
    before_ids = set(instances(s))
    before_calls = s.calls().count("ec2 RunInstances")
    lose_reply(s, "ec2", "RunInstances")
    kw = dict(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1)
    if token is not None:
        kw["ClientToken"] = token
    out, code, retries = outcome(lambda: s.client("ec2", attempts=3, token=token is not None).run_instances(**kw))
    got = out["Instances"][0]["InstanceId"] if code is None else None
    new = sorted(set(instances(s)) - before_ids)
    handled = s.calls().count("ec2 RunInstances") - before_calls
    if VERBOSE:
        print(f"      [{s.label}/{tag}] client got {got} (code {code}, retries {retries}); new instances {new}; "
              f"moto handled RunInstances {handled}x")
    return got, code, retries, new, handled


def test_run_instances(s):
    got, code, retries, new, handled = run_instances_lost_reply(s, "ri-token-1", "token")
    check("RunInstances + lose_reply: the reply was lost after moto launched (fault log)",
          lost_and_retried(s, "RunInstances"))
    check("RunInstances + lose_reply: boto3's retry succeeds (1 retry)", (code, retries) == (None, 1), (code, retries))
    check("RunInstances + lose_reply + ClientToken: exactly one instance launched (DescribeInstances)",
          len(new) == 1, new)
    check("RunInstances + lose_reply + ClientToken: the client gets that instance's id", [got] == new, (got, new))
    check("RunInstances + lose_reply + ClientToken: moto handled RunInstances once; the retry was a replay",
          handled == 1 and "!idempotency replay ec2 RunInstances" in s.calls(), (handled, s.calls()[-4:]))

    # The same call once more, later, without any fault: the original answer again, nothing launched.
    before = set(instances(s))
    out, code, _ = outcome(lambda: s.client("ec2").run_instances(
        ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1, ClientToken="ri-token-1"))
    check("RunInstances, same token + same parameters again: the same instance id, nothing launched",
          code is None and out["Instances"][0]["InstanceId"] == got and set(instances(s)) == before,
          (code, out.get("Instances", [{}])[0].get("InstanceId") if code is None else out))

    # Same token, other parameters: IdempotentParameterMismatch, nothing launched.
    out, code, _ = outcome(lambda: s.client("ec2").run_instances(
        ImageId=AMI, InstanceType="t3.small", MinCount=1, MaxCount=1, ClientToken="ri-token-1"))
    status = out.get("ResponseMetadata", {}).get("HTTPStatusCode")
    check("RunInstances, same token + other InstanceType: IdempotentParameterMismatch (400), nothing launched",
          (code, status) == ("IdempotentParameterMismatch", 400) and set(instances(s)) == before,
          (code, status, out.get("Error")))
    check("RunInstances mismatch: AWS's message",
          out.get("Error", {}).get("Message") ==
          "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).",
          out.get("Error"))


def test_run_instances_wire(s):
    body = (b"Action=RunInstances&Version=2016-11-15&ImageId=" + AMI.encode() +
            b"&InstanceType=t3.micro&MinCount=1&MaxCount=1&ClientToken=ri-wire-1")
    before = set(instances(s))
    first = s.raw("ec2", body)
    # The same parameters in another order: still the same request.
    reordered = (b"ClientToken=ri-wire-1&MaxCount=1&MinCount=1&InstanceType=t3.micro&ImageId=" + AMI.encode() +
                 b"&Version=2016-11-15&Action=RunInstances")
    second = s.raw("ec2", reordered)
    new = set(instances(s)) - before
    check("wire: a replay has moto's status, Content-Type and x-amzn-requestid, and a byte-identical body",
          first[0] == second[0] == 200 and first[2] == second[2]
          and first[1].get("content-type") == second[1].get("content-type") == "text/xml"
          and first[1].get("x-amzn-requestid") == second[1].get("x-amzn-requestid"),
          (first[0], second[0], first[1], second[1], first[2][:80], second[2][:80]))
    check("wire: parameter order does not matter; one instance", len(new) == 1, new)
    st, h, b = s.raw("ec2", body.replace(b"t3.micro", b"t3.nano"))
    root = ET.fromstring(b)
    check("wire: EC2 mismatch is 400 <Response><Errors><Error><Code>IdempotentParameterMismatch ... <RequestID>",
          st == 400 and root.tag == "Response" and root.findtext("Errors/Error/Code") == "IdempotentParameterMismatch"
          and len(root.findtext("RequestID") or "") == 36 and h.get("content-type", "").startswith("text/xml"),
          (st, h, b))


def test_run_instances_scopes(s):
    ec2 = s.client("ec2")
    kw = dict(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1, ClientToken="ri-scope-1")
    a = ec2.run_instances(**kw)["Instances"][0]["InstanceId"]
    before = set(instances(s, "us-west-2"))
    b = s.client("ec2", region="us-west-2").run_instances(**kw)["Instances"][0]["InstanceId"]
    check("scope: the same token in another region launches another instance",
          a != b and len(set(instances(s, "us-west-2")) - before) == 1, (a, b))
    # A first call that failed is not remembered: DryRun answers 412 DryRunOperation.
    out, code, _ = outcome(lambda: ec2.run_instances(DryRun=True, ClientToken="ri-dry-1", **{
        k: v for k, v in kw.items() if k != "ClientToken"}))
    before = set(instances(s))
    out2, code2, _ = outcome(lambda: ec2.run_instances(ClientToken="ri-dry-1", **{
        k: v for k, v in kw.items() if k != "ClientToken"}))
    check("a failed first call (DryRun, 412) is not remembered: the token then launches, no mismatch",
          code == "DryRunOperation" and code2 is None and len(set(instances(s)) - before) == 1, (code, code2))


def test_run_instances_without_token(s):
    got, code, retries, new, handled = run_instances_lost_reply(s, None, "no token")
    tokens = instances(s)
    check(f"[{s.label}] RunInstances WITHOUT a token + lose_reply: two instances (the retry launches again)",
          code is None and len(new) == 2 and got in new, (code, new, got))
    check(f"[{s.label}] ... and the calls carried no token (moto's default client token 'ABCDE')",
          all(tokens[i] == "ABCDE" for i in new), {i: tokens.get(i) for i in new})
    check(f"[{s.label}] ... moto handled both attempts, nothing was replayed", handled == 2, handled)


def test_run_instances_not_loaded(s):
    got, code, retries, new, handled = run_instances_lost_reply(s, "ri-token-1", "token")
    check(f"[{s.label}] idempotency NOT loaded: RunInstances + ClientToken + lose_reply launches TWO instances",
          code is None and retries == 1 and len(new) == 2 and got in new and handled == 2, (code, retries, new, handled))


def test_run_instances_reversed(s):
    # The rules file (--faults) lost the first RunInstances' reply: nothing to POST.
    before = set(instances(s))
    out, code, retries = outcome(lambda: s.client("ec2", attempts=3).run_instances(
        ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1, ClientToken="ri-rev-1"))
    new = sorted(set(instances(s)) - before)
    check(f"[{s.label}] the rules file's lose_reply hit RunInstances", lost_and_retried(s, "RunInstances"))
    check(f"[{s.label}] idempotency named before faults (--faults appends it): still one instance, the client's",
          code is None and retries == 1 and new == [out["Instances"][0]["InstanceId"]], (code, retries, new))


# ---------------------------------------------------------------------------------------------------
# ECS CreateService


def create_service_lost_reply(s, env, name, token):
    before = s.calls().count("ecs CreateService")
    lose_reply(s, "ecs", "CreateService")
    kw = dict(cluster=env.cluster, serviceName=name, taskDefinition=env.td, desiredCount=1)
    if token:
        kw["clientToken"] = token
    out, code, retries = outcome(lambda: s.client("ecs", attempts=3).create_service(**kw))
    handled = s.calls().count("ecs CreateService") - before
    return out, code, retries, handled


def test_create_service(s, env):
    out, code, retries, handled = create_service_lost_reply(s, env, "web", "cs-token-1")
    ecs = s.client("ecs")
    check("CreateService + lose_reply: the reply was lost after moto created the service",
          lost_and_retried(s, "CreateService"))
    check("CreateService + lose_reply: boto3's retry succeeds (1 retry)", (code, retries) == (None, 1), (code, retries))
    services = ecs.list_services(cluster=env.cluster)["serviceArns"]
    check("CreateService + lose_reply + clientToken: one service (ListServices)", len(services) == 1, services)
    if code is None:
        svc = ecs.describe_services(cluster=env.cluster, services=["web"])["services"][0]
        got = out["service"]
        check("CreateService + lose_reply + clientToken: the client gets that service (ARN, deployment id)",
              got["serviceArn"] == services[0] == svc["serviceArn"]
              and got["deployments"][0]["id"] == svc["deployments"][0]["id"],
              (got["serviceArn"], got["deployments"][0]["id"], svc["deployments"][0]["id"]))
    check("CreateService + lose_reply + clientToken: moto handled CreateService once; the retry was a replay",
          handled == 1 and "!idempotency replay ecs CreateService" in s.calls(), handled)
    # Give the scheduler a few passes: one service, desired 1, one task.
    for _ in range(20):
        ecs.describe_services(cluster=env.cluster, services=["web"])
        time.sleep(0.05)
    tasks = tasks_of(s, env.cluster)
    check("CreateService + clientToken: the scheduler runs one task for it", len(tasks) == 1, tasks)

    out, code, _ = outcome(lambda: ecs.create_service(cluster=env.cluster, serviceName="web", taskDefinition=env.td,
                                                      desiredCount=2, clientToken="cs-token-1"))
    status = out.get("ResponseMetadata", {}).get("HTTPStatusCode")
    svc = ecs.describe_services(cluster=env.cluster, services=["web"])["services"][0]
    check("CreateService, same token + other desiredCount: InvalidParameterException (400), service unchanged",
          (code, status) == ("InvalidParameterException", 400) and svc["desiredCount"] == 1,
          (code, status, out.get("Error"), svc["desiredCount"]))
    out, code, _ = outcome(lambda: ecs.create_service(cluster=env.cluster, serviceName="web", taskDefinition=env.td,
                                                      desiredCount=1, clientToken="cs-token-1"))
    check("CreateService, same token + same parameters later: the original service again",
          code is None and out["service"]["serviceArn"] == svc["serviceArn"], code)


def test_create_service_not_loaded(s, env):
    out, code, retries, handled = create_service_lost_reply(s, env, "web", "cs-token-1")
    check(f"[{s.label}] idempotency NOT loaded: CreateService + clientToken + lose_reply reaches moto twice",
          code is None and retries == 1 and handled == 2, (code, retries, handled))
    ecs = s.client("ecs")
    for _ in range(20):
        ecs.describe_services(cluster=env.cluster, services=["web"])
        time.sleep(0.05)
    services = ecs.list_services(cluster=env.cluster)["serviceArns"]
    tasks = tasks_of(s, env.cluster)
    # moto replaces a service of the same name: one service is listed, but the first one's task runs on.
    check(f"[{s.label}] ... and the cluster runs TWO tasks for desiredCount 1 (one service listed: {len(services)})",
          len(tasks) == 2, (services, tasks))


# ---------------------------------------------------------------------------------------------------
# ECS RunTask


def run_task_lost_reply(s, env, token):
    before_tasks = set(tasks_of(s, env.cluster))
    before = s.calls().count("ecs RunTask")
    lose_reply(s, "ecs", "RunTask")
    out, code, retries = outcome(lambda: s.client("ecs", attempts=3).run_task(
        cluster=env.cluster, taskDefinition=env.td, count=1, clientToken=token))
    got = [t["taskArn"] for t in out.get("tasks", [])] if code is None else None
    new = sorted(set(tasks_of(s, env.cluster)) - before_tasks)
    handled = s.calls().count("ecs RunTask") - before
    if VERBOSE:
        print(f"      [{s.label}] RunTask: client got {got} (code {code}, retries {retries}); new tasks {new}; "
              f"moto handled RunTask {handled}x")
    return got, code, retries, new, handled


def test_run_task(s, env):
    got, code, retries, new, handled = run_task_lost_reply(s, env, "rt-token-1")
    check("RunTask + lose_reply: the reply was lost after moto started the task", lost_and_retried(s, "RunTask"))
    check("RunTask + lose_reply: boto3's retry succeeds (1 retry)", (code, retries) == (None, 1), (code, retries))
    check("RunTask + lose_reply + clientToken: exactly one task (ListTasks)", len(new) == 1, new)
    check("RunTask + lose_reply + clientToken: the client gets that task's ARN", got == new, (got, new))
    check("RunTask + lose_reply + clientToken: moto handled RunTask once; the retry was a replay",
          handled == 1 and "!idempotency replay ecs RunTask" in s.calls(), handled)

    ecs = s.client("ecs")
    before = set(tasks_of(s, env.cluster))
    out, code, _ = outcome(lambda: ecs.run_task(cluster=env.cluster, taskDefinition=env.td, count=1,
                                                startedBy="someone-else", clientToken="rt-token-1"))
    status = out.get("ResponseMetadata", {}).get("HTTPStatusCode")
    check("RunTask, same token + other parameters: ConflictException (400) naming the original task, none started",
          (code, status) == ("ConflictException", 400) and out.get("resourceIds") == new
          and set(tasks_of(s, env.cluster)) == before,
          (code, status, out.get("Error"), out.get("resourceIds")))
    # Cluster scope: the same token in another cluster is another request.
    other = Ecs(s, env.cluster + "-b")
    out, code, _ = outcome(lambda: ecs.run_task(cluster=other.cluster, taskDefinition=other.td, count=1,
                                                clientToken="rt-token-1"))
    check("scope: the same RunTask token in another cluster starts a task there",
          code is None and len(out["tasks"]) == 1 and len(tasks_of(s, other.cluster)) == 1, (code, out.get("Error")))


def test_run_task_not_loaded(s, env):
    got, code, retries, new, handled = run_task_lost_reply(s, env, "rt-token-1")
    check(f"[{s.label}] idempotency NOT loaded: RunTask + clientToken + lose_reply starts TWO tasks",
          code is None and retries == 1 and len(new) == 2 and handled == 2, (code, retries, new, handled))


# ---------------------------------------------------------------------------------------------------


def test_concurrent(s):
    """Two attempts with the same token at once: one launch, both get it."""
    before = set(instances(s))
    results = []

    def go():
        results.append(outcome(lambda: s.client("ec2").run_instances(
            ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1, ClientToken="ri-conc-1")))

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    new = set(instances(s)) - before
    ids = {r[0]["Instances"][0]["InstanceId"] for r in results if r[1] is None}
    check("concurrent: 4 simultaneous calls with one token launch one instance, all get its id",
          len(new) == 1 and ids == new and len(results) == 4, (new, ids, [r[1] for r in results]))


def server_log_clean(s):
    log = open(s.log).read()
    check(f"[{s.label}] server log: no traceback, no werkzeug 'Error on request'",
          "Traceback" not in log and "Error on request" not in log, s.tail(30))


def guarded(fn, *args):
    try:
        fn(*args)
    except Exception:  # noqa: BLE001
        check(fn.__name__, False, traceback.format_exc())


def main():
    t_start = time.time()
    with tempfile.TemporaryDirectory(prefix="selftest-idempotency-") as tmp:
        servers = {
            "with": Server(tmp, "with", "faults,idempotency,agent,scheduler"),
            "without": Server(tmp, "without", "faults,agent,scheduler"),
            "reversed": Server(tmp, "reversed", "idempotency,agent,scheduler",
                               faults_file=[{"fault": "lose_reply", "service": "ec2", "action": "RunInstances"}]),
        }
        try:
            for s in servers.values():
                s.wait_ready()
            w, wo, rev = servers["with"], servers["without"], servers["reversed"]

            print("--- with: --standins=faults,idempotency,agent,scheduler")
            guarded(test_run_instances, w)
            guarded(test_run_instances_wire, w)
            guarded(test_run_instances_scopes, w)
            guarded(test_run_instances_without_token, w)
            guarded(test_concurrent, w)
            env = Ecs(w, "idem")
            guarded(test_create_service, w, env)
            guarded(test_run_task, w, env)

            print("--- without: --standins=faults,agent,scheduler (idempotency NOT loaded)")
            guarded(test_run_instances_not_loaded, wo)
            guarded(test_run_instances_without_token, wo)
            env = Ecs(wo, "idem")
            guarded(test_create_service_not_loaded, wo, env)
            guarded(test_run_task_not_loaded, wo, env)

            print("--- reversed: --standins=idempotency,agent,scheduler --faults rules.json")
            guarded(test_run_instances_reversed, rev)

            time.sleep(0.5)
            for s in servers.values():
                server_log_clean(s)
            if VERBOSE or FAILED:
                for s in servers.values():
                    print(f"--- {s.label} server log (tail) ---\n{s.tail(20)}")
        finally:
            for s in servers.values():
                s.stop()
    print(f"({time.time() - t_start:.1f}s)")
    print(f"{PASSED} passed, {FAILED} failed")
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
