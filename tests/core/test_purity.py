"""clinicbox_core stays pure: no file, socket, process, database or (rule code) clock access."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import pytest

import clinicbox_core

FORBIDDEN_MODULES = {
    "socket", "ssl", "sqlite3", "subprocess", "requests", "aiohttp", "asyncio", "http",
    "urllib", "ftplib", "smtplib", "shutil", "tempfile", "glob", "os", "io", "select",
    "selectors", "multiprocessing", "importlib", "time", "aiomqtt", "paho", "smartcard",
    "serial", "escpos", "sqlalchemy", "psycopg", "aiosqlite", "sqlite_utils", "alembic", "PIL",
}  # fmt: skip
FORBIDDEN_CALLS = {"open", "print", "input", "__import__", "exec", "eval"}
PATH_IO_METHODS = {
    "write_text", "write_bytes", "read_text", "read_bytes", "open", "mkdir", "touch",
    "unlink", "rename", "rmdir", "iterdir", "glob", "rglob",  # not "replace": str.replace
}  # fmt: skip
CLOCK_METHODS = {"now", "today", "utcnow", "time", "monotonic"}
# Rule and document code takes dates as arguments; message defaults may stamp the time.
CLOCK_FREE_PACKAGES = ("clinicbox_core.nhi", "clinicbox_core.printdoc")


def violations(source: str, *, clock_free: bool) -> list[str]:
    """Every forbidden import or call in ``source`` (one string per finding)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            names = []
        for name in names:
            if name.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"line {getattr(node, 'lineno', 0)}: import {name}")
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                found.append(f"line {node.lineno}: call {func.id}()")
            if isinstance(func, ast.Attribute):
                if func.attr in PATH_IO_METHODS:
                    found.append(f"line {node.lineno}: call .{func.attr}()")
                if clock_free and func.attr in CLOCK_METHODS:
                    found.append(f"line {node.lineno}: clock .{func.attr}()")
    return found


def _modules() -> list[tuple[str, Path]]:
    root = Path(next(iter(clinicbox_core.__path__)))
    mods = [("clinicbox_core", root / "__init__.py")]
    for info in pkgutil.walk_packages([str(root)], prefix="clinicbox_core."):
        path = root.joinpath(*info.name.split(".")[1:])
        mods.append((info.name, path / "__init__.py" if info.ispkg else path.with_suffix(".py")))
    return mods


def test_walk_finds_the_rule_modules() -> None:
    names = {name for name, _ in _modules()}
    assert {"clinicbox_core.nhi.copay", "clinicbox_core.printdoc.documents"} <= names


@pytest.mark.parametrize(("name", "path"), _modules(), ids=lambda v: str(v))
def test_module_is_pure(name: str, path: Path) -> None:
    clock_free = name.startswith(CLOCK_FREE_PACKAGES)
    assert violations(path.read_text(encoding="utf-8"), clock_free=clock_free) == []


@pytest.mark.parametrize(
    "source",
    [
        "import socket",
        "from sqlite3 import connect",
        "import asyncio.tasks",
        "from subprocess import run",
        "x = open('f')",
        "from pathlib import Path\nPath('x').write_text('y')",
        "from datetime import date\nd = date.today()",
        "import aiohttp",
    ],
)
def test_checker_flags_impure_code(source: str) -> None:
    assert violations(source, clock_free=True)


def test_checker_accepts_pure_code() -> None:
    source = "from datetime import date\nfrom decimal import Decimal\nx = Decimal(1) + 2\n"
    assert violations(source, clock_free=True) == []
