"""Every view of the desktop app at three screen sizes, for people to look at (run by docs/screenshots.sh).

Starts the demo office for real (monitor process, history, replay), then shows each view at 1024x640, 1280x800 and
1920x1080 and saves it as OUT/<view>-<W>x<H>.png. Prints what it finds clipped (the test suite's checker), so a
look at the pictures starts from the list. The README's own pictures are copied to docs/ by screenshots.sh.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QDateTime, QEventLoop, QTime, QTimer
from PySide6.QtWidgets import QApplication, QWidget

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.ui.clipping: the same checker the GUI tests use

from tests.ui.clipping import clipped  # noqa: E402

from ghostwatch.core.app_settings import AppSettings  # noqa: E402
from ghostwatch.core.hardening.checklist import load_checklist  # noqa: E402
from ghostwatch.paths import resources_dir  # noqa: E402
from ghostwatch.store.queries import HistoryReader  # noqa: E402
from ghostwatch.ui.app import Controller, LaunchOptions  # noqa: E402
from ghostwatch.ui.first_run import FirstRunDialog  # noqa: E402
from ghostwatch.ui.hardening import HardeningWizard, RangDialog  # noqa: E402
from ghostwatch.ui.main_window import MainWindow  # noqa: E402
from ghostwatch.ui.plot import RANGES  # noqa: E402
from ghostwatch.ui.settings_dialog import SettingsDialog  # noqa: E402

SIZES = ((1024, 640), (1280, 800), (1920, 1080))
PBX = ROOT / "tests" / "data" / "pbx" / "asterisk-pjsip-insecure"


def settle(ms: int = 150) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


class Shooter:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.problems: list[str] = []
        out.mkdir(parents=True, exist_ok=True)

    def shot(self, widget: QWidget, name: str, size: tuple[int, int]) -> None:
        settle()
        path = self.out / f"{name}-{size[0]}x{size[1]}.png"
        widget.grab().save(str(path))
        self.problems += [f"{path.name}: {p}" for p in clipped(widget)]


def fit(widget: QWidget, size: tuple[int, int], want: tuple[int, int] | None = None) -> None:
    """A window at the screen size, a dialog at its own size within the screen (less a panel)."""
    w, h = want or size
    widget.resize(min(w, size[0]), min(h, size[1] - 40))
    widget.show()


def main_views(s: Shooter, c: Controller) -> None:
    win = c.window
    assert win is not None
    empty_dir = Path(tempfile.mkdtemp(prefix="ghostwatch-empty-"))
    empty = MainWindow(HistoryReader(empty_dir / "h.sqlite3"))
    empty.timer.stop()
    for size in SIZES:
        fit(win, size)
        win.clear_scope()
        win.search.clear()
        win.verdict_box.setCurrentIndex(0)
        win.range_group.buttons()[0].click()
        win.refresh()
        win.select_worst()
        s.shot(win, "main-demo", size)
        for verdict in ("ghost", "attack"):
            row = next((i for i, ev in enumerate(win.model.rows) if str(ev.verdict) == verdict), -1)
            if row >= 0:
                win.table.selectRow(row)
                s.shot(win, f"detail-{verdict}", size)
        for button in win.range_group.buttons():
            button.click()
            win.refresh()
            s.shot(win, f"plot-{button.text().replace(' ', '-').lower()}", size)
        win.range_group.buttons()[0].click()
        win.verdict_box.setCurrentIndex(1)  # ghost calls
        ip = next((ev.source_ip for ev in win.model.rows if ev.source_ip), "")
        win.search.setText(ip)
        win.apply_filter()
        s.shot(win, "main-filtered", size)
        win.search.setText("nothing-like-this")
        win.apply_filter()
        s.shot(win, "main-no-results", size)
        win.search.clear()
        win.verdict_box.setCurrentIndex(0)
        fit(empty, size)
        s.shot(empty, "main-empty", size)
    empty.close()
    assert len(RANGES) == len(win.range_group.buttons())


def dialog_views(s: Shooter, c: Controller) -> None:
    for size in SIZES:
        d = SettingsDialog(AppSettings(home_region="GB", log_dirs=("/var/log/asterisk",),
                                       trusted=("192.168.1.0/24",)))
        fit(d, size, (d.width(), d.sizeHint().height()))
        s.shot(d, "settings", size)
        d.close()
        f = FirstRunDialog(candidates=[])
        fit(f, size, (720, f.height()))
        s.shot(f, "first-run-nothing-found", size)
        f.add_folder(Path(c.demo_dir or tempfile.gettempdir()) / "logs")
        fit(f, size, (720, 460))
        s.shot(f, "first-run-found", size)
        f.close()


def wizard_views(s: Shooter, c: Controller) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="ghostwatch-shot-"))
    for size in SIZES:
        w = HardeningWizard(load_checklist(resources_dir() / "checklist.toml"), tmp / f"h{size[0]}.json",
                            resources_dir(), trusted=("192.168.1.0/24",),
                            history_path=(c.data_dir / "history.sqlite3"))
        w.intro.folder.setText(str(PBX))
        w.intro.pbx.setCurrentIndex(w.intro.pbx.findData("asterisk_pjsip"))
        w.intro.brand.setCurrentIndex(w.intro.brand.findData("yealink"))
        fit(w, size, (860, 680))
        done: list[bool] = []
        w.checked.connect(lambda d=done: d.append(True))
        w.run_check()
        while not done:
            settle(50)
        s.shot(w, "wizard-00-start", size)
        n = 1
        while True:
            w.next()
            if w.currentId() == w.summary_id:
                break
            s.shot(w, f"wizard-{n:02d}-{w.currentPage().step.id}", size)
            n += 1
        s.shot(w, "wizard-summary", size)
        rang = RangDialog(w)
        ghost = _a_ghost_call(c)
        if ghost is not None:
            rang.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(ghost)).toUTC())
            rang.when.setTime(QTime(rang.when.time().hour(), rang.when.time().minute()))
        rang.show()
        rang.lookup()
        for _ in range(60):
            settle(50)
            if rang.look.isEnabled():
                break
        s.shot(rang, "rang-dialog", size)
        rang.close()
        w.close()


def _a_ghost_call(c: Controller) -> float | None:
    win = c.window
    if win is None:
        return None
    return next((ev.epoch for ev in win.model.rows if str(ev.verdict) == "ghost"), None)


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "screenshots"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 14.0
    app = QApplication([])
    data = Path(tempfile.mkdtemp(prefix="ghostwatch-shots-"))
    c = Controller(app, LaunchOptions(data_dir=str(data), demo=True, demo_seconds=8, interactive=False))
    s = Shooter(out)

    def run() -> None:
        try:
            main_views(s, c)
            dialog_views(s, c)
            wizard_views(s, c)
        finally:
            app.quit()

    c.start()
    QTimer.singleShot(int(seconds * 1000), run)
    try:
        app.exec()
    finally:
        c.shutdown()
    print("\n".join(s.problems) or "nothing clipped")
    print(f"wrote {len(list(out.glob('*.png')))} pictures to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
