"""The house: which part of the package may use which, and the size of its rooms.

The layout shows the architecture (README, « Layout »): ``engine`` computes, ``io`` reads and
writes, ``present`` puts into words, tables and charts, ``session`` holds the session's data,
``ui`` and ``pages/`` are the only ones that touch Streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "guichet"
MODULES = sorted(PACKAGE.rglob("*.py"))
PAGES = sorted((ROOT / "pages").glob("*.py"))

#: What each part may import from the package (besides itself). The engine's messages are French
#: sentences: it uses the vocabulary (formatting, labels) of ``present``, nothing more.
ALLOWED = {
    "engine": {"guichet.present.formatting", "guichet.present.labels"},
    "io": {"guichet.engine", "guichet.present"},
    "present": {"guichet.engine"},
    "session": {"guichet.engine", "guichet.io", "guichet.present"},
    "ui": {"guichet.engine", "guichet.io", "guichet.present", "guichet.session"},
    "cli": {"guichet.engine", "guichet.io", "guichet.present"},
}
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def part_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function (not those imported for
    the type checker only, under ``if TYPE_CHECKING:``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If)
        and isinstance(block.test, ast.Name)
        and block.test.id == "TYPE_CHECKING"
        for n in ast.walk(block)
    }
    out = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", [m for m in MODULES if part_of(m) != "ui"], ids=_rel)
def test_the_core_never_imports_streamlit(path: Path) -> None:
    assert not {m for m in imported(path) if m.split(".")[0] == "streamlit"}


@pytest.mark.parametrize("path", [m for m in MODULES if part_of(m) in ALLOWED], ids=_rel)
def test_each_part_uses_only_the_parts_below_it(path: Path) -> None:
    part = part_of(path)
    own = f"guichet.{part}"
    allowed = ALLOWED[part] | {own}
    wrong = sorted(
        m
        for m in imported(path)
        if m.startswith("guichet.") and m.count(".") >= 2 or m in ("guichet.ui",)
        if not any(m == a or m.startswith(a + ".") for a in allowed) and not m.startswith(own)
    )
    assert not wrong, f"{_rel(path)} ({part}) imports {wrong}"


@pytest.mark.parametrize("path", PAGES, ids=_rel)
def test_pages_never_import_each_other(path: Path) -> None:
    assert not {m for m in imported(path) if m.split(".")[0] == "pages"}


@pytest.mark.parametrize("path", MODULES + PAGES, ids=_rel)
def test_no_module_over_600_lines_no_function_over_80(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= MAX_MODULE_LINES
    long = [
        (n.name, n.end_lineno - n.lineno + 1)
        for n in ast.walk(ast.parse(text))
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        and n.end_lineno is not None
        and n.end_lineno - n.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{_rel(path)}: {long}"


def test_the_rules_are_read_from_the_engine_s_own_folder() -> None:
    assert (PACKAGE / "engine" / "rules" / "rules.toml").is_file()
    assert not (PACKAGE / "rules").exists()
