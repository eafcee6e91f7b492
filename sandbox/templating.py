"""The one Jinja set-up every sandbox site uses: autoescaping on (listing text is
hostile), undefined names an error, tidy whitespace."""

from __future__ import annotations

from typing import Any

from jinja2 import BaseLoader, Environment, StrictUndefined

__all__ = ["template_environment"]


def template_environment(loader: BaseLoader, **globals: Any) -> Environment:
    """A Jinja environment over `loader`, with `globals` in every template."""
    env = Environment(
        loader=loader,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(globals)
    return env
