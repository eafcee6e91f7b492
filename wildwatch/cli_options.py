"""Options shared by the command modules of the ``wildwatch`` command line."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from wildwatch.config import DATA_DIR_ENV, AppConfig

__all__ = ["data_dir_option"]


def data_dir_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Adds ``--data-dir`` and hands the command a resolved `AppConfig` as ``config``."""

    @click.option(
        "--data-dir",
        type=click.Path(path_type=Path),
        envvar=DATA_DIR_ENV,
        show_envvar=True,
        help="Where the store, evidence and state live "
        "[default: $XDG_DATA_HOME/wildwatch or ~/.local/share/wildwatch].",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, data_dir: Path | None, **kwargs: Any) -> Any:
        return func(*args, config=AppConfig.at(data_dir), **kwargs)

    return wrapper
