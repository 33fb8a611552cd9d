#!/bin/sh
# Smoke test of the built bundle and .deb, run from a folder outside the repository (CI runs it as root).
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
BIN="$REPO/dist/ghostwatch/ghostwatch"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export QT_QPA_PLATFORM=offscreen

"$BIN" --version | grep -q "GhostWatch"
appstreamcli validate --no-net "$REPO/installer/linux/io.github.ghostwatch.GhostWatch.metainfo.xml" >/dev/null
desktop-file-validate "$REPO/installer/linux/ghostwatch.desktop"
# the demo office's logs, written by the repository's own code, scanned by the bundle
"$REPO/.venv/bin/python" -m ghostwatch.demo.write logs >/dev/null
"$BIN" scan --json logs > scan.json
"$REPO/.venv/bin/python" - <<'PY'
import json
doc = json.load(open("scan.json"))
v = doc["summary"]["verdicts"]
# one event per attempt: 45 guessed passwords, 41 probes of the scanner, 3 toll-fraud calls; 3 ghost calls
assert v["ghost"] == 3 and v["attack"] == 89, v
PY
# the native observer must be the one that runs in the bundle
"$BIN" watch logs --once --data-dir data 2> watch.err >/dev/null
# (the polling observer says it checks every second; the native one, inotify, says nothing of how)
{ grep -q "Watching" watch.err && ! grep -q "checking every second" watch.err; } || {
  cat watch.err; echo "smoke: the bundle did not use inotify" >&2; exit 1; }
# the desktop app on the demo, offscreen, with a screenshot
"$BIN" demo --exit-after 5 --night-seconds 3 --screenshot shot.png --data-dir gui 2>/dev/null
test -s shot.png && head -c 8 shot.png | od -An -c | grep -q "P   N   G"
echo "smoke: bundle ok ($(du -sh "$REPO/dist/ghostwatch" | cut -f1) unpacked)"

# the .deb: install, find it in the menu and on the PATH, run it, remove it
DEB=$(ls "$REPO"/dist/ghostwatch_*.deb)
dpkg -i "$DEB" >/dev/null
test -x /usr/bin/ghostwatch
test -f /usr/share/applications/ghostwatch.desktop
test -f /usr/share/icons/hicolor/48x48/apps/ghostwatch.png
/usr/bin/ghostwatch --version | grep -q "GhostWatch"
/usr/bin/ghostwatch scan logs | grep -q "ghost calls 3"
# the headless service is installed, not enabled; its command line is one the installed program accepts
test -f /lib/systemd/system/ghostwatch-watch.service
test ! -e /etc/systemd/system/multi-user.target.wants/ghostwatch-watch.service
/usr/bin/ghostwatch watch logs --data-dir svc --site smoke --metrics 127.0.0.1:0 --once 2> svc.err >/dev/null
grep -q "metrics for site smoke" svc.err || { cat svc.err; echo "smoke: watch --metrics failed" >&2; exit 1; }
dpkg -r ghostwatch >/dev/null
test ! -e /usr/bin/ghostwatch && test ! -e /opt/ghostwatch/ghostwatch
echo "smoke: .deb install, run and remove ok"
