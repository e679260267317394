"""Local systems started one after the other in one process each serve from their own emulators.

A process that starts a second system (a benchmark run, a demo restarted in a notebook) must
not keep a client, a PynamoDB connection, a config snapshot or leased blocks of the first: the
first system's emulators are gone, and their ports may belong to anything by now. The systems
run in a child process with their own emulators: this test session's routing of botocore to
its shared emulators would hide exactly the endpoints under test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

from tests.conftest import ROOT

SYSTEMS = 2


def _decide(system: object, customer: str) -> dict[str, object]:
    """One decide through the system's gateway, from the hana demo page's own origin."""
    origin = system.site_urls["hana"]  # type: ignore[attr-defined]
    request = urllib.request.Request(
        f"{system.gateway.url}/v1/decide",  # type: ignore[attr-defined]
        data=json.dumps({"site": "hana-web", "customer": {"id": customer}, "slots": ["top-banner"]}).encode(),
        method="POST",
        headers={"content-type": "text/plain;charset=UTF-8", "origin": origin},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return {"status": response.status, "body": json.loads(response.read())}
    except urllib.error.HTTPError as exc:
        return {"status": exc.code, "body": exc.read().decode(errors="replace")}


def systems_in_turn() -> list[dict[str, object]]:
    """Start SYSTEMS local systems one after the other in this process; decide once in each."""
    from demo import seed
    from local.emulators import Emulators, free_port
    from local.system import LocalSystem

    answers = []
    for n in range(SYSTEMS):
        with Emulators(dynamodb_port=free_port(), moto_port=free_port()) as emulators:
            os.environ.update(emulators.client_environment())
            system = LocalSystem(run_dispatcher=False).start()
            try:
                assert system.cdn is not None
                seed.seed_config(system.site_urls, system.cdn.url)
                answers.append({"dynamodb": emulators.endpoints["dynamodb"], **_decide(system, f"TURN{n}")})
            finally:
                system.stop()
    return answers


def test_a_second_local_system_in_the_same_process_serves_decide_from_its_own_tables():
    code = (
        "import json; from tests.integration.test_local_systems import systems_in_turn; "
        "print(json.dumps(systems_in_turn()))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(answers) == SYSTEMS
    assert answers[0]["dynamodb"] != answers[1]["dynamodb"]
    for answer in answers:
        assert answer["status"] == 200, answer
        assert answer["body"]["slots"]["top-banner"]["campaign_id"], answer  # type: ignore[index]
