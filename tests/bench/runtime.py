"""How long the local emulators take to become healthy and to stop, and what bytecode in the
layers saves a cold start.

``local.decide_cold_import_s_*``: a fresh interpreter importing the decide handler with the
core and deps layers first on its path, as Lambda puts ``/opt/python`` first, and writing no
bytecode (``/opt`` is read-only): with both layers as source only (``layers_source``), with the
deps layer compiled as ``make layer-deps`` ships it (``deps_compiled``: hash-checked ``.pyc``),
and with the core layer compiled too (``all_compiled``, not shipped: the core layer is source
edited in place). This machine's interpreter stands in for the runtime's; boto3 comes from the
environment, as from the runtime. Best of interleaved runs; ``local.layer_bytecode_import_ratio``
is ``deps_compiled`` over ``layers_source``.
"""

from __future__ import annotations

import compileall
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from local.emulators import Emulators, free_port

ROOT = Path(__file__).resolve().parents[2]
LAYERS = {"core": ROOT / "layers" / "core" / "python", "deps": ROOT / "layers" / "deps" / "python"}
IMPORT_RUNS = 15


def _emulators() -> Iterator[tuple[str, float, str]]:
    emulators = Emulators(dynamodb_port=free_port(), moto_port=free_port())
    start = time.perf_counter()
    emulators.start()
    up = time.perf_counter() - start
    start = time.perf_counter()
    emulators.stop()
    yield "local.emulators_start_s", round(up, 2), "s"
    yield "local.emulators_stop_s", round(time.perf_counter() - start, 2), "s"


def _copy_layers(into: Path, compiled: tuple[str, ...]) -> list[str]:
    paths = []
    for name, source in LAYERS.items():
        target = into / name
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".installed"))
        if name in compiled:
            mode = py_compile.PycInvalidationMode.CHECKED_HASH
            assert compileall.compile_dir(target, quiet=1, workers=0, invalidation_mode=mode)
        paths.append(str(target))
    return paths


def _cold_import_s(paths: list[str]) -> float:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "XSELL_STAGE": "local",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join([*paths, str(ROOT)]),
    }
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import functions.decide.handler"], check=True, env=env, cwd=ROOT)
    return time.perf_counter() - start


def _layer_bytecode() -> Iterator[tuple[str, float, str]]:
    variants = {"layers_source": (), "deps_compiled": ("deps",), "all_compiled": ("core", "deps")}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {name: _copy_layers(Path(tmp) / name, compiled) for name, compiled in variants.items()}
        best = dict.fromkeys(variants, float("inf"))
        for _ in range(IMPORT_RUNS):
            for name in variants:
                best[name] = min(best[name], _cold_import_s(paths[name]))
    for name in variants:
        yield f"local.decide_cold_import_s_{name}", round(best[name], 3), "s"
    ratio = best["deps_compiled"] / best["layers_source"]
    yield "local.layer_bytecode_import_ratio", round(ratio, 2), "ratio"


def run() -> Iterator[tuple[str, float, str]]:
    yield from _emulators()
    yield from _layer_bytecode()
