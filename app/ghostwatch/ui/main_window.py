"""The main window: status strip, frequency plot, live events table, detail pane, top sources."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QItemSelection, QStandardPaths, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.logfiles import now_epoch
from ..ingest.pipeline import MonitorStatus
from ..store.queries import EventFilter, HistoryReader
from .detail import DetailPane
from .event_model import COLUMNS, LIVE_INSERT_LIMIT, EventTableModel
from .plot import RANGES, FrequencyPlot
from .sources_panel import SourcesPanel
from .status_strip import StatusStrip
from .theme import fit_to_screen, heading_font, icon, plain_label, span_words

DETAIL_HINT = "Select an event in the list to see why GhostWatch flagged it."
SEARCH_DELAY_MS = 300  # search as you type: the table follows once typing pauses this long
FOCUS_STYLE = ("QTableView:focus, QTableWidget:focus, QScrollArea:focus { border: 2px solid #1565c0; } "
               "QPushButton:focus { outline: 2px solid #1565c0; border: 2px solid #1565c0; }")

FLAGGED = frozenset({"ghost", "attack", "suspicious"})
VERDICT_FILTERS = (("Needs attention", FLAGGED), ("Ghost calls", frozenset({"ghost"})),
                   ("Attacks", frozenset({"attack"})), ("Suspicious", frozenset({"suspicious"})),
                   ("Everything, including normal traffic", frozenset()))
_VERDICT_WORDS = {"ghost": "ghost calls", "attack": "attacks", "suspicious": "suspicious events", "normal": "events"}
GHOST_CALL_TEXT = (
    "A ghost call rings a phone and nobody is there. Almost always it is a SIP scanner on the internet "
    "(SIPVicious “friendly-scanner” and its copies) trying your phone system for a way in: it calls with "
    "made-up caller IDs like 100 or 1001, or straight to a phone's IP address. If it finds one, the next "
    "step is expensive calls abroad that your office pays for (toll fraud).\n\n"
    "GhostWatch reads your phone system's logs, marks every ghost call and attack with the reasons, and tells "
    "you what to change so the phones stop ringing.")


class MainWindow(QMainWindow):
    pauseToggled = Signal()
    settingsRequested = Signal()
    setupRequested = Signal()
    checklistRequested = Signal()
    quitRequested = Signal()
    stepRequested = Signal(str)

    def __init__(self, reader: HistoryReader, clock=datetime.now) -> None:
        super().__init__()
        self.reader = reader
        self.clock = clock
        self.keep_in_tray = False  # set by the app when a system tray exists
        self.closed = False  # set at shutdown: batches still queued for the window are dropped
        self.setWindowTitle("GhostWatch")
        self.setWindowIcon(icon())
        fit_to_screen(self, 1280, 800)  # a 1024x640 laptop gets a window that fits, not one past its edges
        self.model = EventTableModel(reader, self)
        self._dirty = True
        self._stale = False
        self._build()
        self._menus()
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.refresh_if_dirty)
        self.timer.start()
        self.model.fetchMore()
        self.refresh()
        self._update_empty()

    # -- layout ---------------------------------------------------------------------------------------------
    def _build(self) -> None:
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.strip = StatusStrip()
        self.strip.pause.clicked.connect(self.pauseToggled)
        for verdict, chip in self.strip.counts.items():
            chip.clicked.connect(lambda _=False, v=verdict: self.show_today(v))
        outer.addWidget(self.strip)

        self.paused_banner = plain_label("Monitoring is paused: new lines in the logs are read when you resume.",
                                         wrap=True)
        self.paused_banner.setStyleSheet("background: #fff3cd; color: #5d4200; padding: 6px 14px; "
                                         "font-weight: bold; border-bottom: 1px solid #e0c97a;")
        self.paused_banner.hide()
        outer.addWidget(self.paused_banner)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        self.split = split
        left = QWidget()
        left.setMinimumWidth(520)
        lv = QVBoxLayout(left)
        lv.setContentsMargins(10, 8, 6, 8)
        head = QHBoxLayout()
        title = plain_label("How often ghost calls and attacks come", wrap=True)  # two lines when narrow, never cut
        title.setFont(heading_font(1))
        title.setMinimumWidth(120)
        head.addWidget(title, 1)
        self.range_group = QButtonGroup(self)
        self.range_buttons: list[QPushButton] = []
        for name in RANGES:
            b = QPushButton(name)
            b.setCheckable(True)
            b.setChecked(name == "24 hours")
            b.setToolTip(f"Plot the last {name.lower()}" if name != "All" else "Plot everything recorded")
            self.range_group.addButton(b)
            self.range_buttons.append(b)
            head.addWidget(b)
        self.range_group.buttonClicked.connect(self._range_changed)
        lv.addLayout(head)
        self.plot = FrequencyPlot()
        self.plot.setMinimumHeight(200)
        self.plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its bars are reached from the table and sources
        self.plot.bucketClicked.connect(self.show_bucket)
        lv.addWidget(self.plot, 2)

        filters = QHBoxLayout()
        self.verdict_box = QComboBox()
        for label, verdicts in VERDICT_FILTERS:
            self.verdict_box.addItem(label, verdicts)
        self.verdict_box.currentIndexChanged.connect(self.apply_filter)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search: address, caller ID, extension, user agent, reason…")
        self.search.setToolTip("The table follows as you type (the plotted range; everything on “All”)")
        self.search.setClearButtonEnabled(True)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(self.search_timer.start)
        self.search.returnPressed.connect(self.apply_filter)
        self.scope = QPushButton()
        self.scope.setToolTip("Show all times and sources again")
        self.scope.clicked.connect(self.clear_scope)
        self.scope.hide()
        export = QPushButton("Export CSV…")
        export.clicked.connect(self.export_csv)
        self.export_button = export
        filters.addWidget(self.verdict_box)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.scope)
        filters.addWidget(export)
        lv.addLayout(filters)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab goes to the next pane; arrow keys move between rows
        self.empty = plain_label(wrap=True)  # the empty state, a sentence over the table
        self.empty.setParent(self.table.viewport())
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: #546e7a; background: transparent;")
        self.empty.hide()
        self.model.modelReset.connect(self._update_empty)
        self.model.rowsInserted.connect(self._update_empty)
        self.model.rowsRemoved.connect(self._update_empty)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        for col, width in enumerate((118, 82, 88, 70, 140, 80, 80, 110)):
            self.table.setColumnWidth(col, width)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        lv.addWidget(self.table, 3)
        split.addWidget(left)

        right = QSplitter(Qt.Orientation.Vertical)
        right.setChildrenCollapsible(False)
        right.setMinimumWidth(330)
        self.detail = DetailPane()
        self.detail.stepRequested.connect(self.stepRequested)
        right.addWidget(self.detail)
        srcbox = QWidget()
        sv = QVBoxLayout(srcbox)
        sv.setContentsMargins(10, 6, 10, 10)
        st = plain_label("Top sources in this range")
        st.setFont(heading_font(1))
        sv.addWidget(st)
        self.sources = SourcesPanel()
        srcbox.setMinimumHeight(140)
        self.sources.sourceChosen.connect(self.show_source)
        sv.addWidget(self.sources)
        right.addWidget(srcbox)
        right.setSizes([600, 200])
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([820, 460])
        outer.addWidget(split, 1)
        self.setCentralWidget(central)
        central.setStyleSheet(FOCUS_STYLE)
        self.detail.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab reaches it; arrow keys scroll it
        self._scope: dict = {}
        chain = [*self.strip.counts.values(), self.strip.pause, *self.range_buttons, self.verdict_box, self.search,
                 self.scope, self.export_button, self.table, self.detail, self.sources]
        for a, b in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(a, b)

    def _menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        add_action(m, "Export events as CSV…", self.export_csv)
        add_action(m, "Find my PBX's logs…", self.setupRequested)
        add_action(m, "Settings…", self.settingsRequested, QKeySequence.StandardKey.Preferences)
        m.addSeparator()
        add_action(m, "Quit GhostWatch", self.quitRequested, QKeySequence.StandardKey.Quit)
        m = bar.addMenu("&Monitoring")
        self.pause_action = add_action(m, "Pause monitoring", self.pauseToggled)
        m = bar.addMenu("&Tools")
        add_action(m, "Harden my phone system…", self.checklistRequested)
        m = bar.addMenu("&Help")
        add_action(m, "What is a ghost call?", self.explain)
        add_action(m, "About GhostWatch", self.about)

    # -- live data ------------------------------------------------------------------------------------------
    @Slot(int, int, int)
    def on_ids(self, first: int, last: int, count: int) -> None:
        """Events first..last were stored by the monitor: show them (a flood: reload once on the next tick)."""
        if self.closed:
            return
        self._dirty = True
        if count > LIVE_INSERT_LIMIT or self._stale:
            self._stale = True
            return
        if not self.model.add_live(self.reader.by_ids(first, last), reload=False):
            self._stale = True

    @Slot(object)
    def on_updated(self, ids: object) -> None:
        """Attempts the monitor updated in place (more lines joined them, or their run became an attack)."""
        if self.closed:
            return
        self._dirty = True
        if isinstance(ids, int) or self._stale:  # too many to say one by one: reload on the next tick
            self._stale = True
            return
        events = self.reader.by_id_list(list(ids))
        if not self.model.update_live(events):
            self._stale = True
        shown = self.detail.event
        if shown is not None and shown.id in ids:
            full = self.reader.event(shown.id)
            if full is not None:
                self.detail.show_event(full)

    @Slot(object)
    def on_status(self, status: MonitorStatus) -> None:
        self.strip.show_status(status)
        paused = status.state == "paused"
        self.pause_action.setText("Resume monitoring" if paused else "Pause monitoring")
        self.paused_banner.setVisible(paused)

    @Slot()
    def refresh_if_dirty(self) -> None:
        if self._dirty and not self.closed:
            if self._stale:
                self._stale = False
                self.model.reload()
            self.refresh()

    def refresh(self) -> None:
        """Plot, today's counts and top sources from the store (on the timer, never per event)."""
        self._dirty = False
        now = now_epoch(self.clock)
        name = self.range_group.checkedButton().text()
        self.plot.refresh(self.reader, name, now)
        day = now - now % 86400
        totals = self.reader.totals(day, day + 86400)
        worst = self.reader.top_sources(day, day + 86400, 1)
        w = worst[0] if worst else None
        self.strip.show_counts(totals, w.ip if w else None, str(w.verdict) if w else None, w.events if w else 0,
                               self.reader.ghosts_rang(day, day + 86400) if totals.get("ghost") else 0)
        span = RANGES[name][0]
        start = now - span if span else 0.0
        self.sources.show_sources(self.reader.top_sources(start, now + 86400, 10))

    @Slot()
    def _range_changed(self) -> None:
        self.refresh()
        if self.search.text().strip():
            self.apply_filter()

    # -- filters --------------------------------------------------------------------------------------------
    def current_filter(self) -> EventFilter:
        text = self.search.text().strip()
        scope = dict(self._scope)
        if text and not scope:  # a search covers the plotted range (all of a year's history only on "All")
            span = RANGES[self.range_group.checkedButton().text()][0]
            if span:
                scope["start"] = now_epoch(self.clock) - span
        return EventFilter(verdicts=self.verdict_box.currentData(), text=text, **scope)

    @Slot()
    def apply_filter(self) -> None:
        self.search_timer.stop()
        self.model.set_filter(self.current_filter())
        self.table.scrollToTop()  # a new filter starts at its newest events, not where the old list was scrolled
        self.detail.show_event(None)
        self._update_empty()

    @Slot()
    def _update_empty(self) -> None:
        """A sentence instead of blank space: nothing recorded yet, or nothing matches the filter."""
        if self.model.rowCount():
            self.empty.hide()
            if self.detail.event is None:
                self.detail.title.setText(DETAIL_HINT)
            return
        flt = self.model.filter
        narrowed = bool(flt.text or self._scope)
        if self.detail.event is None:
            self.detail.title.setText("Nothing in this view to explain: change the search or the filter above."
                                      if narrowed or (flt.verdicts and flt.verdicts != FLAGGED) else
                                      "When GhostWatch lists an event, select it to see why it was flagged.")
        if narrowed:
            text = "No events match. Clear the search or the filter above to see everything."
        elif flt.verdicts and flt.verdicts != FLAGGED:  # one kind only: the others may well be there
            shown = " or ".join(_VERDICT_WORDS[v] for v in sorted(flt.verdicts))
            text = (f"No {shown} recorded. To see every ghost call, attack and suspicious event, choose "
                    f"\u201cNeeds attention\u201d above.")
        elif flt.verdicts:
            text = ("Nothing to worry about yet: no ghost calls, attacks or suspicious events recorded. "
                    "GhostWatch adds them here the moment they happen.")
        else:
            text = "Nothing recorded yet. Events appear here as your phone system logs them."
        self.empty.setText(text)
        self._place_empty()
        self.empty.show()

    def _place_empty(self) -> None:
        vp = self.table.viewport()
        self.empty.setGeometry(20, 20, max(100, vp.width() - 40), max(60, min(120, vp.height() - 40)))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        QTimer.singleShot(0, self._place_empty)

    @Slot(float, float)
    def show_bucket(self, start: float, end: float) -> None:
        self._scope = {"start": start, "end": end}
        self.scope.setText(f"{span_words(start, end)}  ✕")
        self.scope.show()
        self.apply_filter()

    @Slot(str)
    def show_source(self, ip: str) -> None:
        self._scope = {"source_ip": ip}
        self.scope.setText(f"only {ip}  ✕")
        self.scope.show()
        self.apply_filter()

    def show_today(self, verdict: str) -> None:
        now = now_epoch(self.clock)
        day = now - now % 86400
        self._scope = {"start": day, "end": day + 86400}
        self.scope.setText("today  ✕")
        self.scope.show()
        index = next(i for i, (_, v) in enumerate(VERDICT_FILTERS) if v == frozenset({verdict}))
        self.verdict_box.setCurrentIndex(index)  # applies the filter

    @Slot()
    def clear_scope(self) -> None:
        self._scope = {}
        self.scope.hide()
        self.apply_filter()

    # -- selection ------------------------------------------------------------------------------------------
    def _selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        ev = self.model.event_at(rows[0].row())
        if ev is not None:
            full = self.reader.event(ev.id)
            self.detail.show_event(full or ev)

    def select_worst(self) -> None:
        """Select the newest of the most serious events loaded (what a screenshot or a first look should show)."""
        if not self.model.rows:
            return
        best = max(range(len(self.model.rows)), key=lambda i: (self.model.rows[i].verdict.rank, -i))
        self.table.selectRow(best)

    def open_event(self, event_id: int) -> None:
        """Bring the window up on one event (a clicked notification)."""
        self.showNormal()
        self.raise_()
        self.activateWindow()
        row = self.model.row_of(event_id)
        if row >= 0:
            self.table.selectRow(row)
        else:
            ev = self.reader.event(event_id)
            if ev is not None:
                self.detail.show_event(ev)

    # -- actions --------------------------------------------------------------------------------------------
    def export_csv(self) -> None:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        if not folder or not Path(folder).is_dir():
            folder = str(Path.home())
        path, _ = QFileDialog.getSaveFileName(self, "Export events", str(Path(folder) / "ghostwatch-events.csv"),
                                              "CSV files (*.csv)")
        if path:
            n = self.model.export_csv(path)
            self.statusBar().showMessage(f"Exported {n:,} events to {path}", 8000)

    def explain(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("What is a ghost call?")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(GHOST_CALL_TEXT)
        box.exec()

    def about(self) -> None:
        from .. import __version__

        box = QMessageBox(self)
        box.setWindowTitle("About GhostWatch")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"GhostWatch {__version__}\nWatches your phone system's logs for ghost calls and SIP attacks.")
        box.exec()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.keep_in_tray:
            event.ignore()
            self.hide()
            return
        event.accept()
        self.quitRequested.emit()


def add_action(menu: QMenu, text: str, target, shortcut: QKeySequence.StandardKey | None = None) -> QAction:
    """A menu entry triggering `target` (a slot or a signal)."""
    action = QAction(text, menu)
    if shortcut is not None:
        action.setShortcut(shortcut)
    action.triggered.connect(target)
    menu.addAction(action)
    return action


__all__ = ["MainWindow", "COLUMNS", "add_action"]
