"""The audit log's actions: one list, which the admin API enforces and the admin page names in
each language and offers as a filter."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import ROOT
from xsell.admin import audit
from xsell.admin.access import Principal
from xsell.errors import InvalidRequest


def _node(script: str) -> object:
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def test_the_admin_page_knows_every_action_and_names_it_in_both_languages():
    pages = _node(
        "Promise.all([import('./admin_spa/src/screens/audit.js'),"
        " import('./admin_spa/src/messages/ja.js'), import('./admin_spa/src/messages/en.js')])"
        ".then(([a, ja, en]) => process.stdout.write(JSON.stringify("
        "{actions: a.AUDIT_ACTIONS, ja: ja.default, en: en.default})))"
    )
    assert isinstance(pages, dict)
    assert tuple(pages["actions"]) == audit.ACTIONS
    for language in ("ja", "en"):
        labels = [pages[language].get(f"audit.act.{a}") for a in audit.ACTIONS]
        assert all(labels), (language, labels)
        assert len(set(labels)) == len(labels), language  # no two actions read alike


def test_an_action_outside_the_list_is_refused_before_anything_is_written(monkeypatch):
    written: list[object] = []
    monkeypatch.setattr(audit.audit_store, "append", lambda *a: written.append(a))
    with pytest.raises(ValueError, match="not one of audit.ACTIONS"):
        audit.record(Principal("u", "u@example.jp", "group-admin", None), "edit", "campaign/x", None)
    assert written == []


def test_a_search_for_an_unknown_action_names_the_field(monkeypatch):
    monkeypatch.setattr(audit.audit_store, "entries", lambda *a: iter(()))
    reader = Principal("u", "u@example.jp", "viewer", None)
    with pytest.raises(InvalidRequest) as refused:
        audit.search(reader, action="publsh")
    assert refused.value.field == "action" and "publish" in str(refused.value)
    assert audit.search(reader, action="publish") == []
