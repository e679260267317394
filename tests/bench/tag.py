"""Gzip sizes of the built snippet and tag (budgets: 600 B and 5 KB)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

DIST = Path(__file__).resolve().parents[2] / "tag" / "dist"


def run() -> Iterator[tuple[str, float, str]]:
    yield "tag.snippet_gzip_bytes", len(gzip.compress((DIST / "snippet.min.js").read_bytes(), 9)), "bytes"
    yield "tag.tag_gzip_bytes", len(gzip.compress((DIST / "tag.js").read_bytes(), 9)), "bytes"
