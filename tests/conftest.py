"""Shared fixtures: the emulators once per session, reached through pytest-localstack.

Unit tests never touch them (their conftest blocks the network). Integration and
e2e tests request ``aws`` (or ``local_system``); the emulators then start on free
loopback ports and botocore, and so boto3 and PynamoDB, is patched to reach them
and nothing else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_localstack.session import RunningSession

from local.emulators import REGION, Emulators, free_port

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "test-results"
# Only these services are routed through RunningSession; each names its emulator's port.
_ROUTED = ("dynamodb", "s3", "sqs", "firehose", "secretsmanager", "ssm")

# No test may reach a real AWS account, whatever the developer's shell holds.
for _var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_var, None)
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)


@pytest.fixture(scope="session")
def emulators() -> Iterator[Emulators]:
    with Emulators(
        dynamodb_port=free_port(), moto_port=free_port(), log_dir=RESULTS / "emulator-logs"
    ) as emu:
        yield emu


@pytest.fixture(scope="session")
def aws(emulators: Emulators) -> Iterator[RunningSession]:
    """botocore patched to the local emulators for the rest of the session."""
    ports = {name: port for name, port in emulators.ports.items() if name in _ROUTED}
    session = RunningSession("127.0.0.1", services=ports, region_name=REGION)
    # RunningSession knows no cognito-idp service name, but routes whatever its map holds: the
    # admin function's users screen calls the emulated user pool through boto3 like the others.
    session.services["cognito-idp"] = emulators.ports["cognito-idp"]
    with session.botocore.patch_botocore():
        from xsell.dal import aws as dal_aws

        dal_aws.reset()
        yield session


@pytest.fixture(scope="session")
def local_system(aws: RunningSession) -> Iterator[object]:
    """Gateway, CDN and demo sites, with the demo config seeded. The dispatcher is
    drained explicitly by the tests that import."""
    from demo import seed
    from local.system import LocalSystem

    system = LocalSystem(run_dispatcher=False).start()
    assert system.cdn is not None
    seed.seed_config(system.site_urls, system.cdn.url)
    try:
        yield system
    finally:
        system.stop()
