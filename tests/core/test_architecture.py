"""The layers below the window never import Qt."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys, pkgutil, importlib
import ghostwatch.core, ghostwatch.store, ghostwatch.ingest
for pkg in (ghostwatch.core, ghostwatch.store, ghostwatch.ingest):
    for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(mod.name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6"))
print(",".join(bad))
"""


def test_core_store_ingest_do_not_import_qt() -> None:
    proc = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
