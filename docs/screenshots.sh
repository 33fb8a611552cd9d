#!/bin/sh
# Reproducible README screenshots: the demo office in a real X server (Xvfb), with a session D-Bus, the dunst
# notification daemon and the test suite's stand-in StatusNotifierWatcher, so the tray notification is real too.
set -eu
BIN=${BIN:-.venv/bin}
OUT=docs
N=${SHOT_DISPLAY:-77}
Xvfb ":$N" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 & XVFB=$!
trap 'kill $XVFB ${DUNST:-} ${SNI:-} ${DBUS_SESSION_BUS_PID:-} 2>/dev/null || true' EXIT
sleep 1
export DISPLAY=":$N"
eval "$(dbus-launch --sh-syntax)"
dunst >/dev/null 2>&1 & DUNST=$!
QT_QPA_PLATFORM=offscreen "$BIN/python" tests/ui/fake_sni_watcher.py >/dev/null & SNI=$!
sleep 1
# the main window with the detail pane (the newest ghost call selected)
QT_QPA_PLATFORM=xcb "$BIN/ghostwatch" demo --night-seconds 8 --exit-after 14 --screenshot "$OUT/screenshot-main.png"
# a notification as the desktop shows it: the whole screen while the demo's first alerts arrive
QT_QPA_PLATFORM=xcb "$BIN/ghostwatch" demo --night-seconds 8 --exit-after 16 & APP=$!
sleep 12
import -window root -crop 400x330+1200+0 "$OUT/screenshot-notification.png"
wait $APP
# the hardening wizard on a test configuration that needs fixing
QT_QPA_PLATFORM=xcb PYTHONPATH=app "$BIN/python" docs/shoot_wizard.py "$OUT/screenshot-wizard.png"
echo "wrote $OUT/screenshot-main.png $OUT/screenshot-notification.png $OUT/screenshot-wizard.png"
