#!/bin/sh
# Build dist/ghostwatch_VERSION_ARCH.deb from the PyInstaller bundle in dist/ghostwatch:
# the app in /opt/ghostwatch, /usr/bin/ghostwatch, the launcher, icons and AppStream metadata, and the headless
# `ghostwatch-watch` systemd service (installed, not enabled: see the README's "Watching many offices").
set -eu
PYTHON=${PYTHON:-.venv/bin/python}
VERSION=$($PYTHON -c "import ghostwatch; print(ghostwatch.__version__)")
ARCH=$(dpkg --print-architecture)
ROOT=build/deb/ghostwatch_${VERSION}_${ARCH}
rm -rf "$ROOT"
mkdir -p "$ROOT/DEBIAN" "$ROOT/opt" "$ROOT/usr/bin" "$ROOT/usr/share/applications" "$ROOT/usr/share/metainfo"
cp -a dist/ghostwatch "$ROOT/opt/ghostwatch"
ln -s /opt/ghostwatch/ghostwatch "$ROOT/usr/bin/ghostwatch"
cp installer/linux/ghostwatch.desktop "$ROOT/usr/share/applications/ghostwatch.desktop"
cp installer/linux/io.github.ghostwatch.GhostWatch.metainfo.xml "$ROOT/usr/share/metainfo/"
mkdir -p "$ROOT/lib/systemd/system"
cp installer/linux/ghostwatch-watch.service "$ROOT/lib/systemd/system/ghostwatch-watch.service"
$PYTHON installer/linux/render_icons.py resources/icons/ghostwatch.svg "$ROOT/usr/share/icons/hicolor"
SIZE=$(du -sk "$ROOT" | cut -f1)
cat > "$ROOT/DEBIAN/control" <<CONTROL
Package: ghostwatch
Version: $VERSION
Architecture: $ARCH
Maintainer: The GhostWatch developers <ghostwatch@example.org>
Installed-Size: $SIZE
Depends: libc6, libegl1, libgl1, libx11-6, libxkbcommon0, libfontconfig1, libdbus-1-3, libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxcb-shape0, libxkbcommon-x11-0
Recommends: fonts-dejavu-core
Section: net
Priority: optional
Description: spots ghost calls and SIP attacks in your phone system's logs
 GhostWatch follows the logs of an office PBX (Asterisk, FreePBX, FreeSWITCH,
 Kamailio), marks every ghost call and SIP attack with its reasons, plots how
 often they come and raises desktop notifications. History and settings live
 in each user's own folders and survive upgrades and removal.
CONTROL
cat > "$ROOT/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  command -v update-desktop-database >/dev/null && update-desktop-database -q /usr/share/applications || true
  command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q /usr/share/icons/hicolor || true
  # the headless service is made known to systemd, never enabled or started by the package
  if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
fi
POSTINST
chmod 0755 "$ROOT/DEBIAN/postinst"
cat > "$ROOT/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  systemctl disable --now ghostwatch-watch.service >/dev/null 2>&1 || true
fi
PRERM
chmod 0755 "$ROOT/DEBIAN/prerm"
# no postrm: a package without one leaves nothing behind on `dpkg -r` (no "config-files" state to purge)
dpkg-deb --root-owner-group --build "$ROOT" dist/ >/dev/null
ls -l dist/ghostwatch_${VERSION}_${ARCH}.deb
