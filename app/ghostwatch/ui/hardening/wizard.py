"""The hardening wizard: check the phone system, walk every step with the exact fix, export the report.

Nothing here changes the PBX or the firewall: the wizard reads configuration files (in a background job), shows
what it found with the file and line, and hands over lines to copy. Progress is saved after every change, so the
office manager can stop and come back. All texts are plain text; configuration lines are never interpreted.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import QWidget, QWizard

from ...core.hardening.audit import PBX_LABELS, AuditError, AuditResult, default_config_dir, run_audit
from ...core.hardening.checklist import Step
from ...core.hardening.progress import Progress, load_progress, pbx_key, save_progress, step_states
from ...core.hardening.report_html import render_report
from ...core.text import display_text
from ..background import Job, failure_text
from ..theme import count_words, fit_to_screen
from .dialogs import RangDialog, SelfTestDialog
from .pages import IntroPage, StepPage, SummaryPage


class HardeningWizard(QWizard):
    """The guided hardening wizard. `trusted` are the networks from the settings (for the firewall rules)."""

    checked = Signal()  # an automatic check finished (or failed)

    def __init__(self, steps: list[Step], progress_path: Path, resources: Path, trusted: tuple[str, ...] = (),
                 history_path: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Harden my phone system — GhostWatch")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setTitleFormat(Qt.TextFormat.PlainText)
        self.setSubTitleFormat(Qt.TextFormat.PlainText)
        self.setOption(QWizard.WizardOption.HaveCustomButton1)
        self.setButtonText(QWizard.WizardButton.CustomButton1, "Skip to summary")
        B = QWizard.WizardButton  # noqa: N806 - Qt's enum
        # the same place for every button on every page: Skip on the left, Back (greyed on the first page) and Next
        self.setButtonLayout([B.CustomButton1, B.Stretch, B.BackButton, B.NextButton, B.FinishButton,
                              B.CancelButton])
        self.customButtonClicked.connect(self._skip_to_summary)
        fit_to_screen(self, 860, 680)
        self.steps = steps
        self.progress_path = progress_path
        self.resources = resources
        self.trusted = tuple(trusted)
        self.history_path = history_path
        self.progress: Progress = load_progress(progress_path)
        self.checking = False
        self.last_error = ""
        self._job: Job | None = None
        self.intro = IntroPage(self)
        self.intro.folder.setText(self.progress.config_dir or str(default_config_dir() or ""))
        self.intro.pbx.setCurrentIndex(max(0, self.intro.pbx.findData(self.progress.pbx)))
        self.intro.brand.setCurrentIndex(max(0, self.intro.brand.findData(self.progress.phone_brand)))
        self.intro.folder.editingFinished.connect(self._choices_changed)
        self.intro.pbx.currentIndexChanged.connect(self._choices_changed)
        self.intro.brand.currentIndexChanged.connect(self._choices_changed)
        self.intro.checkRequested.connect(self.run_check)
        self.intro.rang.clicked.connect(self.open_rang)
        self.intro.selftest.clicked.connect(self.open_selftest)
        self.addPage(self.intro)
        self.pages: dict[str, StepPage] = {}
        self.page_ids: dict[str, int] = {}
        for number, step in enumerate(steps, 1):
            page = StepPage(self, step, number, len(steps))
            self.pages[step.id] = page
            self.page_ids[step.id] = self.addPage(page)
        self.summary = SummaryPage(self)
        self.summary_id = self.addPage(self.summary)
        self.currentIdChanged.connect(self._page_shown)
        self._show_audit_line()

    # -- state ------------------------------------------------------------------------------------------------
    def states(self):
        return step_states(self.steps, self.progress.audit, self.progress.confirmed)

    def state_of(self, step_id: str):
        return next(s for s in self.states() if s.step.id == step_id)

    def pbx_choice(self) -> str:
        return self.intro.pbx.currentData() or pbx_key(self.progress.audit)

    def brand_choice(self) -> str:
        return self.intro.brand.currentData() or ""

    def sip_ports(self) -> list[int]:
        return list((self.progress.audit or {}).get("sip_ports") or [5060])

    def save(self) -> None:
        try:
            save_progress(self.progress_path, self.progress)
        except OSError as exc:  # a full disk must not break the wizard; say it once
            self.intro.result.setText(f"Your progress could not be saved: {exc.strerror or exc}")

    @Slot()
    def _choices_changed(self) -> None:
        self.progress.config_dir = self.intro.folder.text().strip()
        self.progress.pbx = self.intro.pbx.currentData() or ""
        self.progress.phone_brand = self.intro.brand.currentData() or ""
        self.save()

    # -- automatic checks -------------------------------------------------------------------------------------
    @Slot()
    def run_check(self) -> None:
        """Every automatic check at once, in a background job."""
        if self.checking:
            return
        self._choices_changed()
        folder = self.progress.config_dir
        if not folder:
            self.intro.result.setText("Choose the folder with your phone system's settings first (on a Linux PBX: "
                                      "/etc/asterisk or /etc/freeswitch; you can copy it to this computer).")
            return
        self.checking = True
        self.intro.check.setEnabled(False)
        self.intro.result.setText("Checking…")
        resources = self.resources
        self._job = Job(lambda: run_audit(Path(folder), resources))
        self._job.finished.connect(self._check_done)
        self._job.failed.connect(self._check_failed)
        self._job.start()
        self._refresh_current()

    @Slot(object)
    def _check_done(self, result: AuditResult) -> None:
        self.checking = False
        self.last_error = ""
        self.progress.audit = result.to_json()
        self.save()
        self.intro.check.setEnabled(True)
        self._show_audit_line()
        self._refresh_current()
        self.checked.emit()

    @Slot(object)
    def _check_failed(self, exc: Exception) -> None:
        self.checking = False
        self.last_error = failure_text(exc, (AuditError,))  # AuditError's text is for people; anything else is a bug
        self.intro.check.setEnabled(True)
        self.intro.result.setText(f"Could not check: {self.last_error}")
        self._refresh_current()
        self.checked.emit()

    def _show_audit_line(self) -> None:
        audit = self.progress.audit
        if not audit:
            return
        c = audit.get("summary", {})
        pbx = PBX_LABELS.get(str(audit.get("pbx")), "phone system")
        variant = " and ".join(audit.get("variants") or [])
        try:
            when = " on " + datetime.fromisoformat(str(audit.get("checked_at"))).strftime("%a %d %b %Y at %H:%M")
        except ValueError:
            when = ""
        fail = int(c.get("fail", 0))
        self.intro.result.setText(
            f"Checked {display_text(audit.get('config_dir'), 240)} ({pbx}{', ' + variant if variant else ''})"
            f"{when}: {count_words(fail, 'step')} {'needs' if fail == 1 else 'need'} fixing, {c.get('pass', 0)} "
            f"OK, {c.get('cannot_tell', 0)} cannot tell, {c.get('manual', 0)} to check by hand. "
            "Press Next to go through them."
            + "".join(f"\nNote: {display_text(p, 200)}" for p in audit.get("problems", [])[:3]))
        self.intro.result.setStyleSheet("font-weight: bold;")

    def _refresh_current(self) -> None:
        page = self.currentPage()
        if isinstance(page, StepPage):
            page.refresh()

    # -- navigation -------------------------------------------------------------------------------------------
    @Slot(int)
    def _page_shown(self, _page_id: int) -> None:
        """Forward or back, a step page shows the latest results, and the place is remembered."""
        self.button(QWizard.WizardButton.CustomButton1).setEnabled(self.currentId() != self.summary_id)
        page = self.currentPage()
        if isinstance(page, StepPage):
            self.progress.page = page.step.id
            self.save()
            page.refresh()

    def open_step(self, step_id: str) -> None:
        """Jump to a step's page (from the detail pane or the rang answer)."""
        target = self.page_ids.get(step_id)
        if target is None:
            return
        if self.currentId() == -1:
            self.restart()
        while self.currentId() != target and self.currentId() < target and self.currentId() != -1:
            self.next()
        while self.currentId() > target:
            self.back()

    def resume(self) -> None:
        """Back to the page the user was on last time."""
        if self.progress.page == "summary":
            self._skip_to_summary()
        elif self.progress.page in self.page_ids:
            self.open_step(self.progress.page)

    @Slot(int)
    def _skip_to_summary(self, _which: int = 0) -> None:
        if self.currentId() == -1:
            self.restart()
        while self.currentId() != self.summary_id and self.currentId() != -1:
            self.next()

    # -- report -----------------------------------------------------------------------------------------------
    def report_html(self) -> str:
        audit = self.progress.audit or {}
        return render_report(self.states(), pbx=self.pbx_choice(), phone_brand=self.brand_choice(),
                             config_dir=str(audit.get("config_dir") or ""),
                             checked_at=str(audit.get("checked_at") or ""))

    def export_html(self, path: Path) -> None:
        path.write_text(self.report_html(), encoding="utf-8")

    def export_pdf(self, path: Path) -> None:
        writer = QPdfWriter(str(path))
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        writer.setTitle("GhostWatch hardening report")
        doc = QTextDocument()
        doc.setHtml(self.report_html())  # our own escaped HTML: configuration text is already plain
        doc.print_(writer)
        if not path.exists():
            raise OSError(f"the PDF could not be written to {path}")

    # -- the two helpers on the first page --------------------------------------------------------------------
    @Slot()
    def open_rang(self) -> None:
        RangDialog(self).exec()

    @Slot()
    def open_selftest(self) -> None:
        SelfTestDialog(self).exec()


