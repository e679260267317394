"""The snippet and the tag stay within their gzip budgets (MISSION: 600 B / 5 KB)."""

import base64
import gzip
import hashlib
import json
import re
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


def test_snippet_is_es5_for_tag_managers():
    # Google Tag Manager's Custom HTML tags and old browsers parse the snippet as ES5.
    snippet = (DIST / "snippet.min.js").read_text()
    for modern in ("=>", "let ", "const ", "`", "class ", "..."):
        assert modern not in snippet


def test_the_versioned_tag_is_the_stable_tag_under_a_content_hash():
    manifest = json.loads((DIST / "manifest.json").read_text())
    assert re.fullmatch(r"tag\.[0-9a-f]{12}\.js", manifest["tag"])
    assert (DIST / manifest["tag"]).read_bytes() == (DIST / "tag.js").read_bytes()
    digest = base64.b64encode(hashlib.sha384((DIST / "tag.js").read_bytes()).digest()).decode()
    assert manifest["integrity"] == f"sha384-{digest}"
