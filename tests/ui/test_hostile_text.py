"""The attacker writes the log (issue 15): the same hostile payloads through every place that shows log text —
the table (cells and tooltips), the detail pane, the desktop notification body and the HTML report. Nothing may be
interpreted as markup, and no invisible or reordering character may reach the screen."""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ET
from datetime import datetime
from html.parser import HTMLParser

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import Qt as QtGui_Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QToolTip

from ghostwatch.core.classify import Classifier
from ghostwatch.core.events import Kind, Record, Verdict
from ghostwatch.core.hardening.audit import StepResult
from ghostwatch.core.hardening.checklist import load_checklist
from ghostwatch.core.hardening.findings import Evidence, Finding, Status
from ghostwatch.core.hardening.report_html import render_report
from ghostwatch.core.notify_policy import Notice, NotifyPolicy
from ghostwatch.core.settings import DetectionSettings
from ghostwatch.core.signatures import Signatures
from ghostwatch.core.text import display_text
from ghostwatch.paths import resources_dir
from ghostwatch.ui.detail import DetailPane
from ghostwatch.ui.event_model import COLUMNS, EventTableModel, cell_text
from ghostwatch.ui.tray import notification_body

PAYLOADS = [
    '<a href="https://evil.example/reset">click here to secure your PBX</a>',
    "<img src=/dev/zero>",
    '<img src="file:///dev/zero" width=1 height=1>',
    "<b>1001</b><script>alert(1)</script><style>*{display:none}</style>",
    "&lt;b&gt; entity &amp; <i>ampersand</i>",
    "scanner\u202egpj.exe\u202c \u2066isolate\u2069 \u200f",
    "line\u2028separator\u2029paragraph\x85next",
    "adm\u00adin\u2060\u2061\u2062\u2063\u2064\ufeff\u200b\u200d",
    "\x1b[31mred\x07bell\x00nul\x7fdel\x9bcsi",
    "\U000e0041tag\ue000private\u3164filler",
]
INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs"}
SIGNATURES = Signatures.load(resources_dir() / "signatures.toml")


def visible(text: str) -> bool:
    return not any(unicodedata.category(c) in INVISIBLE and c != "\ufffd" for c in text)


def hostile_record(payload: str, n: int = 1) -> Record:
    return Record(None, "/var/log/asterisk/full", n, "asterisk", Kind.CALL, source_ip="203.0.113.7",
                  source_port=5060, caller_id="1001" + payload, caller_name="friendly-scanner " + payload,
                  extension="201" + payload, user_agent="sipvicious " + payload, call_id="c1" + payload,
                  raw=(f"evidence {payload}",))


def rendered(text: str) -> QTextDocument:
    """What Qt shows for a tooltip or an auto-format label: rich text when Qt guesses so, plain text otherwise."""
    doc = QTextDocument()
    if QtGui_Qt.mightBeRichText(text):
        doc.setHtml(text)
    else:
        doc.setPlainText(text)
    return doc


def markup_in(doc: QTextDocument) -> list[str]:
    """Images and links Qt would render or load from the document."""
    found = []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isImageFormat():
                found.append("image " + fmt.toImageFormat().name())
            if fmt.isAnchor():
                found.append("link " + fmt.anchorHref())
            it += 1
        block = block.next()
    return found


@pytest.mark.parametrize("payload", PAYLOADS)
def test_display_text_leaves_nothing_invisible(payload):
    text = display_text("x" + payload + "y")
    assert visible(text), [hex(ord(c)) for c in text if unicodedata.category(c) in INVISIBLE]
    assert "\n" not in text and text.startswith("x") and text.endswith("y")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_table_cells_and_tooltips_are_plain_text(qapp, store, payload):
    history, reader = store
    classifier = Classifier(DetectionSettings(), SIGNATURES)
    ev = classifier.classify(hostile_record(payload))
    assert ev.verdict is not Verdict.NORMAL
    ids = history.commit([(ev, 1_780_000_000.0)], [], now=1_780_000_000.0)
    model = EventTableModel(reader)
    model.fetchMore()
    assert model.rowCount() == 1 and model.rows[0].id == ids[0]
    for col in range(len(COLUMNS)):
        index = model.index(0, col)
        shown = model.data(index, Qt.ItemDataRole.DisplayRole) or ""
        assert visible(shown)
        tip = model.data(index, Qt.ItemDataRole.ToolTipRole)
        if tip is None:
            continue
        doc = rendered(tip)
        assert markup_in(doc) == []
        expected = cell_text(model.rows[0], col) if col else tip
        assert doc.toPlainText() == expected, COLUMNS[col]
        assert visible(doc.toPlainText())
    # a real tooltip shown with the Why column's text
    tip = model.data(model.index(0, 8), Qt.ItemDataRole.ToolTipRole)
    QToolTip.showText(QPoint(10, 10), tip)
    try:
        label = next(w for w in qapp.topLevelWidgets() if w.objectName() == "qtooltip_label")
        assert isinstance(label, QLabel) and label.isVisible()
        assert markup_in(rendered(label.text())) == []
    finally:
        QToolTip.hideText()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_detail_pane_shows_plain_text_only(qtbot, store, payload):
    history, reader = store
    ev = Classifier(DetectionSettings(), SIGNATURES).classify(hostile_record(payload))
    pane = DetailPane()
    qtbot.addWidget(pane)
    (event_id,) = history.commit([(ev, 1_780_000_000.0)], [], now=1_780_000_000.0)
    pane.show_event(reader.event(event_id))  # as the window shows it: read back from the history
    labels = pane.findChildren(QLabel)
    assert labels
    for label in labels:
        assert label.textFormat() == Qt.TextFormat.PlainText, label.text()
        assert visible(label.text())
        if label.toolTip():
            assert markup_in(rendered(label.toolTip())) == []
            assert visible(rendered(label.toolTip()).toPlainText())
    assert visible(pane.evidence.toPlainText())


@pytest.mark.parametrize("payload", PAYLOADS)
def test_notification_body_reaches_the_desktop_escaped(payload):
    ev = Classifier(DetectionSettings(), SIGNATURES).classify(hostile_record(payload))
    notice = Notice(1, ev.verdict, ev.record.kind.value, ev.record.source_ip, ev.record.caller_id,
                    ev.record.extension, ev.reasons, hour=12)
    shown = NotifyPolicy("suspicious").offer(notice, now=100.0)
    assert shown
    for n in shown:
        body = notification_body(n.body, platform="linux")
        # what dunst, GNOME and KDE parse: an XML fragment with <b>, <i>, <u>, <a>, <img>
        root = ET.fromstring(f"<body>{body}</body>")
        assert list(root) == [], f"markup in the notification body: {body!r}"
        assert root.text == n.body
        assert visible(n.body) and visible(n.title)
        assert notification_body(n.body, platform="win32") == n.body


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def test_html_report_escapes_everything():
    steps = load_checklist(resources_dir() / "checklist.toml")
    results = []
    for i, step in enumerate(steps):
        payload = PAYLOADS[i % len(PAYLOADS)]
        findings = [Finding("hostile", Status.FAIL, "found " + payload,
                            [Evidence("/etc/asterisk/sip.conf" + payload, 3, "useragent=" + payload)],
                            fix="fix " + payload)]
        results.append(StepResult(step, Status.FAIL, findings))
    page = render_report(results, pbx="asterisk" + PAYLOADS[0], phone_brand=PAYLOADS[1],
                         config_dir="/tmp/conf" + PAYLOADS[2], checked_at=PAYLOADS[3], now=datetime(2026, 11, 29))
    parser = _Tags()
    parser.feed(page)
    allowed = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "code", "table", "tr", "th",
               "td", "span", "ul", "li", "pre", "b"}
    assert {tag for tag, _ in parser.tags} <= allowed
    assert not [a for _, attrs in parser.tags for a, _v in attrs if a in ("href", "src", "onerror", "onload")]
    assert "<img" not in page and "<script" not in page and "<a " not in page
