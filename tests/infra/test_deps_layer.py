"""The deps layer as ``make layer-deps`` builds it: the layer's own packages, never a second copy
of what the Lambda runtime provides (a layer comes first on sys.path, so such a copy would
replace the runtime's boto3/botocore for every function)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "deps" / "python"
REQUIREMENTS = ROOT / "layers" / "deps" / "requirements.txt"


def _runtime_provided() -> list[str]:
    """RUNTIME_PROVIDED in the Makefile: what the build removes from the layer."""
    found = re.search(r"^RUNTIME_PROVIDED :=(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert found, "the Makefile defines RUNTIME_PROVIDED"
    return found.group(1).split()


def _pinned() -> set[str]:
    names = set()
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(re.split(r"[=<>!~\[; ]", line, maxsplit=1)[0].lower().replace("-", "_"))
    return names


def _distributions() -> set[str]:
    """The distributions installed in the layer, by their dist-info names."""
    return {p.name.split("-")[0].lower() for p in LAYER.glob("*.dist-info")}


def test_the_build_removes_the_sdk_and_its_dependencies():
    assert {"boto3", "botocore", "urllib3", "s3transfer"} <= set(_runtime_provided())


def test_the_built_layer_has_no_botocore_or_other_copy_of_the_runtime_sdk():
    assert LAYER.is_dir(), "run `make layer-deps` first"
    shipped = {p.name for p in LAYER.iterdir()} | _distributions()
    for name in _runtime_provided():
        if name in _pinned():
            continue  # pinned in requirements.txt on purpose
        assert not {name, f"{name}.py"} & shipped, f"layers/deps/python ships {name} over the runtime's"
    assert not (LAYER / "botocore").exists()


def test_the_built_layer_has_every_pinned_package():
    assert _pinned() <= _distributions(), sorted(_pinned() - _distributions())


def test_the_layer_ships_bytecode_of_the_runtime_python_only():
    """Bytecode of any other interpreter (a local test run's) stays out of the asset."""
    import aws_cdk as cdk

    from infra.constructs.python_function import DEPS_LAYER_EXCLUDE, RUNTIME_BYTECODE

    assert RUNTIME_BYTECODE == "cpython-313"
    ignore = cdk.GlobIgnoreStrategy(str(LAYER.parent), DEPS_LAYER_EXCLUDE)
    package = LAYER / "pynamodb" / "__pycache__"
    assert not ignore.ignores(str(package / f"models.{RUNTIME_BYTECODE}.pyc"))
    assert ignore.ignores(str(package / "models.cpython-311.pyc"))
    assert ignore.ignores(str(LAYER.parent / "requirements.txt"))
    assert not ignore.ignores(str(LAYER / "pynamodb" / "models.py"))
