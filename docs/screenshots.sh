#!/bin/sh
# Every view of the app at 1024x640, 1280x800 and 1920x1080 in a real X server (Xvfb), with a session D-Bus, the
# dunst notification daemon and the test suite's stand-in StatusNotifierWatcher, so the tray notification is real
# too. All pictures go to build/screenshots/ (git-ignored) with a list of anything clipped; the README's three
# are copied to docs/ as 8-bit PNGs (small).
set -eu
BIN=${BIN:-.venv/bin}
OUT=docs
ALL=${SHOTS:-build/screenshots}
N=${SHOT_DISPLAY:-77}
Xvfb ":$N" -screen 0 1920x1080x24 -nolisten tcp >/dev/null 2>&1 & XVFB=$!
trap 'kill $XVFB ${DUNST:-} ${SNI:-} ${DBUS_SESSION_BUS_PID:-} 2>/dev/null || true' EXIT
sleep 1
export DISPLAY=":$N"
dbus-daemon --session --fork --print-address=1 --print-pid=1 > "${TMPDIR:-/tmp}/ghostwatch-shots-bus.$$"
{ read -r DBUS_SESSION_BUS_ADDRESS; read -r DBUS_SESSION_BUS_PID; } < "${TMPDIR:-/tmp}/ghostwatch-shots-bus.$$"
rm -f "${TMPDIR:-/tmp}/ghostwatch-shots-bus.$$"
export DBUS_SESSION_BUS_ADDRESS
dunst >/dev/null 2>&1 & DUNST=$!
QT_QPA_PLATFORM=offscreen "$BIN/python" tests/ui/fake_sni_watcher.py >/dev/null & SNI=$!
sleep 1
mkdir -p "$ALL"
# every view: main window (demo, filtered, no results, empty), detail panes, plot ranges, settings, first run,
# each wizard page, the rang dialog
QT_QPA_PLATFORM=xcb PYTHONPATH=app "$BIN/python" docs/shoot_views.py "$ALL" | tee "$ALL/clipped.txt"
# a notification as the desktop shows it: the whole screen while the demo's first alerts arrive
QT_QPA_PLATFORM=xcb "$BIN/ghostwatch" demo --night-seconds 8 --exit-after 16 & APP=$!
sleep 12
import -window root -crop 400x330+1520+0 "$ALL/notification.png"
wait $APP
small() { convert "$1" -colors 256 "PNG8:$2"; }
small "$ALL/detail-ghost-1280x800.png" "$OUT/screenshot-main.png"
small "$ALL/wizard-02-validate-incoming-1280x800.png" "$OUT/screenshot-wizard.png"
small "$ALL/notification.png" "$OUT/screenshot-notification.png"
echo "wrote $OUT/screenshot-main.png $OUT/screenshot-notification.png $OUT/screenshot-wizard.png; every view in $ALL"
