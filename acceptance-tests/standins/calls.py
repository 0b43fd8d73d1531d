"""A TEST DOUBLE helper for the acceptance tests (never part of the provider): counts AWS calls.

Loaded by launch.py (`--standins=calls`), it appends "SERVICE ACTION" for every API request moto
answers to `calls.log` in the server's working directory (the test's workspace), so a test can
count, say, DescribeServices calls during one `terraform plan` (truncate the file first).
"""

import os

LOG = os.path.join(os.getcwd(), "calls.log")


def after(req):
    if not req.action:
        return
    with open(LOG, "a", encoding="utf-8") as f:
        f.write(f"{req.service} {req.action}\n")
