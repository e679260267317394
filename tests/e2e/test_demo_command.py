"""`python -m local demo` (what `make demo` runs) starts everything, prints the URLs, stops cleanly."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from local.emulators import free_port
from tests.conftest import ROOT


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_demo_prints_urls_serves_the_sites_and_stops_everything():
    ports = {"XSELL_LOCAL_DYNAMODB_PORT": free_port(), "XSELL_LOCAL_MOTO_PORT": free_port()}
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "local", "demo", "--customers", "200"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Press Ctrl-C to stop." in line:
                break
        output = "".join(lines)
        assert "imports: succeeded, succeeded" in output, output
        sites = dict(re.findall(r"brand site (\w+)\s+(http://\S+)", output))
        assert set(sites) == {"hana", "tabi", "umi"}
        assert re.search(r"admin page\s+http://127\.0\.0\.1:\d+/admin/", output)
        assert re.search(r"API\s+http://127\.0\.0\.1:\d+/v1/decide", output)
        with urllib.request.urlopen(sites["hana"], timeout=10) as response:
            assert "xsell" in response.read().decode()
        # Each printed page shows a customer who gets a banner there (C000001 used to get none).
        gateway = re.search(r"API\s+(http://127\.0\.0\.1:\d+)/v1/decide", output).group(1)
        for brand, url in sites.items():
            customer = url.split("customer=")[1]
            body = json.dumps({"site": f"{brand}-web", "customer": {"id": customer}, "slots": ["top-banner"]})
            # As the brand's page asks (with its Origin): only such calls take the demo's caps.
            request = urllib.request.Request(
                f"{gateway}/v1/decide",
                body.encode(),
                method="POST",
                headers={"Origin": "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(url))},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert json.loads(response.read())["slots"], (brand, customer)
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "xsell demo stopped." in rest
    # The decide calls above counted metrics: the demo's terminal shows no EMF JSON.
    assert '"_aws"' not in output + rest
    assert not any(_listening(p) for p in ports.values())
