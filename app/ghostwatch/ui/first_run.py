"""First run: find the PBX's log folders, say what each file is used for, offer to import history or the demo."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.app_settings import find_log_dirs
from ..core.formats import sniff
from ..core.logfiles import is_rotated_name
from ..core.text import display_text
from ..ingest.reader import head_lines, logical_name
from .theme import heading_font, plain_label

USES = {
    "asterisk": "Asterisk log: failed logins, rejected and unauthenticated calls, calls that reached phones",
    "asterisk_security": "Asterisk security log: every failed login with the attacker's address",
    "asterisk_cdr": "Asterisk call records: which calls rang, for how long, and from whom",
    "freeswitch": "FreeSWITCH log: failed logins and rejected calls",
    "freeswitch_cdr": "FreeSWITCH call records: which calls rang and from whom",
    "kamailio": "Kamailio proxy log: every request with its user agent, and flood blocks",
}


def describe_folder(folder: Path, limit: int = 40) -> list[tuple[str, str]]:
    """(file, what GhostWatch uses it for) for the log files in `folder` it recognises."""
    found: list[tuple[str, str]] = []
    try:
        candidates = sorted(p for p in folder.rglob("*") if p.is_file() and not is_rotated_name(p.name))[:limit]
    except OSError:
        return found
    for path in candidates:
        try:
            dialect = sniff(head_lines(path), logical_name(path))
        except OSError:
            found.append((str(path.relative_to(folder)), "cannot be read yet: see the permissions hint"))
            continue
        if dialect is not None:
            found.append((str(path.relative_to(folder)), USES.get(dialect.format, dialect.format)))
    return found


class FirstRunDialog(QDialog):
    """Returns through `choice`: ("watch", [folders], import_history) or ("demo", [], False)."""

    def __init__(self, parent: QWidget | None = None, candidates: list[Path] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to GhostWatch")
        self.choice: tuple[str, list[str], bool] = ("demo", [], False)
        lay = QVBoxLayout(self)
        title = plain_label("Let's find your phone system's logs")
        title.setFont(heading_font(4))
        lay.addWidget(title)
        lay.addWidget(plain_label(
            "GhostWatch reads the logs your PBX already writes. It never changes your phone system; it only "
            "reads, and tells you what to change.", wrap=True))
        self.list = QListWidget()
        self.list.itemChanged.connect(self._update)
        lay.addWidget(self.list, 1)
        self.importing = QCheckBox("Also read what the logs already hold (history, including rotated files)")
        self.importing.setChecked(True)
        lay.addWidget(self.importing)
        self.harden = QCheckBox("Then walk me through keeping ghost calls out (the hardening steps)")
        self.harden.setChecked(True)
        lay.addWidget(self.harden)
        self.note = plain_label(wrap=True)
        lay.addWidget(self.note)
        row = QHBoxLayout()
        self.other = QPushButton("Choose a folder…")
        self.other.setToolTip("The folder your PBX writes its logs to, e.g. /var/log/asterisk (it may be a network "
                              "share)")
        self.other.clicked.connect(self._choose)
        demo = QPushButton("Show me the demo office")
        demo.clicked.connect(self._demo)
        self.watch = QPushButton("Watch these folders")
        self.watch.setDefault(True)
        self.watch.clicked.connect(self._watch)
        row.addWidget(self.other)
        row.addStretch(1)
        row.addWidget(demo)
        row.addWidget(self.watch)
        lay.addStretch(0)
        lay.addLayout(row)
        for folder in (find_log_dirs() if candidates is None else candidates):
            self.add_folder(folder)
        self._update()
        self.resize(720, 460 if self.list.count() else self.sizeHint().height())  # no big empty space either

    def add_folder(self, folder: Path, chosen: bool = False) -> None:
        """A found folder is ticked when it holds a PBX log; one the user chose is ticked whatever it holds."""
        files = describe_folder(folder)
        self.list.blockSignals(True)
        item = QListWidgetItem(display_text(folder))
        item.setData(Qt.ItemDataRole.UserRole, str(folder))
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if files or chosen else Qt.CheckState.Unchecked)
        self.list.addItem(item)
        empty = ("no PBX log here yet: GhostWatch will read the logs as soon as they appear" if chosen else
                 "no PBX log recognised here (yet)")
        for name, use in files or [("", empty)]:
            sub = QListWidgetItem(f"    {display_text(name)}  —  {use}" if name else f"    {use}")
            sub.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.list.addItem(sub)
        self.list.blockSignals(False)
        self._update()
        if self.height() < 400:  # the list appears: room for it
            self.resize(self.width(), 460)

    def folders(self) -> list[str]:
        out = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) and item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def _update(self, *_args) -> None:
        has = any(self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count()))
        ticked = bool(self.folders())
        self.list.setVisible(has)  # no large empty box: the sentence below says what to do
        self.importing.setVisible(has)
        self.other.setText("Choose another folder…" if has else "Choose a folder…")
        if not has:
            self.note.setText("No PBX log folder was found on this computer. Choose the folder your PBX writes to "
                              "(it may be a network share), or look at the demo first.")
        elif not ticked:
            self.note.setText("Tick the folders to watch, or choose another one.")
        else:
            self.note.setText("")
        self.watch.setEnabled(ticked)
        self.watch.setText("Watch this folder" if len(self.folders()) == 1 else "Watch these folders")

    def _choose(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose your PBX's log folder", "/var/log")
        if path:
            self.add_folder(Path(path), chosen=True)

    def _demo(self) -> None:
        self.choice = ("demo", [], False)
        self.accept()

    def _watch(self) -> None:
        folders = self.folders()
        if folders:
            self.choice = ("watch", folders, self.importing.isChecked())
            self.accept()
