"""Every report column has a header label in both languages of the admin page."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import ROOT
from xsell.reporting import service


def messages(lang: str) -> dict[str, str]:
    script = (
        f"import('./admin_spa/src/messages/{lang}.js')"
        ".then((m) => process.stdout.write(JSON.stringify(m.default)))"
    )
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_report_column_has_a_label(lang):
    found = messages(lang)
    columns = {c for spec in service.REPORTS.values() for c in spec.columns}
    missing = sorted(c for c in columns if not found.get(f"reports.col.{c}", "").strip())
    assert missing == []
    labels = [found[f"reports.col.{c}"] for c in sorted(columns)]
    assert len(set(labels)) == len(labels), "two columns with the same label"
