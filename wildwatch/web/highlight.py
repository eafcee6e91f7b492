"""Splits listing text into plain and matched segments for display, without any markup."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.listing import Reason

__all__ = ["Segment", "segments"]


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
