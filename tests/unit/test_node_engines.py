"""The Node version the README states is the one package.json declares (npm enforces it through
.npmrc), and every pinned node package runs on the oldest Node that declaration allows."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import ROOT

PACKAGE = json.loads((ROOT / "package.json").read_text())
LOCK = json.loads((ROOT / "package-lock.json").read_text())
_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?$")


def _version(text: str) -> tuple[int, int, int]:
    match = _VERSION.match(text.strip())
    if not match:
        raise ValueError(f"not a version: {text!r}")
    return tuple(int(p) if p and p.isdigit() else 0 for p in match.groups())  # type: ignore[return-value]


def _satisfies(version: tuple[int, int, int], comparator: str) -> bool:
    """One npm comparator: >=, >, <=, <, =, ^, ~ or a bare (possibly partial) version."""
    comparator = comparator.replace(" ", "")
    for op in (">=", "<=", ">", "<", "^", "~", "="):
        if comparator.startswith(op):
            bound = _version(comparator[len(op) :])
            break
    else:
        op, bound = "bare", _version(comparator)
    parts = len([p for p in re.split(r"\.", comparator.lstrip("<>=^~v")) if p.isdigit()])
    if op == ">=":
        return version >= bound
    if op == ">":
        return version > bound
    if op == "<=":
        return version <= bound
    if op == "<":
        return version < bound
    if op == "=":
        return version == bound
    if op == "^":
        return version >= bound and version[0] == bound[0]
    if op == "~":
        return version >= bound and version[:2] == bound[:2]
    return version[:parts] == bound[:parts]  # "20" is 20.x.x


def satisfies(version: tuple[int, int, int], node_range: str) -> bool:
    """Whether ``version`` is in an npm ``engines.node`` range (``||`` of space-joined comparators)."""
    for alternative in node_range.split("||"):
        comparators = re.findall(r"(?:[<>]=?|[=^~])?\s*v?[\d.x*]+", alternative)
        if comparators and all(_satisfies(version, c) for c in comparators):
            return True
    return False


def _floors(node_range: str) -> list[tuple[int, int, int]]:
    """The oldest version each alternative of our own range allows."""
    return [_version(re.sub(r"^[>=^~\s]+", "", alt.strip()).split()[0]) for alt in node_range.split("||")]


@pytest.mark.parametrize(
    ("version", "node_range", "expected"),
    [
        ("20.19.0", ">=22.22.2", False),
        ("20.19.0", ">=18.2.0", True),
        ("20.18.9", "^20.19.0 || ^22.12.0 || >=24.0.0", False),
        ("21.0.0", "^20.19.0 || ^22.12.0 || >=24.0.0", False),
        ("22.12.0", "^20.19.0 || ^22.12.0 || >=24.0.0", True),
        ("20.19.0", "20 || >=22", True),
        ("20.19.0", ">= 14", True),
        ("20.19.0", ">=v12.22.7", True),
        ("20.19.0", "^10 || ^12.20.0 || ^14.13.0 || >=15.0.0", True),
        ("20.19.0", ">=0.10.3 <15", False),
    ],
)
def test_the_range_check_reads_npm_ranges(version, node_range, expected):
    assert satisfies(_version(version), node_range) is expected


def test_every_pinned_package_runs_on_the_oldest_node_we_declare():
    declared = PACKAGE["engines"]["node"]
    floors = _floors(declared)
    assert floors == [(20, 19, 0), (22, 12, 0), (24, 0, 0)]
    refusing = {
        f"{path.removeprefix('node_modules/')}@{entry['version']} needs node {entry['engines']['node']}"
        for path, entry in LOCK["packages"].items()
        if path and isinstance(entry.get("engines"), dict) and "node" in entry["engines"]
        for floor in floors
        if not satisfies(floor, entry["engines"]["node"])
    }
    assert refusing == set()


def test_the_readme_states_the_declared_node_versions_and_npm_enforces_them():
    readme = (ROOT / "README.md").read_text()
    assert "Node 20.19+ or 22.12+" in readme
    assert LOCK["packages"][""]["engines"] == PACKAGE["engines"]  # the lock file is current
    assert "engine-strict=true" in (ROOT / ".npmrc").read_text().splitlines()
