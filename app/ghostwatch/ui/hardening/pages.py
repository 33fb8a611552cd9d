"""The wizard's pages: the first page (choose and check), one page per step, the summary."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ...core.firewall import FIREWALLS, allow_only
from ...core.hardening.audit import default_config_dir
from ...core.hardening.checklist import PBX_NAMES, PHONE_NAMES, Step
from ...core.hardening.findings import STATUS_WORDS, Status
from ...core.text import display_text
from ..theme import WrapLabel, heading_font, plain_label
from .widgets import Badge, CopyBlock

if TYPE_CHECKING:
    from .wizard import HardeningWizard

INTRO = ("Ghost calls are calls that ring a phone with nobody on the line. Almost all come from programs that scan "
         "the internet for phone systems to break into; once in, they make expensive calls that you pay for.\n\n"
         "This assistant walks you through nine steps that keep them out. It reads your phone system's settings to "
         "check what it can, and for every step shows the exact change to make, on the phone system and on your "
         "phones. It never changes anything itself. You can stop at any time: your progress is kept.")



class IntroPage(QWizardPage):
    checkRequested = Signal()

    def __init__(self, wizard: HardeningWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Keep ghost calls out")
        lay = QVBoxLayout(self)
        lay.addWidget(WrapLabel(INTRO))
        form = QFormLayout()
        row = QHBoxLayout()
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("e.g. /etc/asterisk or /etc/freeswitch, a copy of it, or an archive of it")
        browse = QPushButton("Folder…")
        browse.clicked.connect(self._browse)
        archive = QPushButton("Archive…")
        archive.setToolTip("A .tar.gz or .zip of the settings folder, e.g. made on the PBX with\n"
                           "sudo tar czf pbx-settings.tgz /etc/asterisk")
        archive.clicked.connect(self._archive)
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        row.addWidget(archive)
        form.addRow(plain_label("Phone system settings:"), row)
        self.pbx = QComboBox()
        self.pbx.addItem("Find out from the settings folder", "")
        for key, label in PBX_NAMES.items():
            self.pbx.addItem(label, key)
        form.addRow(plain_label("Your phone system:"), self.pbx)
        self.brand = QComboBox()
        self.brand.addItem("Not sure / other", "")
        for key, label in PHONE_NAMES.items():
            self.brand.addItem(label, key)
        form.addRow(plain_label("Your desk phones:"), self.brand)
        lay.addLayout(form)
        buttons = QHBoxLayout()
        self.check = QPushButton("Check my system")
        self.check.setDefault(True)
        self.check.clicked.connect(self.checkRequested)
        self.rang = QPushButton("A phone rang and nobody was there…")
        self.selftest = QPushButton("Test my phone system like a scanner…")
        buttons.addWidget(self.check)
        buttons.addStretch(1)
        buttons.addWidget(self.rang)
        buttons.addWidget(self.selftest)
        lay.addLayout(buttons)
        self.result = WrapLabel()
        lay.addWidget(self.result)
        lay.addStretch(1)

    def _browse(self) -> None:
        start = self.folder.text() or str(default_config_dir() or Path.home())
        chosen = QFileDialog.getExistingDirectory(self, "Phone system settings folder", start)
        if chosen:
            self.folder.setText(chosen)

    def _archive(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "An archive of the phone system's settings", str(Path.home()),
                                                "Archives (*.tar.gz *.tgz *.tar.bz2 *.tar.xz *.tar *.zip)")
        if chosen:
            self.folder.setText(chosen)


class StepPage(QWizardPage):
    def __init__(self, wizard: HardeningWizard, step: Step, number: int = 0, total: int = 0) -> None:
        super().__init__()
        self.w = wizard
        self.step = step
        self.setTitle(step.title)
        if number:
            self.setSubTitle(f"Step {number} of {total}")
        outer = QVBoxLayout(self)
        scroll = QScrollArea()  # the one scrolling area of the page: the blocks inside grow to their text
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        self.lay = QVBoxLayout(body)
        scroll.setWidget(body)
        outer.addWidget(scroll)
        self.badge = Badge()
        self.lay.addWidget(self.badge)
        self.lay.addWidget(WrapLabel(step.why))
        self.found = CopyBlock("What GhostWatch found in your settings")
        self.lay.addWidget(self.found)
        self.fix = CopyBlock("How to fix it")
        self.lay.addWidget(self.fix)
        self.pbx_block = CopyBlock("On the phone system")
        self.phone_block = CopyBlock("On the phones")
        self.lay.addWidget(self.pbx_block)
        self.lay.addWidget(self.phone_block)
        self.firewall: CopyBlock | None = None
        if step.id == "trusted-sources":
            self.firewall_kind = QComboBox()
            for key, label in FIREWALLS.items():
                self.firewall_kind.addItem(label, key)
            self.firewall_kind.currentIndexChanged.connect(self.refresh)
            self.lay.addWidget(plain_label("Firewall rules that let SIP in only from your trusted networks:"))
            self.lay.addWidget(self.firewall_kind)
            self.firewall = CopyBlock("Firewall rules (run as administrator on the PBX)")
            self.lay.addWidget(self.firewall)
        if step.caution:
            caution = WrapLabel(f"Watch out: {step.caution}")
            caution.setStyleSheet("color: #8a4b00;")
            self.lay.addWidget(caution)
        self.others = QCheckBox("Show the fixes for other phone systems and phones")
        self.others.toggled.connect(self.refresh)
        self.lay.addWidget(self.others)
        row = QHBoxLayout()
        self.done = QCheckBox("I did this")
        self.done.toggled.connect(self._confirmed)
        self.recheck = QPushButton("Re-check")
        self.recheck.clicked.connect(wizard.run_check)
        row.addWidget(self.done)
        row.addStretch(1)
        row.addWidget(self.recheck)
        self.lay.addStretch(1)
        outer.addLayout(row)  # below the scrolling text: always in reach

    @Slot()
    def refresh(self) -> None:
        state = self.w.state_of(self.step.id)
        self.badge.set_status(state.status)
        if state.findings:
            lines = []
            for f in state.findings:
                lines.append(f"[{STATUS_WORDS[f.status]}] {f.summary}")
                lines += [f"    {display_text(str(e), 200)}" for e in f.evidence]
            self.found.set_text("\n".join(lines))
        else:
            if not self.step.checks:
                text = "Not checked automatically: only you can check this one (on the phones or the router)."
            elif self.w.checking:
                text = "Checking…"
            elif self.w.progress.audit:  # checked: the settings say nothing GhostWatch can judge for this step
                text = ("Your phone system's settings say nothing GhostWatch can judge for this step: check it by "
                        "hand with the steps below, then tick \u201cI did this\u201d.")
            else:
                text = "Not checked yet: press \u201cCheck my system\u201d on the first page, or Re-check here."
            self.found.set_text(text, copyable=False)
        fixes = [f.fix for f in state.findings if f.status is Status.FAIL and f.fix]
        self.fix.set_text("\n\n".join(dict.fromkeys(fixes)))
        self.fix.setVisible(bool(fixes))
        pbx, brand = self.w.pbx_choice(), self.w.brand_choice()
        show_all = self.others.isChecked()
        pbx_items = [(k, v) for k, v in self.step.pbx.items() if show_all or not pbx or k == pbx]
        phone_items = [(k, v) for k, v in self.step.phones.items() if show_all or not brand or k == brand]
        self.pbx_block.set_text("\n\n".join(f"{PBX_NAMES.get(k, k)}: {v}" for k, v in pbx_items))
        self.pbx_block.setVisible(bool(pbx_items))
        self.phone_block.set_text("\n\n".join(f"{PHONE_NAMES.get(k, k)}: {v}" for k, v in phone_items))
        self.phone_block.setVisible(bool(phone_items))
        if self.firewall is not None:
            try:
                rules = allow_only(self.w.trusted, self.w.sip_ports(), kind=self.firewall_kind.currentData())
            except ValueError as exc:
                rules = f"{exc}: Settings \u2192 Trusted networks (your office network, your provider's servers)."
            self.firewall.set_text(rules)
        self.done.blockSignals(True)
        self.done.setChecked(self.step.id in self.w.progress.confirmed)
        self.done.blockSignals(False)
        self.recheck.setEnabled(bool(self.step.checks) and not self.w.checking)

    @Slot(bool)
    def _confirmed(self, on: bool) -> None:
        if on:
            self.w.progress.confirmed.add(self.step.id)
        else:
            self.w.progress.confirmed.discard(self.step.id)
        self.w.save()
        self.refresh()


class SummaryPage(QWizardPage):
    def __init__(self, wizard: HardeningWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Your phone system, step by step")
        lay = QVBoxLayout(self)
        self.verdict = WrapLabel()
        self.verdict.setFont(heading_font(1))
        lay.addWidget(self.verdict)
        self.grid = QGridLayout()
        self.grid.setColumnStretch(1, 1)
        self.grid.setHorizontalSpacing(12)
        lay.addLayout(self.grid)
        self.rows: list[tuple[Badge, WrapLabel]] = []
        for i, step in enumerate(wizard.steps):
            badge = Badge()
            title = WrapLabel(f"{i + 1}. {step.title}")
            self.grid.addWidget(badge, i, 0)
            self.grid.addWidget(title, i, 1)
            self.rows.append((badge, title))
        row = QHBoxLayout()
        self.export = QPushButton("Save the report (HTML)…")
        self.export.clicked.connect(self._export)
        self.pdf = QPushButton("Save as PDF…")
        self.pdf.clicked.connect(self._pdf)
        row.addWidget(self.export)
        row.addWidget(self.pdf)
        row.addStretch(1)
        lay.addLayout(row)
        self.saved = WrapLabel(selectable=True)
        lay.addWidget(self.saved)
        lay.addWidget(WrapLabel("Hand the report to whoever looks after your phone system: it lists what was "
                                "checked, what was found (with file and line) and the exact fixes."))
        lay.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        self.w.progress.page = "summary"
        self.w.save()
        states = self.w.states()
        for (badge, _title), state in zip(self.rows, states, strict=False):
            badge.set_status(state.status)
        fails = sum(1 for s in states if s.status is Status.FAIL)
        self.verdict.setText(f"{fails} of the {len(states)} steps still need fixing." if fails > 1 else
                             f"One of the {len(states)} steps still needs fixing." if fails == 1 else
                             "Nothing left to fix that GhostWatch can check. Keep the steps marked “do it "
                             "yourself” in mind.")

    def summary_text(self) -> str:
        """The summary in words, as shown (for tests and the clipboard)."""
        lines = [self.verdict.text()]
        lines += [f"{title.text()}: {badge.label.text().strip()}" for badge, title in self.rows]
        return "\n".join(lines)
    def _export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the hardening report", str(Path.home() /
                                              "ghostwatch-hardening-report.html"), "Web page (*.html)")
        if path:
            self._report(self.w.export_html, path)

    def _pdf(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the hardening report as PDF", str(Path.home() /
                                              "ghostwatch-hardening-report.pdf"), "PDF (*.pdf)")
        if path:
            self._report(self.w.export_pdf, path)

    def _report(self, write, path: str) -> None:
        try:
            write(Path(path))
        except OSError as exc:
            self.saved.setText(f"Could not save {path}: {exc.strerror or exc}")
        else:
            self.saved.setText(f"Saved {path}")


