"""Which classifier a command uses: the active head of the data directory's registry,
else the head shipped with wildwatch, on the configured encoder."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from classifiers.registry import HeadRegistry
from classifiers.wildlife import SHIPPED_HEAD, WildlifeClassifier
from wildwatch.config import AppConfig

__all__ = ["active_head_path", "head_registry", "load_classifier"]


def head_registry(config: AppConfig) -> HeadRegistry:
    return HeadRegistry(config.data_dir / "models")


def active_head_path(config: AppConfig) -> Path:
    """The head in use: the registry's active version, else the shipped one."""
    return head_registry(config).active_path() or SHIPPED_HEAD


def load_classifier(config: AppConfig) -> WildlifeClassifier:
    """The classifier for `config` (loaded once per head file and process)."""
    return _load(active_head_path(config))


@lru_cache(maxsize=4)
def _load(head_path: Path) -> WildlifeClassifier:
    return WildlifeClassifier(head_path)
