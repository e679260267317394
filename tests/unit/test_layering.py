"""The layering of the core package: the data-access layer knows storage and models only.

``xsell/dal/**`` may import ``xsell.models``, ``xsell.env``, ``xsell.errors`` and its own
modules, never the domain packages above it; the services (``decisioning/service.py``,
``measuring/service.py``, ``importing/runner.py``, ``admin/configs.py``) join the two.
Imports are read from the source with ``ast``, wherever they stand (inside functions and
``TYPE_CHECKING`` blocks too).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

XSELL = Path(__file__).resolve().parents[2] / "layers" / "core" / "python" / "xsell"
FORBIDDEN_IN_DAL = (
    "xsell.decisioning",
    "xsell.importing",
    "xsell.measuring",
    "xsell.admin",
    "xsell.reporting",
)


def imports(source: str, module: str) -> Iterator[tuple[int, list[str]]]:
    """(line, absolute module names it may load) of every import statement in ``source``,
    the text of the module ``module``."""
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield node.lineno, [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            # "from xsell import decisioning" loads a package by its alias's name.
            yield node.lineno, [name, *(f"{name}.{alias.name}" for alias in node.names)]


def violations(source: str, module: str, forbidden: tuple[str, ...] = FORBIDDEN_IN_DAL) -> list[str]:
    """One line per import statement of ``source`` that loads a ``forbidden`` package."""
    found = []
    for line, names in imports(source, module):
        bad = [n for n in names for b in forbidden if n == b or n.startswith(b + ".")]
        if bad:
            found.append(f"{module}:{line} imports {bad[0]}")
    return found


def dal_modules() -> list[tuple[str, Path]]:
    root = XSELL.parent
    return [
        (".".join(path.relative_to(root).with_suffix("").parts), path)
        for path in sorted((XSELL / "dal").rglob("*.py"))
    ]


def test_the_dal_is_found():
    names = [name for name, _ in dal_modules()]
    assert {"xsell.dal.items", "xsell.dal.profiles", "xsell.dal.counters"} <= set(names)


def test_the_dal_imports_no_domain_package():
    found = [v for name, path in dal_modules() for v in violations(path.read_text("utf-8"), name)]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        "from xsell.decisioning.volume import Quota",
        "import xsell.importing.datasets",
        "from xsell import measuring",
        "from ..admin import roles",
        "def f():\n    from xsell.reporting import sql\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from xsell.decisioning import engine\n",
    ],
)
def test_the_check_finds_a_domain_import(source: str):
    assert len(violations(source, "xsell.dal.example")) == 1


@pytest.mark.parametrize(
    "source",
    [
        "from xsell.models import Profile",
        "from xsell.dal import items",
        "from . import aws",
        "from xsell import env, errors",
        "import xsell.decisioningx",  # a prefix of a name is not the package
    ],
)
def test_the_check_allows_storage_imports(source: str):
    assert violations(source, "xsell.dal.example") == []
