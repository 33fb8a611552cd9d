"""The house's layers, checked from the source: which package may import which, no private names across modules,
no import cycles, no Qt below the window, and the layers below the window import on Windows (no POSIX-only
modules at import time)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "app" / "ghostwatch"

# core <- store <- ingest (demo, fleet) <- ui <- cli: a module may import its own layer and the ones below, never above.
# `ghostwatch` (the version) and `ghostwatch.paths` (where files live; imports nothing of ours) are the ground.
LAYERS = {"ghostwatch": 0, "paths": 0, "core": 1, "store": 2, "ingest": 3, "demo": 3, "fleet": 3, "ui": 4,
          "cli": 5, "__main__": 6}  # cli: the package (options, scan, watch, hardening, gui), one layer
NAMES = {0: "ground", 1: "core", 2: "store", 3: "ingest", 4: "ui", 5: "cli", 6: "__main__"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS["ghostwatch"] if len(parts) == 1 else LAYERS[parts[1]]


def _type_only(tree: ast.AST) -> set[int]:
    """Ids of the import statements under `if TYPE_CHECKING:` (they never run)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        test = getattr(node, "test", None)
        if isinstance(node, ast.If) and (getattr(test, "id", None) == "TYPE_CHECKING"
                                         or getattr(test, "attr", None) == "TYPE_CHECKING"):
            out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def _imports(module: str, path: Path) -> list[tuple[str, str | None, int, bool]]:
    """(imported module, imported name or None, line, type-only) for every import of ours, wherever it sits in
    the file (inside functions and `if TYPE_CHECKING:` too: a type-only import is still a dependency of the design,
    though not a cycle at run time)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[tuple[str, str | None, int, bool]] = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = _type_only(tree)
    for node in ast.walk(tree):
        only = id(node) in typing_only
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno, only) for a in node.names if a.name.split(".")[0] == "ghostwatch"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "ghostwatch":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.append((sub, None, node.lineno, only) if sub in MODULES
                           else (target, alias.name, node.lineno, only))
    return out


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def test_the_table_knows_every_package():
    assert {m.split(".")[1] for m in MODULES if "." in m} <= set(LAYERS)


def test_imports_point_down_the_layers():
    wrong = [f"{m}:{line} imports {target} ({NAMES[_layer(m)]} may not import {NAMES[_layer(target)]})"
             for m, imports in GRAPH.items() for target, _name, line, _only in imports
             if target in MODULES and _layer(target) > _layer(m)]
    assert wrong == []


def test_nothing_imports_a_private_name_of_another_module():
    wrong = [f"{m}:{line} imports {name} from {target}"
             for m, imports in GRAPH.items() for target, name, line, _only in imports
             if name and name.startswith("_") and not name.startswith("__") and target != m]
    wrong += [f"{m}:{line} imports the private module {target}"
              for m, imports in GRAPH.items() for target, _name, line, _only in imports
              if any(p.startswith("_") and not p.startswith("__") for p in target.split("."))]
    assert wrong == []


def test_no_import_cycles():
    """At run time: an annotation-only back reference (`if TYPE_CHECKING:`, a dialog naming its owner) is none."""
    edges = {m: sorted({t for t, _n, _l, only in imports
                        if t in MODULES and t != m and not m.startswith(t + ".") and not only})
             for m, imports in GRAPH.items()}
    # a package's __init__ is imported on the way to its modules: an edge to it is no cycle of the design
    edges = {m: [t for t in ts if not (t in MODULES and MODULES[t].name == "__init__.py")] for m, ts in edges.items()}
    cycles, state, stack = [], {}, []

    def visit(m: str) -> None:
        state[m] = "open"
        stack.append(m)
        for t in edges[m]:
            if state.get(t) == "open":
                cycles.append(" -> ".join(stack[stack.index(t):] + [t]))
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = "done"

    for m in sorted(edges):
        if m not in state:
            visit(m)
    assert cycles == []


def test_the_table_catches_what_it_forbids(tmp_path):
    """The checks above are only worth something if they fail: feed them a module that breaks each rule."""
    global MODULES, GRAPH
    saved = MODULES, GRAPH
    bad = tmp_path / "bad.py"
    bad.write_text("from ..store.history import History\nfrom ..ingest.reader import _private\n")
    try:
        MODULES = {**saved[0], "ghostwatch.core.bad": bad}
        GRAPH = {**saved[1], "ghostwatch.core.bad": _imports("ghostwatch.core.bad", bad)}
        for check in (test_imports_point_down_the_layers, test_nothing_imports_a_private_name_of_another_module):
            try:
                check()
            except AssertionError:
                continue
            raise AssertionError(f"{check.__name__} let a violation through")
    finally:
        MODULES, GRAPH = saved


QT_CHECK = """
import sys, pkgutil, importlib
for pkg in map(importlib.import_module, sys.argv[1:]):
    for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(mod.name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6"))
print(",".join(bad))
"""


def test_core_store_ingest_do_not_import_qt() -> None:
    proc = subprocess.run([sys.executable, "-c", QT_CHECK, "ghostwatch.core", "ghostwatch.store", "ghostwatch.ingest"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_the_command_line_imports_no_qt() -> None:
    """Every module of the cli package imports without Qt: `scan` and `watch` start fast, and only the desktop app's
    command imports the window (inside the function that starts it)."""
    proc = subprocess.run([sys.executable, "-c", QT_CHECK, "ghostwatch.cli"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


WINDOWS_CHECK = """
import sys, importlib, types
# what our modules import from outside, imported first as this platform's (the stdlib and the libraries branch
# on sys.platform themselves; that is their business, not ours)
for name in ("subprocess", "asyncio", "multiprocessing", "socket", "selectors", "shutil", "tempfile", "ssl", "uuid",
             "platform", "locale", "ctypes", "getpass", "pathlib", "logging.handlers", "concurrent.futures",
             "sqlite3", "gzip", "tarfile", "zipfile", "json", "signal", "http.client", "urllib.request", "mimetypes",
             "platformdirs", "phonenumbers", "watchdog.events", "numpy", "PySide6.QtCore", "PySide6.QtGui",
             "PySide6.QtWidgets", "PySide6.QtNetwork", "PySide6.QtSvg", "pyqtgraph", "email.utils", "html", "csv",
             "webbrowser", "queue", "threading", "select", "pickle", "hashlib", "ipaddress", "tomllib"):
    try:
        importlib.import_module(name)
    except ImportError:
        pass
for name in ("grp", "pwd", "fcntl", "resource", "termios", "pty"):  # what Windows' Python lacks
    sys.modules[name] = None  # `import grp` now raises ImportError, as on Windows
msvcrt = types.ModuleType("msvcrt")  # and what it has instead
msvcrt.LK_NBLCK, msvcrt.LK_UNLCK, msvcrt.locking = 2, 0, lambda *a: None
sys.modules["msvcrt"] = msvcrt
sys.platform = "win32"
failed = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
"""


def test_every_module_imports_without_posix_only_modules() -> None:
    """The Windows installer exists: the app must at least import there. With sys.platform "win32", grp, pwd,
    fcntl, resource, termios and pty unavailable and msvcrt present, every module of ours imports."""
    names = [m for m in MODULES if m.split(".")[-1] != "__main__"]
    proc = subprocess.run([sys.executable, "-c", WINDOWS_CHECK, *names], capture_output=True, text=True,
                          timeout=120, env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
