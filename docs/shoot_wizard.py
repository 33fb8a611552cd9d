"""Screenshot of the hardening wizard on the insecure PJSIP test configuration (run by docs/screenshots.sh)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ghostwatch.core.hardening.checklist import load_checklist
from ghostwatch.paths import resources_dir
from ghostwatch.ui.hardening import HardeningWizard

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    out = Path(sys.argv[1])
    app = QApplication([])
    tmp = Path(tempfile.mkdtemp(prefix="ghostwatch-shot-"))
    w = HardeningWizard(load_checklist(resources_dir() / "checklist.toml"), tmp / "hardening.json", resources_dir(),
                        trusted=("192.168.1.0/24", "198.51.100.0/24"))
    w.intro.folder.setText(str(ROOT / "tests" / "data" / "pbx" / "asterisk-pjsip-insecure"))
    w.intro.pbx.setCurrentIndex(w.intro.pbx.findData("asterisk_pjsip"))
    w.intro.brand.setCurrentIndex(w.intro.brand.findData("yealink"))
    w.resize(900, 760)
    w.show()

    def checked() -> None:
        step = sys.argv[2] if len(sys.argv) > 2 else "validate-incoming"
        if step != "intro":
            w.open_step(step)
        QTimer.singleShot(600, shoot)

    def shoot() -> None:
        w.grab().save(str(out))
        app.quit()

    w.checked.connect(checked)
    QTimer.singleShot(300, w.run_check)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
