"""Stand-in that records every AWS call moto answers, one line each ("SERVICE ACTION STATUS"), in
calls.log in the server's working directory (a test's temp dir). Tests read it to count calls,
e.g. to check that concurrent refreshes share one batched Describe call. It changes nothing."""

import os

_PATH = os.path.join(os.getcwd(), "calls.log")


def after(req):
    with open(_PATH, "a", encoding="utf-8") as f:
        f.write(f"{req.service} {req.action} {req.status}\n")
