"""A real Prometheus scrapes a live `ghostwatch watch --metrics`; the shipped rules load and fire in a real
Prometheus + Alertmanager; the Grafana dashboard's queries run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ..ingest.harness import probe_line
from ..ingest.proc import ROOT, watch
from .conftest import free_port, http_json, need, wait_until

pytestmark = pytest.mark.slow

RULES = ROOT / "resources" / "monitoring" / "ghostwatch.rules.yml"
DASHBOARD = ROOT / "resources" / "monitoring" / "ghostwatch-dashboard.json"
CDR = ROOT / "tests" / "data" / "logs" / "asterisk_cdr.csv"
RULE_TESTS = Path(__file__).resolve().parent / "data" / "ghostwatch.rules.test.yml"
INTERVAL = 1  # seconds: scrape and rule evaluation in these tests


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=1) as r:  # noqa: S310
            return r.status == 200
    except OSError:
        return False


def start_prometheus(tmp: Path, engines, target: str, alertmanager: int | None = None) -> int:
    port = free_port()
    conf = {"global": {"scrape_interval": f"{INTERVAL}s", "evaluation_interval": f"{INTERVAL}s"},
            "rule_files": [str(RULES)],
            "scrape_configs": [{"job_name": "ghostwatch", "static_configs": [{"targets": [target]}]}]}
    if alertmanager:
        conf["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager}"]}]}]}
    (tmp / "prometheus.yml").write_text(json.dumps(conf))  # JSON is YAML
    e = engines(["prometheus", f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'tsdb'}",
                 f"--web.listen-address=127.0.0.1:{port}"], tmp / "prometheus.out")
    wait_until(lambda: ready(port) or e.proc.poll() is not None, 30, "Prometheus ready")
    assert e.proc.poll() is None, e.output()
    return port


def query(port: int, expr: str) -> list[dict]:
    doc = http_json(f"http://127.0.0.1:{port}/api/v1/query", {"query": expr})
    assert doc["status"] == "success", doc
    return doc["data"]["result"]


def value(port: int, expr: str) -> float | None:
    result = query(port, expr)
    return float(result[0]["value"][1]) if result else None


def metrics_address(w) -> str:
    line = w.expect(w.stderr, "metrics for site")
    return re.search(r"http://([0-9.]+:\d+)/metrics", line).group(1)


def scan_counts(logs: Path) -> dict[str, int]:
    out = subprocess.run([sys.executable, "-m", "ghostwatch", "scan", "--json", "--all", "--region", "US", str(logs)],
                         capture_output=True, text=True, check=True, timeout=60,
                         env={"PYTHONPATH": str(ROOT / "app"), "PATH": "/usr/bin:/bin"})
    return json.loads(out.stdout)["summary"]["verdicts"]


def test_promtool_accepts_the_rules_and_their_unit_tests():
    need("promtool")
    check = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "SUCCESS: 7 rules found" in check.stdout, check.stdout + check.stderr
    # the rules' logic on made-up series: which alert fires when, and which stays quiet
    tests = subprocess.run(["promtool", "test", "rules", str(RULE_TESTS)], capture_output=True, text=True,
                           timeout=60, cwd=RULE_TESTS.parent)
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_prometheus_scrapes_a_live_watch_of_a_replayed_attack(tmp_path, engines):
    need("prometheus")
    logs = tmp_path / "logs"
    subprocess.run([sys.executable, "-m", "ghostwatch.demo.write", str(logs)], check=True, capture_output=True,
                   timeout=60, env={"PYTHONPATH": str(ROOT / "app"), "PATH": "/usr/bin:/bin"})
    (logs / "messages").write_bytes(probe_line(0))  # where a second attack is played live below
    expected = scan_counts(logs)
    assert expected["attack"] > 50 and expected["ghost"] >= 1
    w = watch([str(logs), "--from-start", "--region", "US", "--data-dir", str(tmp_path / "data"),
               "--site", "office-12", "--metrics", "127.0.0.1:0"])
    try:
        target = metrics_address(w)
        prom = start_prometheus(tmp_path, engines, target)
        for verdict, count in expected.items():  # first verdicts, corrected by the updates that changed them
            expr = (f'sum(ghostwatch_events_total{{site="office-12", verdict="{verdict}"}})'
                    f' + (sum(ghostwatch_verdict_changes_total{{to="{verdict}"}}) or vector(0))'
                    f' - (sum(ghostwatch_verdict_changes_total{{from="{verdict}"}}) or vector(0))')
            wait_until(lambda e=expr, c=count: value(prom, e) == c, 30, f"{expr} == {count}")
        assert value(prom, 'ghostwatch_monitor_state{ghostwatch_monitor_state="watching"}') == 1
        assert value(prom, 'ghostwatch_monitor_mode{ghostwatch_monitor_mode="native"}') == 1
        assert value(prom, 'up{job="ghostwatch"}') == 1
        assert value(prom, "sum(ghostwatch_lines_read_total)") > 300
        assert value(prom, "ghostwatch_attacking_sources") >= 1
        assert value(prom, "ghostwatch_notifications_total{urgent=\"false\"}") >= 1
        assert value(prom, "ghostwatch_commit_seconds_count") >= 1
        labels = {k for series in query(prom, '{__name__=~"ghostwatch_.*"}') for k in series["metric"]}
        assert labels <= {"__name__", "site", "verdict", "kind", "reason", "outcome", "urgent", "file", "format",
                          "from", "to", "le", "version", "ghostwatch_monitor_state", "ghostwatch_monitor_mode", "job",
                          "instance"}
        values = {v for series in query(prom, '{__name__=~"ghostwatch_.*"}') for v in series["metric"].values()}
        assert not any(re.fullmatch(r"\d+\.\d+\.\d+\.\d+", v) for v in values)  # never an address as a label
        # every query of the Grafana dashboard runs, with its variables filled in
        dashboard = json.loads(DASHBOARD.read_text())
        exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
        assert len(exprs) >= 10
        for expr in exprs:
            query(prom, expr.replace("$site", ".*").replace("$__interval", "1m").replace("$__range", "1h"))
        # a second attack, live: the dashboard's plot shows its bars
        with open(logs / "messages", "ab") as fh:
            fh.write(b"".join(probe_line(n, second=n) for n in range(1, 31)))
        flagged = sum(c for v, c in expected.items() if v != "normal") + 30
        wait_until(lambda: value(prom, 'sum(ghostwatch_events_total{verdict!="normal"})') == flagged, 30,
                   f"{flagged} flagged events")
        bars = [t["expr"] for t in dashboard["panels"][4]["targets"]]
        assert value(prom, bars[1].replace("$site", "office-.*").replace("$__interval", "1h")) > 0  # attack bars
    finally:
        assert w.terminate() == 0


def test_ghost_call_rang_alert_fires_in_prometheus_and_alertmanager(tmp_path, engines):
    need("prometheus", "prometheus-alertmanager")
    am_port = free_port()
    (tmp_path / "alertmanager.yml").write_text(json.dumps(
        {"route": {"receiver": "desk", "group_wait": "1s", "group_interval": "1s"}, "receivers": [{"name": "desk"}]}))
    am = engines(["prometheus-alertmanager", f"--config.file={tmp_path / 'alertmanager.yml'}",
                  f"--storage.path={tmp_path / 'am'}", f"--web.listen-address=127.0.0.1:{am_port}",
                  "--cluster.listen-address="], tmp_path / "alertmanager.out")
    wait_until(lambda: ready(am_port) or am.proc.poll() is not None, 30, "Alertmanager ready")
    assert am.proc.poll() is None, am.output()

    cdr = [line for line in CDR.read_text().splitlines() if line.startswith('"')]
    logs = tmp_path / "logs" / "cdr-csv"
    logs.mkdir(parents=True)
    master = logs / "Master.csv"
    master.write_text(cdr[0] + "\n")  # an answered call: the log exists and is known
    w = watch([str(logs), "--region", "US", "--data-dir", str(tmp_path / "data"), "--site", "branch-3",
               "--metrics", "127.0.0.1:0"])
    try:
        prom = start_prometheus(tmp_path, engines, metrics_address(w), alertmanager=am_port)
        wait_until(lambda: value(prom, 'ghostwatch_ghost_calls_rang_total{outcome="rang"}') == 0, 30,
                   "the rang counter scraped at 0")
        assert query(prom, 'ALERTS{alertname="GhostWatchGhostCallRang"}') == []
        with open(master, "a") as fh:
            fh.write(cdr[1] + "\n")  # a scanner's call that rang extension 201
        appended = time.monotonic()
        firing = wait_until(lambda: [a for a in http_json(f"http://127.0.0.1:{prom}/api/v1/alerts")["data"]["alerts"]
                                     if a["labels"]["alertname"] == "GhostWatchGhostCallRang"
                                     and a["state"] == "firing"], 30, "the alert firing in Prometheus")
        in_prometheus = time.monotonic() - appended
        assert firing[0]["labels"]["site"] == "branch-3" and firing[0]["labels"]["severity"] == "critical"
        received = wait_until(lambda: [a for a in http_json(f"http://127.0.0.1:{am_port}/api/v2/alerts")
                                       if a["labels"]["alertname"] == "GhostWatchGhostCallRang"], 30,
                              "the alert at Alertmanager")
        assert received[0]["labels"]["site"] == "branch-3" and received[0]["status"]["state"] == "active"
        assert "ring" in received[0]["annotations"]["summary"]
    finally:
        assert w.terminate() == 0
    print(f"GhostWatchGhostCallRang firing in Prometheus {in_prometheus:.1f} s after the CDR line was written")
    # the line is stored within a second, scraped within INTERVAL, the rule fires at its next evaluation (no `for`)
    assert in_prometheus < 1 + INTERVAL + 2 * INTERVAL + 3, in_prometheus
