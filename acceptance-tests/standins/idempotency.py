"""Client-token idempotency: a TEST DOUBLE for the acceptance tests, never part of the provider.

AWS makes some create calls idempotent with a client token; moto stores the token (or ignores it)
and carries every call out again. With the fault layer (faults.py) losing a reply after moto handled
a call, an SDK retry then launches a second instance, service or task where AWS would launch none.
This module, loaded by name (`--standins=faults,idempotency,agent,scheduler`), plays AWS's rules for
three actions:

    ec2 RunInstances   ClientToken   "Ensuring idempotency in Amazon EC2 API requests"
                                     (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html)
    ecs CreateService  clientToken   "Ensuring idempotency" (Amazon ECS API Reference,
    ecs RunTask        clientToken    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/ECS_Idempotency.html)
                                     and the API reference of each action (botocore's ecs service model)

What it plays
-------------
* Same token, same parameters: the stored original response is sent again (same HTTP status, the
  same headers moto sent, Content-Type and x-amzn-RequestId included, byte-identical body) and moto
  is not called, so nothing new is launched. EC2 page: "If you retry a request that completed
  successfully using the same client token and the same parameters, the retry succeeds without
  performing any further actions"; ECS page: the same sentence for CreateService, CreateTaskSet and
  RunTask; RunTask reference: "the result of the original request is returned". (EC2 says the
  result "might contain updated information, such as the current creation status"; the stand-in
  returns the original, which the older wording of the page, "the same response is returned",
  also allows.)
* Same token, different parameters, EC2 RunInstances: 400 `IdempotentParameterMismatch`, "Arguments
  on this idempotent request are inconsistent with arguments used in previous request(s)." (EC2
  page: "the retry fails with an IdempotentParameterMismatch error"; the message is the one EC2
  sends, the page does not spell it out), in EC2's XML error format.
* Same token, different parameters, ECS RunTask: 400 `ConflictException` with `resourceIds`, the
  task ARNs of the original call (RunTask reference: "If you get a ConflictException error ... The
  provided clientToken is already in use with a different RunTask request. The resourceIds are the
  existing task ARNs which are already associated with the clientToken."; the message is that
  sentence, AWS's exact message is not documented). NOTE: not InvalidParameterException.
* Same token, different parameters, ECS CreateService: 400 `InvalidParameterException`, "Creation of
  service was not idempotent." Neither the ECS page nor the CreateService reference names the error
  for this case (CreateService lists no ConflictException); InvalidParameterException with that
  message is what ECS answers a CreateService that does not match the existing service of that name,
  so the stand-in uses it. Treat the code as likely, the message as a plain stand-in.
* Scope of a token. EC2: per account and Region ("You can use the same client token for the same
  request across different Regions ... the result is a different running instance in each Region"),
  and per Availability Zone when the call names one in Placement.AvailabilityZone (the page's
  "zonal idempotency"; a zone implied by SubnetId is not looked up: there the zone is compared as
  a parameter). ECS: per account, Region and cluster (ECS page, "Types of idempotency: cluster").
  Tokens of different actions never meet. Tokens are remembered for the life of the server (AWS:
  at least 24 hours).
* Only a successful (2xx) first response is remembered. A call that failed (moto answered 4xx/5xx,
  DryRun's 412 included) leaves the token unused, so a retry, with or without changed parameters,
  goes to moto.
* A call without a token (absent or empty) passes through unchanged. Note that the SDKs fill in a
  token themselves for members the model marks `idempotencyToken`: EC2 RunInstances.ClientToken and
  ECS RunTask.clientToken (boto3 and the Rust SDK both do, once per operation, so their retries
  carry the same token), but not ECS CreateService.clientToken: CreateService has a token only if
  the caller sets one.

Parameters are compared without the token and normalised: ECS as parsed JSON (key order and
whitespace do not matter), EC2 as the parsed query (body plus URL query string, order does not
matter; `Action` and `Version` take part). The SDKs resend the very same body on a retry (what
changes is headers: X-Amz-Date, Authorization, amz-sdk-request), so no body field is treated as
volatile. Calls with the same token are serialised (a second one waits for the first to finish,
then replays or fails), so two concurrent attempts never both reach moto.

Not played: the token format rules (ECS: up to 36 characters for CreateService, 64 for RunTask, in
ASCII 33-126; EC2: up to 64 ASCII characters) are not checked; the 24-hour expiry; EC2's refresh of
the instance state in a replayed answer; the other EC2/ECS actions that take a client token
(CreateTaskSet, CreateLaunchTemplate, ...).

Where it sits
-------------
It has a `wrap(app, launcher)` hook (see launch.py) and always puts itself directly around
launch.py's own application (moto plus the before/after hooks), inside every other wrapper,
wherever it is named in --standins: with the fault layer outside it, a `lose_reply` call goes
faults -> idempotency -> moto, so the response moto produced is recorded here before faults.py
drops the connection, and the SDK's retry is answered from the record. (launch.py makes the first
name the outermost wrapper, and `--faults FILE` appends `faults` last; were this layer outside the
fault layer, it would never see a reply that faults.py loses.) A replay or mismatch never reaches
moto or the other stand-ins' hooks, and so has no `service Action` line in the call record
(--record); it adds `!idempotency replay <service> <action>` or `!idempotency mismatch <service>
<action>` instead (read by harness/moto.rs as service "!idempotency"), and a line on stderr.
"""

import hashlib
import http
import json
import sys
import threading
import uuid
from io import BytesIO
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

DEFAULT_ACCOUNT = "123456789012"

_EC2_MISMATCH = "Arguments on this idempotent request are inconsistent with arguments used in previous request(s)."
_RUN_TASK_CONFLICT = "The provided clientToken is already in use with a different RunTask request."
_CREATE_SERVICE_MISMATCH = "Creation of service was not idempotent."

# (credential-scope service, action) -> name of the token member
TOKENS = {
    ("ec2", "RunInstances"): "ClientToken",
    ("ecs", "CreateService"): "clientToken",
    ("ecs", "RunTask"): "clientToken",
}


def _log(line):
    sys.stderr.write(f"[idempotency] {line}\n")
    sys.stderr.flush()


class Call:
    """One call of a covered action that carries a token: its scope key and normalised parameters."""

    def __init__(self, service, action, token, key, params, digest):
        self.service = service
        self.action = action
        self.token = token
        self.key = key
        self.params = params  # normalised, without the token (kept for the debugging eye)
        self.digest = digest


def _parse(environ, req, body):
    """The Call for this request, or None when the stand-in has nothing to do with it."""
    action = req.action
    if not action and environ.get("QUERY_STRING"):
        action = dict(parse_qsl(environ["QUERY_STRING"])).get("Action", "")
    name = TOKENS.get((req.service, action))
    if name is None:
        return None
    account = environ.get("HTTP_X_MOTO_ACCOUNT_ID") or DEFAULT_ACCOUNT
    if req.service == "ecs":
        params = json.loads(body or b"{}")
        if not isinstance(params, dict):
            return None
        token = params.pop(name, None)
        if not isinstance(token, str) or not token:
            return None
        cluster = str(params.get("cluster") or "default").split("/")[-1]
        key = (account, req.region, "ecs", action, cluster, token)
        canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    else:
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        tokens = [v for k, v in pairs if k == name]
        token = tokens[-1] if tokens else ""
        if not token:
            return None
        pairs = sorted((k, v) for k, v in pairs if k != name)
        zone = dict(pairs).get("Placement.AvailabilityZone", "")
        key = (account, req.region, "ec2", action, zone, token)
        params = pairs
        canonical = json.dumps(pairs, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return Call(req.service, action, token, key, params, digest)


class Stored:
    """The first successful answer to a token: what moto sent, and the parameters it was sent for."""

    def __init__(self, call, status, headers, body):
        self.digest = call.digest
        self.status = status
        self.headers = list(headers)
        self.body = body
        self.resource_ids = []
        if call.action == "RunTask":
            try:
                self.resource_ids = [t["taskArn"] for t in json.loads(body).get("tasks", []) if t.get("taskArn")]
            except (ValueError, AttributeError, TypeError):
                pass


def _status_line(status):
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"


def _mismatch(call, stored, environ):
    """(status line, headers, body) of the error AWS answers a reused token with other parameters."""
    rid = str(uuid.uuid4())
    if call.service == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            "<Response><Errors><Error><Code>IdempotentParameterMismatch</Code>"
            f"<Message>{escape(_EC2_MISMATCH)}</Message></Error></Errors><RequestID>{rid}</RequestID></Response>"
        ).encode()
        headers = [("Content-Type", "text/xml;charset=UTF-8")]
    else:
        if call.action == "RunTask":
            doc = {"__type": "ConflictException", "message": _RUN_TASK_CONFLICT, "resourceIds": stored.resource_ids}
        else:
            doc = {"__type": "InvalidParameterException", "message": _CREATE_SERVICE_MISMATCH}
        body = json.dumps(doc, separators=(",", ":")).encode()
        ctype = environ.get("CONTENT_TYPE", "")
        if "x-amz-json" not in ctype:
            ctype = "application/x-amz-json-1.1"
        headers = [("Content-Type", ctype), ("x-amzn-RequestId", rid), ("X-Amzn-ErrorType", doc["__type"])]
    headers.append(("Content-Length", str(len(body))))
    return _status_line(400), headers, body


class IdempotencyLayer:
    """WSGI middleware right around launch.py's application: replays answers to a reused token."""

    def __init__(self, inner, launcher):
        self.inner = inner
        self.launcher = launcher
        self._lock = threading.Lock()
        self._key_locks = {}  # scope key -> Lock held while a call with that token is in progress
        self._stored = {}  # scope key -> Stored

    def _key_lock(self, key):
        with self._lock:
            lock = self._key_locks.get(key)
            if lock is None:
                lock = self._key_locks[key] = threading.Lock()
            return lock

    def _run_inner(self, environ):
        """The inner application's answer, not yet sent: (status line, headers, body)."""
        held = {}

        def capture(status, headers, exc_info=None):
            held["status"], held["headers"] = status, headers
            return lambda data: held.setdefault("written", []).append(data)

        it = self.inner(environ, capture)
        try:
            chunks = held.pop("written", []) + list(it)
        finally:
            if hasattr(it, "close"):
                it.close()
        return held.get("status", "500 Internal Server Error"), held.get("headers", []), b"".join(chunks)

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            return self.inner(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = BytesIO(body)
            req = self.launcher.Request(environ, body)
            call = _parse(environ, req, body)
        except Exception:  # a bug here must not look like an AWS failure: pass the call on
            import traceback

            _log("could not read the call; passing it to moto:")
            traceback.print_exc()
            return self.inner(environ, start_response)
        if call is None:
            return self.inner(environ, start_response)

        with self._key_lock(call.key):
            stored = self._stored.get(call.key)
            if stored is not None:
                if stored.digest == call.digest:
                    self.launcher.record(f"!idempotency replay {call.service} {call.action}")
                    _log(f"replay {call.service} {call.action} token={call.token!r}: the original answer, moto not called")
                    start_response(stored.status, list(stored.headers))
                    return [stored.body]
                status, headers, out = _mismatch(call, stored, environ)
                self.launcher.record(f"!idempotency mismatch {call.service} {call.action}")
                _log(f"mismatch {call.service} {call.action} token={call.token!r}: same token, other parameters")
                start_response(status, headers)
                return [out]
            status, headers, out = self._run_inner(environ)
            code = int(status.split(" ", 1)[0])
            if 200 <= code < 300:
                self._stored[call.key] = Stored(call, status, headers, out)
        start_response(status, headers)
        return [out]


def wrap(app, launcher):
    """launch.py's hook: the layer goes directly around launch.py's StandinApp, inside any other wrapper."""
    parent, node = None, app
    while type(node).__name__ != "StandinApp" and hasattr(node, "inner"):
        parent, node = node, node.inner
    if type(node).__name__ != "StandinApp":
        _log("launch.py's application not found inside the other wrappers; wrapping where named")
        return IdempotencyLayer(app, launcher)
    layer = IdempotencyLayer(node, launcher)
    if parent is None:
        return layer
    parent.inner = layer
    return app
