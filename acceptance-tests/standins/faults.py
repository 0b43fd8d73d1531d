"""Fault injection for the acceptance tests: a TEST DOUBLE of AWS's bad days, never part of the provider.

moto always answers at once and never fails on its own (../shared/MOTO.md section 6). This module lets
a test program faults at run time, per service and action: throttling, server errors, slow or hung
calls, and replies lost after moto carried the call out (so the SDK retries a call whose effect
already happened).

Loading
-------
It is a stand-in with a `wrap(app, launcher)` hook (see launch.py), so it is loaded by name:

    python launch.py -p 5055 --standins=faults,agent,scheduler --record calls.log [--faults rules.json]

`--faults FILE` loads it too (no need to name it in --standins) and starts with the rules in FILE
(the same JSON as a POST body, below). The fault layer sits outside launch.py's global lock and
outside the other stand-ins: a delayed call holds no lock, and a call answered with a fault never
reaches moto or the other stand-ins' hooks. Where `faults` appears in --standins does not matter.
Without it, nothing of this module runs and `/standin-faults` is not served.

Control endpoint
----------------
Unsigned HTTP requests to the path `/standin-faults` on the server's own port (a request with an
AWS4 Authorization header is never taken for a control request, so an S3 bucket of that name
would still reach moto):

    GET    /standin-faults                   the state (below)
    POST   /standin-faults                   replace all rules with the body's rules; the state
    POST   /standin-faults?mode=append       append the body's rules after the existing ones
    DELETE /standin-faults                   drop all rules, counters and the log; the state

The POST body is a JSON list of rules, a single rule object, or `{"rules": [...], "mode":
"replace"|"append"}`. An invalid body answers 400 `{"error": "..."}` and changes nothing. Replacing
rules keeps the log and the totals (only DELETE clears them). Responses are JSON with status 200.

A rule:

    {"fault": "throttle",          required: throttle | server_error | error | delay | hang | lose_reply
     "service": "ecs",             credential-scope service ("ecs", "ec2", "rds", "sts", ...); "*" = any
     "action": "CreateCluster",    action name, or a list of names; "*" = any (case-insensitive)
     "account": "*",               x-moto-account-id of the call (123456789012 without it); "*" = any
     "count": 1,                   how many matching calls this rule affects; -1 = every one, forever
     "name": "...",                optional label, echoed in the state and the log
     ...fault-specific fields...}

    throttle      answer with the service's throttling error, without calling moto. Defaults:
                    JSON protocol (ECS, SSM, Logs): 400, header x-amzn-ErrorType: ThrottlingException,
                      body {"__type":"ThrottlingException","message":"Rate exceeded"}
                    EC2: 503 <Response><Errors><Error><Code>RequestLimitExceeded</Code>
                      <Message>Request limit exceeded.</Message></Error></Errors><RequestID>..</RequestID></Response>
                    query protocol (RDS, STS, IAM, ...): 400 <ErrorResponse><Error><Type>Sender</Type>
                      <Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>..</RequestId></ErrorResponse>
                  "status", "code", "message" override the defaults.
    server_error  answer 500 (or "status": 503, or any 5xx) without calling moto: 500 InternalFailure
                  (EC2: InternalError), 503 ServiceUnavailable; "code", "message" override.
    error         any error you spell out: "status" and "code" required, "message" optional.
    delay         hold the call "seconds" (required) and then let moto handle it. "phase": "before"
                  (default: wait, then moto) or "after" (moto at once, the reply after the wait).
                  With "before", moto carries the call out after the wait even if the client gave up.
    hang          hold the connection "seconds" (required), never answer, then close it. moto never
                  sees the call (a request lost on the way).
    lose_reply    moto handles the call for real, then the reply is lost: "reply": "close" (default)
                  closes the connection without a single byte of response; "reply": "error" answers a
                  server error instead of moto's answer ("status" 500 by default, or 503; "code",
                  "message" as for server_error). "seconds" (default 0) holds the connection that long
                  first.

Each call takes at most one rule: the first rule, in list order, that matches it and has calls left.
An exhausted rule stays in the state (remaining 0) so its counter can be read.

The state (every response):

    {"rules": [{...the rule with its defaults filled in..., "id": 1, "remaining": 0, "applied": 4}],
     "active": 0,                          rules with calls left
     "applied": 4,                         faults applied since start or the last DELETE
     "applied_by_fault": {"throttle": 4},
     "log": [{"seq": 1, "rule": 1, "name": null, "fault": "throttle", "service": "ecs",
              "action": "CreateCluster", "account": "123456789012", "at": 1700000000.0,
              "status": 400, "code": "ThrottlingException", "moto_status": null}, ...]}

`status`/`code` are what the client was sent (null if it was sent nothing); `moto_status` is the HTTP
status of moto's own answer, for the faults that let moto handle the call (delay, lose_reply).

Call record
-----------
With launch.py's --record, every applied fault also appends one line when it is applied:

    !fault <fault> <service> <action> rule=<id>

e.g. `!fault throttle ecs CreateCluster rule=1` (harness/moto.rs reads it as service "!fault", so
it never counts as a call of an action). Calls answered by the fault layer alone (throttle,
server_error, error, hang) have no `service Action` line, since moto never saw them; calls moto
handled (delay, lose_reply) have both lines. Each fault is also logged to stderr.

Lost replies at the wire
------------------------
werkzeug's development server (which launch.py runs) passes the connection's socket in the WSGI
environ as `werkzeug.socket`. To lose a reply this module shuts that socket down (FIN, no bytes
sent) and raises ConnectionAbortedError, which werkzeug treats as a client that went away: it writes
nothing, logs nothing and closes the connection. The shutdown matters: werkzeug speaks HTTP/1.1 to
threaded servers, and without it the handler would wait for a next request on a connection whose
client is waiting for the first answer. Clients see the connection closed before any response:
botocore raises ConnectionClosedError ("Connection was closed before we received a valid response")
and retries it; hyper (the Rust SDK) reports an incomplete message, an IO error the SDK retries
as transient.
"""

import http
import json
import socket
import sys
import threading
import time
import uuid
from io import BytesIO
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

CONTROL_PATH = "/standin-faults"
DEFAULT_ACCOUNT = "123456789012"

FAULTS = ("throttle", "server_error", "error", "delay", "hang", "lose_reply")
_COMMON = {"fault", "service", "action", "account", "count", "name"}
_FIELDS = {
    "throttle": {"status", "code", "message"},
    "server_error": {"status", "code", "message"},
    "error": {"status", "code", "message"},
    "delay": {"seconds", "phase"},
    "hang": {"seconds"},
    "lose_reply": {"reply", "seconds", "status", "code", "message"},
}

# (status, code, message) per protocol.
_THROTTLE = {
    "json": (400, "ThrottlingException", "Rate exceeded"),
    "rest-json": (400, "ThrottlingException", "Rate exceeded"),
    "ec2": (503, "RequestLimitExceeded", "Request limit exceeded."),
    "query": (400, "Throttling", "Rate exceeded"),
}
_INTERNAL = "The request processing has failed because of an unknown error, exception or failure."
_UNAVAILABLE = "The request has failed due to a temporary failure of the server."


def _server_error_default(protocol, status):
    if status == 503:
        return "ServiceUnavailable", _UNAVAILABLE
    if protocol == "ec2":
        return "InternalError", "An internal error has occurred."
    return "InternalFailure", _INTERNAL


class RuleError(ValueError):
    pass


def _number(rule, key, default=None):
    v = rule.get(key, default)
    if v is None:
        raise RuleError(f"{key} is required for {rule['fault']}")
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
        raise RuleError(f"{key} must be a number >= 0, not {v!r}")
    return float(v)


def _status(rule, default, lo=400, hi=599):
    v = rule.get("status", default)
    if v is None:
        raise RuleError(f"status is required for {rule['fault']}")
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise RuleError(f"status must be an integer in {lo}..{hi}, not {v!r}")
    return v


def _text(rule, key):
    v = rule.get(key)
    if v is not None and not isinstance(v, str):
        raise RuleError(f"{key} must be a string, not {v!r}")
    return v


def normalize(raw):
    """A rule as given (a dict from JSON), checked and with its defaults filled in."""
    if not isinstance(raw, dict):
        raise RuleError(f"a rule must be a JSON object, not {raw!r}")
    fault = raw.get("fault")
    if fault not in FAULTS:
        raise RuleError(f"fault must be one of {', '.join(FAULTS)}, not {fault!r}")
    unknown = set(raw) - _COMMON - _FIELDS[fault]
    if unknown:
        raise RuleError(f"unknown field(s) for {fault}: {', '.join(sorted(unknown))}")
    rule = {"fault": fault}
    for key in ("service", "account"):
        v = raw.get(key, "*")
        if not isinstance(v, str) or not v:
            raise RuleError(f"{key} must be a non-empty string, not {v!r}")
        rule[key] = v
    action = raw.get("action", "*")
    names = action if isinstance(action, list) else [action]
    if not names or not all(isinstance(a, str) and a for a in names):
        raise RuleError(f"action must be a name, a list of names or \"*\", not {action!r}")
    rule["action"] = action
    count = raw.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or (count < 1 and count != -1):
        raise RuleError(f"count must be an integer >= 1, or -1 for every call, not {count!r}")
    rule["count"] = count
    rule["name"] = _text(raw, "name")
    r = dict(raw, fault=fault)
    if fault == "throttle":
        rule["status"] = _status(r, None) if "status" in r else None  # None: the protocol's own
        rule["code"] = _text(r, "code")
        rule["message"] = _text(r, "message")
    elif fault == "server_error":
        rule["status"] = _status(r, 500, 500, 599)
        rule["code"] = _text(r, "code")
        rule["message"] = _text(r, "message")
    elif fault == "error":
        rule["status"] = _status(r, None)
        rule["code"] = _text(r, "code")
        if not rule["code"]:
            raise RuleError("code is required for error")
        rule["message"] = _text(r, "message") or rule["code"]
    elif fault == "delay":
        rule["seconds"] = _number(r, "seconds")
        rule["phase"] = r.get("phase", "before")
        if rule["phase"] not in ("before", "after"):
            raise RuleError(f"phase must be before or after, not {rule['phase']!r}")
    elif fault == "hang":
        rule["seconds"] = _number(r, "seconds")
    elif fault == "lose_reply":
        rule["reply"] = r.get("reply", "close")
        if rule["reply"] not in ("close", "error"):
            raise RuleError(f"reply must be close or error, not {rule['reply']!r}")
        rule["seconds"] = _number(r, "seconds", 0)
        rule["status"] = _status(r, 500, 500, 599)
        rule["code"] = _text(r, "code")
        rule["message"] = _text(r, "message")
    return rule


def parse_rules(doc, default_mode="replace"):
    """(rules, mode) from a POST body or rules file: a list, one rule, or {"rules": [...], "mode": ...}."""
    mode = default_mode
    if isinstance(doc, dict) and "fault" not in doc:
        unknown = set(doc) - {"rules", "mode"}
        if unknown:
            raise RuleError(f"unknown field(s): {', '.join(sorted(unknown))}")
        mode = doc.get("mode", mode)
        doc = doc.get("rules", [])
    if mode not in ("replace", "append"):
        raise RuleError(f"mode must be replace or append, not {mode!r}")
    if isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list):
        raise RuleError("expected a list of rules")
    return [normalize(r) for r in doc], mode


def _matches(pattern, value):
    if isinstance(pattern, list):
        return any(_matches(p, value) for p in pattern)
    return pattern == "*" or pattern.lower() == (value or "").lower()


class Faults:
    """The rules, their counters and the log of applied faults (thread-safe)."""

    def __init__(self, record=None):
        self._lock = threading.Lock()
        self._rules = []
        self._log = []
        self._next_id = 1
        self._record = record or (lambda line: None)

    def set_rules(self, rules, mode="replace"):
        with self._lock:
            if mode == "replace":
                self._rules = []
            for r in rules:
                self._rules.append(dict(r, id=self._next_id, remaining=r["count"], applied=0))
                self._next_id += 1

    def clear(self):
        with self._lock:
            self._rules = []
            self._log = []

    def take(self, service, action, account):
        """The rule to apply to this call, consumed (and logged), or None; plus its log entry."""
        with self._lock:
            for rule in self._rules:
                if rule["remaining"] == 0:
                    continue
                if not (
                    _matches(rule["service"], service)
                    and _matches(rule["action"], action)
                    and _matches(rule["account"], account)
                ):
                    continue
                if rule["remaining"] > 0:
                    rule["remaining"] -= 1
                rule["applied"] += 1
                entry = {
                    "seq": len(self._log) + 1,
                    "rule": rule["id"],
                    "name": rule["name"],
                    "fault": rule["fault"],
                    "service": service,
                    "action": action,
                    "account": account,
                    "at": round(time.time(), 3),
                    "status": None,
                    "code": None,
                    "moto_status": None,
                }
                self._log.append(entry)
                left = "unlimited" if rule["remaining"] < 0 else rule["remaining"]
                line = f"!fault {rule['fault']} {service or '-'} {action or '-'} rule={rule['id']}"
                self._record(line)
                sys.stderr.write(f"[faults] {line} ({left} left)\n")
                sys.stderr.flush()
                return dict(rule), entry
        return None, None

    def note(self, entry, **fields):
        with self._lock:
            entry.update(fields)

    def state(self):
        with self._lock:
            by_fault = {}
            for e in self._log:
                by_fault[e["fault"]] = by_fault.get(e["fault"], 0) + 1
            return {
                "rules": [dict(r) for r in self._rules],
                "active": sum(1 for r in self._rules if r["remaining"] != 0),
                "applied": len(self._log),
                "applied_by_fault": by_fault,
                "log": [dict(e) for e in self._log],
            }


def _protocol(environ, req):
    if environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    if req.service == "ec2":
        return "ec2"
    if req.action:
        return "query"
    return "rest-json"


def error_response(environ, protocol, status, code, message):
    """(status line, headers, body) of an AWS error in the protocol's wire format."""
    rid = str(uuid.uuid4())
    if protocol in ("json", "rest-json"):
        ctype = environ.get("CONTENT_TYPE", "")
        if protocol == "rest-json" or "x-amz-json" not in ctype:
            ctype = "application/json" if protocol == "rest-json" else "application/x-amz-json-1.1"
        body = json.dumps({"__type": code, "message": message}, separators=(",", ":")).encode()
        headers = [("Content-Type", ctype), ("x-amzn-RequestId", rid), ("x-amzn-ErrorType", code)]
    elif protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"</Error></Errors><RequestID>{rid}</RequestID></Response>"
        ).encode()
        headers = [("Content-Type", "text/xml;charset=UTF-8")]
    else:
        kind = "Sender" if status < 500 else "Receiver"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)]
    headers.append(("Content-Length", str(len(body))))
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return f"{status} {phrase}", headers, body


def _drop_connection(environ):
    """Closes the client's connection without a response (werkzeug's dev server; see the docstring)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise ConnectionAbortedError("standin-faults: the reply is lost on purpose")


def _json_response(start_response, status, doc):
    body = json.dumps(doc, indent=1).encode()
    start_response(
        f"{status} {http.HTTPStatus(status).phrase}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


class FaultLayer:
    """WSGI middleware: the control endpoint, and the faults, around launch.py's application."""

    def __init__(self, inner, launcher, faults):
        self.inner = inner
        self.launcher = launcher
        self.faults = faults

    def _control(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            return _json_response(start_response, 200, self.faults.state())
        if method == "DELETE":
            self.faults.clear()
            return _json_response(start_response, 200, self.faults.state())
        if method != "POST":
            return _json_response(start_response, 405, {"error": f"{method} is not supported"})
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        q = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            doc = json.loads(body or b"[]")
            rules, mode = parse_rules(doc, q.get("mode", ["replace"])[0])
        except (ValueError, RuleError) as e:  # JSONDecodeError is a ValueError
            return _json_response(start_response, 400, {"error": str(e)})
        self.faults.set_rules(rules, mode)
        return _json_response(start_response, 200, self.faults.state())

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.rstrip("/") == CONTROL_PATH and "AWS4-" not in environ.get("HTTP_AUTHORIZATION", ""):
            return self._control(environ, start_response)
        if path.startswith("/moto-api"):
            return self.inner(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = BytesIO(body)
            req = self.launcher.Request(environ, body)
            if not req.action and environ.get("QUERY_STRING"):
                req.action = parse_qs(environ["QUERY_STRING"]).get("Action", [""])[0]
            account = environ.get("HTTP_X_MOTO_ACCOUNT_ID") or DEFAULT_ACCOUNT
            rule, entry = self.faults.take(req.service, req.action, account)
        except Exception:  # a bug here must not look like an AWS failure: pass the call on
            import traceback

            sys.stderr.write("[faults] fault layer failed; passing the call to moto:\n")
            traceback.print_exc()
            return self.inner(environ, start_response)
        if rule is None:
            return self.inner(environ, start_response)
        return self._apply(rule, entry, req, environ, start_response)

    def _error(self, entry, environ, start_response, protocol, status, code, message):
        status_line, headers, body = error_response(environ, protocol, status, code, message)
        self.faults.note(entry, status=status, code=code)
        start_response(status_line, headers)
        return [body]

    def _run_moto(self, environ):
        """Lets moto (and the other stand-ins) handle the call; its response, not yet sent."""
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
        return held.get("status", "500 Internal Server Error"), held.get("headers", []), chunks

    def _apply(self, rule, entry, req, environ, start_response):
        fault = rule["fault"]
        protocol = _protocol(environ, req)
        if fault == "throttle":
            d_status, d_code, d_message = _THROTTLE[protocol]
            return self._error(
                entry, environ, start_response, protocol,
                rule["status"] or d_status, rule["code"] or d_code, rule["message"] or d_message,
            )
        if fault in ("server_error", "error"):
            d_code, d_message = _server_error_default(protocol, rule["status"])
            return self._error(
                entry, environ, start_response, protocol,
                rule["status"], rule["code"] or d_code, rule["message"] or d_message,
            )
        if fault == "hang":
            time.sleep(rule["seconds"])
            _drop_connection(environ)
        if fault == "delay":
            if rule["phase"] == "before":
                time.sleep(rule["seconds"])
            status, headers, chunks = self._run_moto(environ)
            code = int(status.split(" ", 1)[0])
            self.faults.note(entry, moto_status=code, status=code)
            if rule["phase"] == "after":
                time.sleep(rule["seconds"])
            start_response(status, headers)
            return chunks
        # lose_reply
        status, headers, chunks = self._run_moto(environ)
        self.faults.note(entry, moto_status=int(status.split(" ", 1)[0]))
        if rule["seconds"]:
            time.sleep(rule["seconds"])
        if rule["reply"] == "close":
            _drop_connection(environ)
        d_code, d_message = _server_error_default(protocol, rule["status"])
        return self._error(
            entry, environ, start_response, protocol,
            rule["status"], rule["code"] or d_code, rule["message"] or d_message,
        )


def wrap(app, launcher):
    """launch.py's hook: the fault layer around the application, with --faults FILE's rules."""
    faults = Faults(record=launcher.record)
    path = getattr(launcher.args, "faults", "")
    if path:
        try:
            with open(path) as f:
                rules, mode = parse_rules(json.load(f))
        except (OSError, ValueError, RuleError) as e:
            raise SystemExit(f"faults: cannot load {path}: {e}")
        faults.set_rules(rules, mode)
        sys.stderr.write(f"[faults] {len(rules)} rule(s) from {path}\n")
    return FaultLayer(app, launcher, faults)
