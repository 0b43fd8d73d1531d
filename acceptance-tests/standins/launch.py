"""moto server with the acceptance harness's stand-ins (TEST DOUBLES, never part of the provider).

moto has no ECS agent and no service scheduler (see ../shared/MOTO.md sections 3-4). The acceptance
tests need both, so this launcher runs moto's own server application and calls "stand-in" modules
around every request. A stand-in sees the request (service, action, JSON body, account, region) and
acts on moto's backends directly, the way the real ECS agent or scheduler would act on AWS.

Usage (the Rust harness does this, see harness/moto.rs):

    python launch.py --port 5055 [--standins agent,scheduler,faults] [--record calls.log]
                     [--faults rules.json]

With --record, every AWS API call is appended to that file as one line, `service Action`, before
moto handles it, so tests can count calls (batched reads) or prove that none were made. The fault
layer (faults.py) adds lines that start with `!fault` for the faults it applies; a call it answers
itself (a throttle, say) never reaches moto and so has no `service Action` line.

--faults FILE loads the fault layer (as if `faults` were in --standins) with the rules in FILE; see
faults.py for the rules and for its control endpoint, `/standin-faults`.

Each name in --standins is a module next to this file. It may define:

    before(req)  called before moto handles the request
    after(req)   called after moto handled it (moto's response has been produced)

    wrap(app, launcher)  returns a WSGI application wrapped around `app`. It runs outside the global
                         lock, for every request, and may answer without calling `app` at all
                         (faults.py does this). `launcher` is a `Launcher` (below).

`req` is a `Request` (below). Hooks run under one global lock, and so does the request itself, so
stand-ins never see moto half-way through another request. A hook that raises is logged to stderr
and otherwise ignored: a bug in a test double must show up in the log, not as an HTTP 500 that
looks like an AWS failure.
"""

import argparse
import importlib
import json
import os
import re
import sys
import threading
import traceback
from io import BytesIO

from werkzeug.serving import run_simple

from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d+/([^/]+)/([^/]+)/")
_LOCK = threading.RLock()
_RECORD_LOCK = threading.Lock()


class Request:
    """What a stand-in hook gets to know about one AWS API call."""

    def __init__(self, environ, body):
        auth = environ.get("HTTP_AUTHORIZATION", "")
        m = _CREDENTIAL_SCOPE.search(auth)
        self.region = m.group(1) if m else "us-east-1"
        self.service = m.group(2) if m else ""
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        # JSON protocol (ECS): "AmazonEC2ContainerServiceV20141113.CreateService".
        self.action = target.split(".")[-1] if target else ""
        self.body = body
        self.params = {}
        if target:
            try:
                self.params = json.loads(body or b"{}")
            except ValueError:
                self.params = {}
        elif body:
            # Query protocol (EC2, RDS): Action=RunInstances&...
            from urllib.parse import parse_qs

            q = parse_qs(body.decode("utf-8", "replace"))
            self.params = {k: v[0] for k, v in q.items()}
            self.action = self.params.get("Action", "")
        self.account = DEFAULT_ACCOUNT_ID
        self.status = None  # HTTP status of moto's answer, set before after() hooks run


class Launcher:
    """What a stand-in's `wrap(app, launcher)` gets: the launcher's request parsing and call record."""

    def __init__(self, record_file, args):
        self.Request = Request
        self.args = args  # the parsed command line (e.g. args.faults)
        self._record_file = record_file

    def record(self, line):
        """Appends one line to the call record (--record), if there is one."""
        if self._record_file is None:
            return
        with _RECORD_LOCK:
            self._record_file.write(line.rstrip("\n") + "\n")
            self._record_file.flush()


class StandinApp:
    """WSGI middleware: hooks before and after moto's own application."""

    def __init__(self, inner, modules, launcher):
        self.inner = inner
        self.modules = modules
        self.launcher = launcher

    def _call_hooks(self, name, req):
        for mod in self.modules:
            hook = getattr(mod, name, None)
            if hook is None:
                continue
            try:
                hook(req)
            except Exception:  # a broken stand-in must not look like an AWS error
                sys.stderr.write(f"stand-in {mod.__name__}.{name} failed for {req.action}:\n")
                traceback.print_exc()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            return self.inner(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = BytesIO(body)
        req = Request(environ, body)
        status_holder = {}

        def capture(status, headers, exc_info=None):
            status_holder["status"] = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        with _LOCK:
            self.launcher.record(f"{req.service} {req.action}")
            self._call_hooks("before", req)
            chunks = list(self.inner(environ, capture))
            req.status = status_holder.get("status")
            self._call_hooks("after", req)
        return chunks


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("--standins", default="", help="comma-separated stand-in modules")
    parser.add_argument("--record", default="", help="append `service Action` per call to this file")
    parser.add_argument("--faults", default="", help="fault rules (JSON) to start with; loads faults.py")
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    names = [n for n in args.standins.split(",") if n]
    if args.faults and "faults" not in names:
        names.append("faults")
    modules = [importlib.import_module(n) for n in names]
    launcher = Launcher(open(args.record, "a") if args.record else None, args)
    app = StandinApp(DomainDispatcherApplication(create_backend_app), modules, launcher)
    # Wrappers go around everything, outside the global lock; the first named is the outermost.
    for mod in reversed(modules):
        wrap = getattr(mod, "wrap", None)
        if wrap is not None:
            app = wrap(app, launcher)
    run_simple(
        args.host,
        args.port,
        app,
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
