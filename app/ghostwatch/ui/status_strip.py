"""The status strip: the headline, how monitoring runs (or why not, and the fix), today's counts."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QProgressBar, QPushButton, QVBoxLayout, QWidget

from ..core.summary_words import headline_words
from ..ingest.pipeline import MonitorStatus, Progress
from .theme import VERDICT_COLOURS, heading_font, plain_label, set_plain

SINGULAR = {"ghost calls": "ghost call", "attacks": "attack"}  # "1 ghost call", never "1 ghost calls"


class StatusStrip(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusStrip")
        self.setStyleSheet("#statusStrip { background: #f4f6fb; border-bottom: 1px solid #d5dbe6; }")
        outer = QHBoxLayout(self)
        outer.setContentsMargins(14, 10, 14, 10)
        left = QVBoxLayout()
        self.headline = plain_label("Starting…", wrap=True)
        self.headline.setFont(heading_font(4))
        self.monitoring = plain_label(wrap=True)
        self.alert = plain_label(wrap=True)  # in-window alerts where no system tray exists
        self.alert.setStyleSheet("color: #b3261e; font-weight: bold;")
        self.alert.hide()
        self.progress = QProgressBar()  # history import: files and bytes read so far
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(True)
        self.progress.hide()
        left.addWidget(self.headline)
        left.addWidget(self.monitoring)
        left.addWidget(self.progress)
        left.addWidget(self.alert)
        outer.addLayout(left, 1)
        self.counts: dict[str, QPushButton] = {}
        self.today = plain_label("Today:")  # the chips count today, the list and the plot their own range
        self.today.setStyleSheet("color: #546e7a;")
        outer.addWidget(self.today)
        for verdict, word in (("ghost", "ghost calls"), ("attack", "attacks"), ("suspicious", "suspicious")):
            chip = QPushButton(f"0 {word}")
            chip.setFlat(True)
            chip.setToolTip(f"Today's {word}; click to show them")
            chip.setStyleSheet(f"QPushButton {{ border: 1px solid {VERDICT_COLOURS[verdict]}; border-radius: 11px; "
                               f"padding: 3px 10px; background: white; color: #263238; }}")
            chip.setProperty("word", word)
            outer.addWidget(chip)
            self.counts[verdict] = chip
        self.down: str | None = None  # monitoring is not (fully) working: this headline stands until it is again
        self.pause = QPushButton("Pause")
        self.pause.setToolTip("Pause or resume monitoring (lines written meanwhile are read on resume)")
        outer.addWidget(self.pause)

    def show_counts(self, totals: dict[str, int], worst_ip: str | None, worst_verdict: str | None,
                    worst_events: int, ghosts_rang: int | None = None) -> None:
        for verdict, chip in self.counts.items():
            n, word = totals.get(verdict, 0), chip.property("word")
            chip.setText(f"1 {SINGULAR.get(word, word)}" if n == 1 else f"{n:,} {word}")
        if self.down is None:  # "Quiet today" would be a lie while nothing is being watched
            set_plain(self.headline, headline_words(totals, worst_ip, worst_verdict, worst_events, ghosts_rang))

    def show_status(self, status: MonitorStatus) -> None:
        set_plain(self.monitoring, status.message)
        failing = status.state == "failing" or bool(status.problems)
        self.monitoring.setStyleSheet("color: #b3261e;" if failing else "color: #455a64;")
        self.pause.setText("Resume" if status.state == "paused" else "Pause")

    def show_down(self, headline: str, fix: str, restartable: bool) -> None:
        """Monitoring stopped or cannot read something: say so in the headline, with the fix under it."""
        self.down = headline
        set_plain(self.headline, headline)
        self.headline.setStyleSheet("color: #b3261e;")
        set_plain(self.monitoring, fix)
        self.monitoring.setStyleSheet("color: #b3261e;")
        if restartable:
            self.pause.setText("Restart monitoring")

    def clear_down(self) -> None:
        self.down = None
        self.headline.setStyleSheet("")

    def show_progress(self, progress: Progress) -> None:
        """History import progress; hidden once the import is done."""
        if progress.done or progress.bytes_total <= 0:
            self.progress.hide()
            return
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(1000 * progress.bytes_done / progress.bytes_total))
        self.progress.setFormat(f"Reading history: file {min(progress.files + 1, progress.files_total)} of "
                                f"{progress.files_total}, {progress.lines:,} lines, {progress.events:,} events")
        self.progress.show()

    def show_alert(self, text: str) -> None:
        set_plain(self.alert, text)
        self.alert.setVisible(bool(text))
