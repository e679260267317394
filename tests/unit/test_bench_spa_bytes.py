"""The admin page's byte budget counts what loads before sign-in: index.html's files and every
module their scripts import statically, never a screen behind a dynamic import()."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench import spa


def test_static_imports_and_re_exports_count_dynamic_imports_do_not():
    source = (
        'import{a as b}from"./chunk-A.js";import"./side.js";export{q}from"./chunk-B.js";'
        'export*from"../up.js";const s=()=>import("./screen.js");x.import("./no.js");'
        "import c from \"https://cdn.example/x.js\";\nimport d from './quoted.js'"
    )
    expected = ["./chunk-A.js", "./side.js", "./chunk-B.js", "../up.js", "./quoted.js"]
    assert spa.static_imports(source) == expected


def test_loaded_files_follow_static_imports_transitively_once_each(tmp_path: Path):
    app = 'import{h}from"./chunk-shared.js";const s=()=>import("./chunk-screen.js");'
    (tmp_path / "app-1.js").write_text(app)
    (tmp_path / "boot-1.js").write_text("var x=1;")
    (tmp_path / "chunk-shared.js").write_text('export{t}from"./chunk-deep.js";')
    (tmp_path / "chunk-deep.js").write_text('import"./chunk-shared.js";export const t=1;')
    (tmp_path / "chunk-screen.js").write_text('import{h}from"./chunk-shared.js";')
    (tmp_path / "app.css").write_text("body{}")
    index = (
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="app.css">'
        '<script type="module" src="boot-1.js"></script><script type="module" src="app-1.js"></script>'
        '<link rel="modulepreload" href="chunk-shared.js"><link rel="preconnect" href="https://x.example">'
    )
    assert spa.initial_files(index) == ["boot-1.js", "app-1.js", "app.css", "chunk-shared.js"]
    assert spa.loaded_files(index, tmp_path) == [
        "boot-1.js",
        "app-1.js",
        "app.css",
        "chunk-shared.js",
        "chunk-deep.js",
    ]


def test_a_module_that_imports_a_missing_file_is_an_error(tmp_path: Path):
    (tmp_path / "app.js").write_text('import"./gone.js";')
    with pytest.raises(FileNotFoundError):
        spa.loaded_files('<script type="module" src="app.js"></script>', tmp_path)
