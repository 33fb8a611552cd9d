"""Render the SVG icon into the hicolor PNG sizes: python render_icons.py SVG OUT_DIR (uses Qt, offscreen)."""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

SIZES = (16, 22, 24, 32, 48, 64, 128, 256)

app = QGuiApplication([])
svg, out = Path(sys.argv[1]), Path(sys.argv[2])
renderer = QSvgRenderer(str(svg))
for size in SIZES:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    target = out / f"{size}x{size}" / "apps"
    target.mkdir(parents=True, exist_ok=True)
    image.save(str(target / "ghostwatch.png"))
scalable = out / "scalable" / "apps"
scalable.mkdir(parents=True, exist_ok=True)
(scalable / "ghostwatch.svg").write_bytes(svg.read_bytes())
