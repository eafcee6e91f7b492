"""Splits listing text into plain and matched segments for display, without any markup."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup, escape

from crawler.listing import Reason

__all__ = ["Segment", "distinct_reasons", "format_time", "marked_fragment", "segments"]

_MARKS = re.compile(r"(</?mark>)")


@dataclass(frozen=True)
class Segment:
    text: str
    kind: str | None  # the reason kind for a matched span, None for plain text


def segments(text: str, reasons: list[Reason]) -> list[Segment]:
    """Text cut at reason spans; overlapping spans keep the earliest, out-of-range ones drop.

    The template escapes each segment, so the markup around matches is ours alone.
    """
    out: list[Segment] = []
    cursor = 0
    for reason in sorted(reasons, key=lambda r: (r.start, -r.end)):
        start, end = max(reason.start, cursor), min(reason.end, len(text))
        if start >= end:
            continue
        if start > cursor:
            out.append(Segment(text[cursor:start], None))
        out.append(Segment(text[start:end], reason.kind))
        cursor = end
    if cursor < len(text):
        out.append(Segment(text[cursor:], None))
    return out


def distinct_reasons(reasons: list[Reason]) -> list[Reason]:
    """Each (kind, term) once, in order of first appearance: a queue row stays readable."""
    seen: set[tuple[str, str]] = set()
    out = []
    for reason in reasons:
        key = (reason.kind, reason.term.casefold())
        if key not in seen:
            seen.add(key)
            out.append(reason)
    return out


def format_time(value: datetime | None) -> str:
    """A timestamp as reviewers read it: UTC, to the second."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def marked_fragment(fragment: str) -> Markup:
    """A search backend's highlighted fragment, made safe whatever the backend sent.

    Everything but ``<mark>`` and ``</mark>`` is escaped again, so a backend that failed
    to escape listing text still cannot put markup on the page.
    """
    parts = _MARKS.split(fragment)
    out = []
    for part in parts:
        out.append(Markup(part) if part in ("<mark>", "</mark>") else escape(html.unescape(part)))
    return Markup("").join(out)
