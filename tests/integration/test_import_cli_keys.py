"""`xsell import` from a shell that exports its own AWS keys reaches the same local tables
(DynamoDB Local keeps one database per access key unless started with -sharedDb)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.conftest import ROOT
from tests.fixtures.csv import register
from tests.integration.test_import_cli import importer_running
from xsell.models import Profile

XSELL = Path(sys.executable).parent / "xsell"


def test_the_cli_works_with_the_shell_s_own_aws_keys(emulators, local_system, tmp_path):
    partner = register(f"keys-{uuid.uuid4().hex[:8]}")
    path = tmp_path / "members.csv"
    path.write_text(f"customer_id,birth_year\n{partner}-1,1990\n")
    env = {
        **os.environ,
        **emulators.client_environment(),
        # What a developer's shell may export: keys of a real account, which the emulators never saw.
        "AWS_ACCESS_KEY_ID": "somethingelse",
        "AWS_SECRET_ACCESS_KEY": "somethingelse-secret",
    }
    command = [str(XSELL), "import", str(path), "--partner", partner, "--dataset", "profiles"]
    with importer_running(local_system):
        done = subprocess.run(
            [*command, "--timeout", "60"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert "ResourceNotFoundException" not in done.stderr
    assert done.returncode == 0, done.stdout + done.stderr
    assert "succeeded: 1 rows read, 1 imported" in done.stdout
    assert Profile.get(f"{partner}-1").attributes.as_dict() == {"birth_year": 1990}
