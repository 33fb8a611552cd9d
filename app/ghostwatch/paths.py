"""Where GhostWatch finds its resources and keeps its data."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "GhostWatch"


def resources_dir() -> Path:
    """The `resources/` folder: $GHOSTWATCH_RESOURCES, a frozen bundle's, or the source tree's."""
    env = os.environ.get("GHOSTWATCH_RESOURCES")
    if env:
        return Path(env)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    here = Path(__file__).resolve().parent
    for candidate in (here.parent.parent / "resources", here / "resources"):
        if (candidate / "signatures.toml").is_file():
            return candidate
    raise FileNotFoundError("GhostWatch resources not found (set GHOSTWATCH_RESOURCES)")


@dataclass(frozen=True)
class AppPaths:
    data_dir: Path
    config_dir: Path
    log_dir: Path

    @classmethod
    def default(cls, data_dir: str | os.PathLike[str] | None = None) -> AppPaths:
        """Platform locations from platformdirs, or everything under `data_dir` when given (--data-dir)."""
        if data_dir is not None:
            base = Path(data_dir)
            return cls(base, base, base / "logs")
        from platformdirs import PlatformDirs

        dirs = PlatformDirs(APP_NAME, appauthor=False)
        return cls(Path(dirs.user_data_dir), Path(dirs.user_config_dir), Path(dirs.user_log_dir))

    @property
    def database(self) -> Path:
        return self.data_dir / "history.sqlite3"
