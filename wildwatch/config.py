"""Where wildwatch keeps its state, and where its configuration files are."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from wildwatch.errors import DataDirError

__all__ = ["DATA_DIR_ENV", "AppConfig", "default_data_dir", "default_sources_file"]

DATA_DIR_ENV = "WILDWATCH_DATA_DIR"
_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_data_dir() -> Path:
    """The data directory when none is given on the command line.

    ``$WILDWATCH_DATA_DIR``, else ``$XDG_DATA_HOME/wildwatch``, else
    ``~/.local/share/wildwatch``.
    """
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV])
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "wildwatch"


def default_sources_file() -> Path:
    return _PROJECT_ROOT / "config" / "sources.yaml"


@dataclass(frozen=True)
class AppConfig:
    """Resolved locations for one run of a command."""

    data_dir: Path

    @classmethod
    def at(cls, data_dir: Path | None) -> AppConfig:
        """Config for `data_dir` (or the default), created if missing."""
        path = (data_dir or default_data_dir()).expanduser()
        if path.exists() and not path.is_dir():
            raise DataDirError(f"data directory {path} exists and is not a directory")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataDirError(f"cannot create data directory {path}: {exc.strerror}") from exc
        if not os.access(path, os.W_OK):
            raise DataDirError(f"data directory {path} is not writable")
        return cls(data_dir=path.resolve())

    @property
    def database_path(self) -> Path:
        return self.data_dir / "wildwatch.db"

    @property
    def evidence_dir(self) -> Path:
        """Captured evidence, content-addressed and write-once."""
        return self.data_dir / "evidence"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database_path}"
