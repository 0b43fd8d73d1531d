"""Self-test of the fault layer (faults.py) through launch.py, with boto3 as the client.

    .tools/venv/bin/python acceptance-tests/standins/selftest_faults.py [-v]

Starts launch.py on a free 127.0.0.1 port with `--standins=agent,scheduler,faults`, a call record and
a `--faults` rules file, then checks what clients see: the raw wire format of each injected error,
the error codes boto3 parses with retries off (standard mode, total_max_attempts=1), that the SDK rides
faults out with more attempts, lost replies (the effect happened, the client saw a failure), delays
that hold no lock, hangs, the control API, and the counters. Takes about half a minute, mostly
botocore's retry backoff. Exits non-zero if a check failed; the last line is `N passed, M failed`.
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
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
VERBOSE = "-v" in sys.argv
REGION = "us-east-1"

PASSED = 0
FAILED = 0
EXPECTED = {}  # fault -> how many this script caused; compared with the server's counters at the end


def check(name, ok, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print(f"ok    {name}")
    else:
        FAILED += 1
        print(f"FAIL  {name}  {detail}")


def expect(fault, n=1):
    EXPECTED[fault] = EXPECTED.get(fault, 0) + n


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, tmp):
        self.tmp = tmp
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.record = os.path.join(tmp, "calls.log")
        self.log = os.path.join(tmp, "server.log")
        rules = os.path.join(tmp, "rules.json")
        with open(rules, "w") as f:
            json.dump([{"fault": "throttle", "service": "sts", "action": "GetCallerIdentity",
                        "name": "from-file"}], f)
        env = dict(os.environ, MOTO_EC2_LOAD_DEFAULT_AMIS="false")
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "launch.py"), "-H", "127.0.0.1", "-p", str(self.port),
             "--standins=agent,scheduler,faults", "--record", self.record, "--faults", rules],
            cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=self.out, stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 30
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"launch.py exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if self.control("GET")[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise SystemExit(f"launch.py did not answer within 30 s:\n{self.tail()}")
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

    def control(self, method, doc=None, query=""):
        """(status, JSON) of a request to the control endpoint."""
        data = None if doc is None else json.dumps(doc).encode()
        req = urllib.request.Request(f"{self.endpoint}/standin-faults{query}", data=data, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def rules(self, *rules, mode=None):
        status, state = self.control("POST", list(rules), f"?mode={mode}" if mode else "")
        if status != 200:
            raise AssertionError(f"POST /standin-faults: {status} {state}")
        return state

    def calls(self):
        with open(self.record) as f:
            return [line.rstrip("\n") for line in f]

    def client(self, service, attempts=1, read_timeout=10, account=None):
        c = boto3.client(
            service, region_name=REGION, endpoint_url=self.endpoint,
            aws_access_key_id="testing", aws_secret_access_key="testing",
            # botocore's "max_attempts" counts retries (1 = two attempts); "total_max_attempts" counts
            # attempts, as the Rust SDK's max_attempts does.
            config=Config(retries={"mode": "standard", "total_max_attempts": attempts},
                          connect_timeout=2, read_timeout=read_timeout),
        )
        if account:
            def add_account(request, **_):
                request.headers["x-moto-account-id"] = account
            c.meta.events.register("before-sign.*.*", add_account)
        return c

    def raw(self, service, body, target=None, ctype=None):
        """(status, headers, body) of an unsigned-but-scoped POST (the fault layer needs no signature)."""
        headers = {
            "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20240101/{REGION}/{service}/aws4_request, "
                             "SignedHeaders=host, Signature=00",
            "Content-Type": ctype or "application/x-www-form-urlencoded; charset=utf-8",
        }
        if target:
            headers["X-Amz-Target"] = target
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", "/", body=body, headers=headers)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()


def error_of(fn):
    """(code, HTTP status, retry attempts, exception) of the ClientError fn raises, or of its success."""
    try:
        out = fn()
        return None, 200, out["ResponseMetadata"].get("RetryAttempts"), None
    except ClientError as e:
        md = e.response.get("ResponseMetadata", {})
        return e.response["Error"].get("Code"), md.get("HTTPStatusCode"), md.get("RetryAttempts"), e


def rule_by_name(state, name):
    return next(r for r in state["rules"] if r.get("name") == name)


# ---------------------------------------------------------------------------------------------------


def test_rules_file(s):
    status, state = s.control("GET")
    check("rules file: its rule is loaded", status == 200 and [r["name"] for r in state["rules"]] == ["from-file"], state)
    code, http_status, _, _ = error_of(lambda: s.client("sts").get_caller_identity())
    expect("throttle")
    check("rules file: STS GetCallerIdentity is throttled (Throttling, 400, query XML)",
          (code, http_status) == ("Throttling", 400), (code, http_status))
    code, http_status, _, _ = error_of(lambda: s.client("sts").get_caller_identity())
    check("rules file: the next GetCallerIdentity succeeds", http_status == 200, (code, http_status))


def test_wire_format(s):
    s.rules(
        {"fault": "throttle", "service": "ecs", "action": "ListClusters"},
        {"fault": "throttle", "service": "ec2", "action": "DescribeInstances"},
        {"fault": "throttle", "service": "rds", "action": "DescribeDBInstances"},
        {"fault": "server_error", "service": "rds", "action": "DescribeDBInstances"},
    )
    expect("throttle", 3)
    expect("server_error")
    st, h, body = s.raw("ecs", b"{}", "AmazonEC2ContainerServiceV20141113.ListClusters", "application/x-amz-json-1.1")
    check("wire: ECS throttle is 400 + x-amzn-ErrorType + exact JSON body",
          st == 400 and h.get("x-amzn-errortype") == "ThrottlingException"
          and body == b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
          and h.get("content-type") == "application/x-amz-json-1.1" and h.get("x-amzn-requestid"),
          (st, h, body))
    st, h, body = s.raw("ec2", b"Action=DescribeInstances&Version=2016-11-15")
    root = ET.fromstring(body)
    check("wire: EC2 throttle is 503 <Response><Errors><Error><Code>RequestLimitExceeded ... <RequestID>",
          st == 503 and root.tag == "Response"
          and root.findtext("Errors/Error/Code") == "RequestLimitExceeded"
          and root.findtext("Errors/Error/Message") == "Request limit exceeded."
          and len(root.findtext("RequestID") or "") == 36,
          (st, body))
    st, h, body = s.raw("rds", b"Action=DescribeDBInstances&Version=2014-10-31")
    root = ET.fromstring(body)
    check("wire: RDS throttle is 400 <ErrorResponse><Error><Type>Sender<Code>Throttling ... <RequestId>",
          st == 400 and root.tag == "ErrorResponse" and root.findtext("Error/Type") == "Sender"
          and root.findtext("Error/Code") == "Throttling" and root.findtext("Error/Message") == "Rate exceeded"
          and root.findtext("RequestId") == h.get("x-amzn-requestid"),
          (st, body))
    st, h, body = s.raw("rds", b"Action=DescribeDBInstances&Version=2014-10-31")
    root = ET.fromstring(body)
    check("wire: RDS server_error is 500 Receiver InternalFailure",
          st == 500 and root.findtext("Error/Type") == "Receiver" and root.findtext("Error/Code") == "InternalFailure",
          (st, body))


def test_throttle_codes(s):
    s.rules(
        {"fault": "throttle", "service": "ecs", "action": "ListClusters"},
        {"fault": "throttle", "service": "ec2", "action": "DescribeInstances"},
        {"fault": "throttle", "service": "rds", "action": "DescribeDBInstances"},
    )
    expect("throttle", 3)
    got = error_of(lambda: s.client("ecs").list_clusters())[:2]
    check("boto3 sees ECS ThrottlingException (400)", got == ("ThrottlingException", 400), got)
    got = error_of(lambda: s.client("ec2").describe_instances())[:2]
    check("boto3 sees EC2 RequestLimitExceeded (503)", got == ("RequestLimitExceeded", 503), got)
    got = error_of(lambda: s.client("rds").describe_db_instances())[:2]
    check("boto3 sees RDS Throttling (400)", got == ("Throttling", 400), got)
    # botocore's own classifier takes all three for throttling (the Rust SDK's list has them too).
    from botocore.retries.standard import ThrottledRetryableChecker
    codes = ThrottledRetryableChecker._THROTTLED_ERROR_CODES
    check("botocore classifies the three codes as throttling",
          all(c in codes for c in ("ThrottlingException", "RequestLimitExceeded", "Throttling")))


def test_throttle_ride_out(s):
    s.rules({"fault": "throttle", "service": "ecs", "action": "CreateCluster", "count": 4, "name": "t4"})
    expect("throttle", 4)
    before = len(s.calls())
    t0 = time.time()
    code, http_status, retries, _ = error_of(lambda: s.client("ecs", attempts=10).create_cluster(clusterName="ride"))
    check("throttled 4 times, CreateCluster succeeds on attempt 5 (max_attempts 10)",
          (code, http_status, retries) == (None, 200, 4), (code, http_status, retries, f"{time.time() - t0:.1f}s"))
    r = rule_by_name(s.control("GET")[1], "t4")
    check("GET: the rule applied 4, remaining 0", (r["applied"], r["remaining"]) == (4, 0), r)
    new = s.calls()[before:]
    check("record: 4 '!fault throttle ecs CreateCluster' lines and 1 call that reached moto",
          new.count(f"!fault throttle ecs CreateCluster rule={r['id']}") == 4 and new.count("ecs CreateCluster") == 1, new)
    d = s.client("ecs").describe_clusters(clusters=["ride"])["clusters"]
    check("the cluster exists", [c["status"] for c in d] == ["ACTIVE"], d)

    s.rules({"fault": "throttle", "service": "ecs", "action": "CreateCluster", "count": 5, "name": "t5"})
    expect("throttle", 3)
    code, http_status, retries, _ = error_of(lambda: s.client("ecs", attempts=3).create_cluster(clusterName="never"))
    check("5 throttles beat max_attempts 3: ThrottlingException after 2 retries",
          (code, retries) == ("ThrottlingException", 2), (code, http_status, retries))
    r = rule_by_name(s.control("GET")[1], "t5")
    check("GET: that rule applied 3, remaining 2", (r["applied"], r["remaining"]) == (3, 2), r)


def test_server_error(s):
    s.rules(
        {"fault": "server_error", "service": "ecs", "action": "ListClusters"},
        {"fault": "server_error", "service": "ec2", "action": "DescribeVpcs", "status": 503},
        {"fault": "server_error", "service": "ec2", "action": "DescribeSubnets"},
        {"fault": "server_error", "service": "ecs", "action": "ListTaskDefinitions", "count": 2, "name": "ride"},
    )
    expect("server_error", 5)
    got = error_of(lambda: s.client("ecs").list_clusters())[:2]
    check("server_error: ECS InternalFailure (500)", got == ("InternalFailure", 500), got)
    got = error_of(lambda: s.client("ec2").describe_vpcs())[:2]
    check("server_error: EC2 ServiceUnavailable (503)", got == ("ServiceUnavailable", 503), got)
    got = error_of(lambda: s.client("ec2").describe_subnets())[:2]
    check("server_error: EC2 InternalError (500)", got == ("InternalError", 500), got)
    got = error_of(lambda: s.client("ecs", attempts=3).list_task_definitions())
    check("server_error: 2 of them ridden out with max_attempts 3", got[1:3] == (200, 2), got[:3])


def test_lose_reply_ecs(s):
    s.rules({"fault": "lose_reply", "service": "ecs", "action": "CreateCluster", "name": "lost"})
    expect("lose_reply")
    before = len(s.calls())
    t0 = time.time()
    try:
        s.client("ecs").create_cluster(clusterName="lost")
        seen = "success"
    except ConnectionClosedError as e:
        seen = e
    except Exception as e:  # noqa: BLE001
        seen = e
    check("lose_reply: the client sees ConnectionClosedError", isinstance(seen, ConnectionClosedError),
          f"{type(seen).__name__}: {seen}")
    if VERBOSE:
        print(f"      ({time.time() - t0:.2f}s) {seen}")
    d = s.client("ecs").describe_clusters(clusters=["lost"])["clusters"]
    check("lose_reply: yet the cluster exists", [c["status"] for c in d] == ["ACTIVE"], d)
    new = s.calls()[before:]
    check("record: the call reached moto and the fault is marked",
          new[:2] == [f"!fault lose_reply ecs CreateCluster rule={rule_by_name(s.control('GET')[1], 'lost')['id']}",
                      "ecs CreateCluster"], new)
    entry = s.control("GET")[1]["log"][-1]
    check("log: moto answered 200, the client got nothing",
          (entry["fault"], entry["moto_status"], entry["status"]) == ("lose_reply", 200, None), entry)

    # Raw socket: not one byte, then an orderly close (FIN, not RST).
    s.rules({"fault": "lose_reply", "service": "ecs", "action": "CreateCluster"})
    expect("lose_reply")
    body = b'{"clusterName":"lost-raw"}'
    req = (
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: AWS4-HMAC-SHA256 Credential=testing/20240101/{REGION}/ecs/aws4_request, "
        "SignedHeaders=host, Signature=00\r\n"
        "X-Amz-Target: AmazonEC2ContainerServiceV20141113.CreateCluster\r\n"
        f"Content-Type: application/x-amz-json-1.1\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection(("127.0.0.1", s.port), timeout=10) as sock:
        sock.sendall(req)
        try:
            got = sock.recv(65536)
        except OSError as e:
            got = e
    check("lose_reply on the wire: zero bytes, then EOF", got == b"", got)

    # reply=error: moto's answer replaced by a 503.
    s.rules({"fault": "lose_reply", "service": "ecs", "action": "CreateCluster", "reply": "error", "status": 503})
    expect("lose_reply")
    got = error_of(lambda: s.client("ecs").create_cluster(clusterName="lost503"))[:2]
    check("lose_reply reply=error: the client sees ServiceUnavailable 503", got == ("ServiceUnavailable", 503), got)
    d = s.client("ecs").describe_clusters(clusters=["lost503"])["clusters"]
    check("lose_reply reply=error: the cluster exists", [c["status"] for c in d] == ["ACTIVE"], d)


def test_lose_reply_ec2(s):
    ec2 = s.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    sg = ec2.create_security_group(GroupName="lr", Description="lose reply", VpcId=vpc)["GroupId"]
    perm = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
    s.rules({"fault": "lose_reply", "service": "ec2", "action": "AuthorizeSecurityGroupIngress"})
    expect("lose_reply")
    code, _, retries, _ = error_of(
        lambda: s.client("ec2", attempts=2).authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm]))
    check("lose_reply EC2: the SDK's retry gets InvalidPermission.Duplicate",
          (code, retries) == ("InvalidPermission.Duplicate", 1), (code, retries))
    rules = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["IpPermissions"]
    check("lose_reply EC2: the rule exists (once)",
          [(p["FromPort"], [r["CidrIp"] for r in p["IpRanges"]]) for p in rules] == [(443, ["10.0.0.0/8"])], rules)


def test_delay(s):
    s.rules({"fault": "delay", "service": "ecs", "action": "DescribeClusters", "seconds": 3, "name": "slow"})
    expect("delay")
    result = {}

    def slow():
        t0 = time.time()
        try:
            s.client("ecs", read_timeout=1).describe_clusters(clusters=["ride"])
            result["slow"] = ("success", time.time() - t0)
        except Exception as e:  # noqa: BLE001
            result["slow"] = (e, time.time() - t0)
        result["slow_done"] = time.time()

    th = threading.Thread(target=slow)
    slow_start = time.time()
    th.start()
    time.sleep(0.3)
    t0 = time.time()
    s.client("ecs").list_clusters()
    fast = time.time() - t0
    fast_done = time.time()
    th.join(15)
    err, took = result.get("slow", (None, None))
    check("delay: the held call times out (read_timeout 1 s)",
          isinstance(err, ReadTimeoutError) and 0.9 <= took < 2.5, (type(err).__name__, err, took))
    # Had the held call kept launch.py's lock, this one would wait for the 3 s hold to end.
    check(f"delay: a concurrent call completes quickly ({fast * 1000:.0f} ms), while the other is held",
          fast < 1.5 and fast_done - slow_start < 2.5, (fast, fast_done - slow_start))
    time.sleep(2.5)  # the held call reaches moto after its 3 s, though its client is gone
    entry = next(e for e in reversed(s.control("GET")[1]["log"]) if e["name"] == "slow")
    check("delay: moto still handled the call after the delay", entry["moto_status"] == 200, entry)

    s.rules({"fault": "delay", "service": "ecs", "action": "ListClusters", "seconds": 0.5, "phase": "after"})
    expect("delay")
    t0 = time.time()
    out = s.client("ecs").list_clusters()
    took = time.time() - t0
    check("delay phase=after: a slow but good answer", 0.5 <= took < 2 and "clusterArns" in out, took)


def test_hang(s):
    s.rules({"fault": "hang", "service": "ecs", "action": "ListClusters", "seconds": 1})
    expect("hang")
    before = len(s.calls())
    t0 = time.time()
    try:
        s.client("ecs", read_timeout=5).list_clusters()
        seen = "success"
    except Exception as e:  # noqa: BLE001
        seen = e
    took = time.time() - t0
    check("hang: connection closed unanswered after ~1 s",
          isinstance(seen, ConnectionClosedError) and 0.9 <= took < 3, (type(seen).__name__, seen, took))
    new = s.calls()[before:]
    check("hang: moto never saw the call", "ecs ListClusters" not in new and any("!fault hang" in x for x in new), new)


def test_matching_and_control(s):
    status, out = s.control("POST", [{"fault": "throttel", "service": "ecs"}])
    check("control: an unknown fault is refused with 400 and an error", status == 400 and "fault" in out.get("error", ""), out)
    status, out = s.control("POST", [{"fault": "delay", "service": "ecs"}])
    check("control: delay without seconds is refused", status == 400 and "seconds" in out["error"], out)
    status, out = s.control("POST", [{"fault": "throttle", "servce": "ecs"}])
    check("control: a misspelt field is refused", status == 400 and "servce" in out["error"], out)
    status, out = s.control("POST", "x")
    check("control: a body that is not a rule or a list is refused", status == 400, (status, out))
    try:
        urllib.request.urlopen(urllib.request.Request(f"{s.endpoint}/standin-faults", data=b"[{", method="POST"),
                               timeout=10)
        status = 200
    except urllib.error.HTTPError as e:
        status = e.code
    check("control: invalid JSON is refused with 400", status == 400, status)
    check("control: refused bodies changed nothing", s.control("GET")[1]["active"] == 0)
    status, out = s.control("PUT", [])
    check("control: PUT is 405", status == 405, status)

    s.rules({"fault": "throttle", "service": "ecs", "action": ["ListServices", "listtasks"], "name": "two"})
    st = s.rules({"fault": "throttle", "service": "*", "action": "*", "account": "222222222222", "count": -1,
                  "name": "acct"}, mode="append")
    check("control: append keeps the earlier rule", [r["name"] for r in st["rules"]] == ["two", "acct"], st["rules"])
    check("control: active counts the rules with calls left", st["active"] == 2, st["active"])
    # A call consumes the first matching rule only.
    got = error_of(lambda: s.client("ecs").list_tasks(cluster="ride"))[0]
    check("match: an action list matches, case-insensitively", got == "ThrottlingException", got)
    got = error_of(lambda: s.client("ecs").list_services(cluster="ride"))[0]
    check("match: the rule was used up by the first call", got is None, got)
    got = error_of(lambda: s.client("ecs", account="222222222222").list_clusters())[0]
    got2 = error_of(lambda: s.client("ec2", account="222222222222").describe_vpcs())[0]
    got3 = error_of(lambda: s.client("ecs").list_clusters())[0]
    check("match: account + '*' service/action throttles every call of that account only",
          (got, got2, got3) == ("ThrottlingException", "RequestLimitExceeded", None), (got, got2, got3))
    expect("throttle", 3)
    r = rule_by_name(s.control("GET")[1], "acct")
    check("count -1: unlimited, remaining stays -1", (r["remaining"], r["applied"]) == (-1, 2), r)
    check("/moto-api is never faulted", urllib.request.urlopen(
        f"{s.endpoint}/moto-api/data.json", timeout=30).status == 200)


def test_counters(s):
    status, state = s.control("GET")
    marks = [x for x in s.calls() if x.startswith("!fault ")]
    by_record = {}
    for m in marks:
        by_record[m.split()[1]] = by_record.get(m.split()[1], 0) + 1
    check("counters: GET applied_by_fault matches what this script caused",
          state["applied_by_fault"] == EXPECTED, (state["applied_by_fault"], EXPECTED))
    check("counters: GET applied == log length == '!fault' lines in the record",
          state["applied"] == len(state["log"]) == len(marks) and by_record == EXPECTED,
          (state["applied"], len(state["log"]), len(marks), by_record))
    check("counters: log seq numbers are 1..N", [e["seq"] for e in state["log"]] == list(range(1, len(marks) + 1)))
    status, state = s.control("DELETE")
    check("control: DELETE clears rules, counters and log",
          status == 200 and (state["rules"], state["applied"], state["log"]) == ([], 0, []), state)
    got = error_of(lambda: s.client("ecs", account="222222222222").list_clusters())[0]
    check("control: after DELETE nothing is faulted", got is None, got)


TESTS = [
    test_rules_file, test_wire_format, test_throttle_codes, test_throttle_ride_out, test_server_error,
    test_lose_reply_ecs, test_lose_reply_ec2, test_delay, test_hang, test_matching_and_control, test_counters,
]


def main():
    t_start = time.time()
    with tempfile.TemporaryDirectory(prefix="selftest-faults-") as tmp:
        s = Server(tmp)
        try:
            for test in TESTS:
                try:
                    test(s)
                except Exception:  # noqa: BLE001
                    check(test.__name__, False, traceback.format_exc())
            time.sleep(0.5)
            log = open(s.log).read()
            check("server log: no traceback, no werkzeug 'Error on request'",
                  "Traceback" not in log and "Error on request" not in log, s.tail(30))
            if VERBOSE or FAILED:
                print(f"--- server log (tail) ---\n{s.tail(30)}")
        finally:
            s.stop()
    print(f"({time.time() - t_start:.1f}s)")
    print(f"{PASSED} passed, {FAILED} failed")
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
