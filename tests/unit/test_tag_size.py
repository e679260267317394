"""The snippet and the tag stay within their gzip budgets (MISSION: 600 B / 5 KB)."""

import gzip
from pathlib import Path

import pytest

DIST = Path(__file__).resolve().parents[2] / "tag" / "dist"
BUDGETS = {"snippet.min.js": 600, "tag.js": 5 * 1024}


@pytest.mark.parametrize(("name", "budget"), BUDGETS.items())
def test_gzip_size_within_budget(name, budget):
    data = (DIST / name).read_bytes()
    assert len(gzip.compress(data, compresslevel=9)) <= budget


def test_snippet_has_the_tag_url_placeholder_and_no_console_use():
    snippet = (DIST / "snippet.min.js").read_text()
    assert "__XSELL_TAG_URL__" in snippet
    assert "console" not in snippet and "console" not in (DIST / "tag.js").read_text()


def test_tag_never_uses_html_injection_or_eval():
    tag = (DIST / "tag.js").read_text()
    for forbidden in ("innerHTML", "outerHTML", "eval(", "document.write", "new Function"):
        assert forbidden not in tag
