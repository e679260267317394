"""Tracing inside the Lambda runtime: a handler's invocation reaches the X-Ray daemon as a subsegment.

A fresh interpreter plays the Lambda runtime (``LAMBDA_TASK_ROOT``, a sampled trace header, the
daemon address); this test is the daemon, listening for UDP on loopback. Outside the runtime the
handlers do not trace at all (tests/unit/test_observability.py).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

from tests.conftest import ROOT
from xsell import observability as obs

TRACE_ID = "1-6747a3f0-5a0bd2d4c1b34e2f8a9d7c61"

INVOKE = """
import json
from functions.collect import handler
from local.lambda_runtime import LocalContext
event = {"httpMethod": "POST", "path": "/v1/events", "resource": "/v1/events", "headers": {},
         "body": "{not json", "isBase64Encoded": False, "requestContext": {"requestId": "r-1"}}
print(json.dumps({"status": handler.lambda_handler(event, LocalContext("xsell-collect"))["statusCode"],
                  "tracer": type(handler.tracer).__module__}))
"""


def _documents(data: bytes) -> list[dict]:
    """An X-Ray daemon datagram: a JSON header line, then one segment document."""
    return [json.loads(line) for line in data.decode().splitlines()[1:] if line.strip()]


def test_a_traced_handler_sends_its_subsegment_to_the_daemon():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(("127.0.0.1", 0))
        daemon.settimeout(30)
        port = daemon.getsockname()[1]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": f"{ROOT}:{ROOT / 'layers/core/python'}",
            "XSELL_STAGE": "local",
            "AWS_DEFAULT_REGION": "ap-northeast-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            obs.LAMBDA_TASK_ROOT: "/var/task",
            "_X_AMZN_TRACE_ID": f"Root={TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1",
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{port}",
            "POWERTOOLS_SERVICE_NAME": "xsell-collect",
        }
        run = subprocess.run(
            [sys.executable, "-c", INVOKE], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stderr
        answer = json.loads(run.stdout.strip().splitlines()[-1])
        assert answer == {"status": 400, "tracer": "aws_lambda_powertools.tracing.tracer"}

        documents = _documents(daemon.recv(65536))
    [subsegment] = [d for d in documents if d.get("name") == "## lambda_handler"]
    assert subsegment["trace_id"] == TRACE_ID
    assert subsegment["annotations"]["Service"] == "xsell-collect"
    assert subsegment["annotations"]["ColdStart"] is True
    # Responses are not recorded: they carry tokens and customer data.
    assert "lambda_handler response" not in json.dumps(subsegment.get("metadata", {}))
