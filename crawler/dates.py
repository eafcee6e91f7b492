"""Dates as listings write them ("2 hours ago", "hier", "3 ngày trước", "12/03/2026"),
resolved against the time the page was fetched and returned in UTC.

`dateparser` does the reading, offline, with the page's language when it is known. A
label in front ("Posted", "Publié le", "Đăng lúc") is dropped first. A result more than
a day after the fetch is refused: a listing cannot be posted in the future, so such a
reading is the wrong day/month order or not a date at all.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import dateparser

__all__ = ["parse_date"]

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 120
#: No online listing predates the web; earlier readings are garbage ("01/01/1970").
EARLIEST = datetime(1991, 1, 1, tzinfo=UTC)
_FUTURE_SLACK = timedelta(days=1)

_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_NUMERIC = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})\b")
# Words in front of a date that name it rather than say it, in the sandbox's languages
# and a few more. Longest first, so "publié le" goes before "publié".
_LABELS = [
    "posted on",
    "posted",
    "listed on",
    "listed",
    "published on",
    "published",
    "added on",
    "added",
    "date posted",
    "date",
    "publiée le",
    "publié le",
    "publiée",
    "publié",
    "mis en ligne le",
    "mis en ligne",
    "publicado el",
    "publicado em",
    "publicada el",
    "publicada em",
    "publicado",
    "publicada",
    "veröffentlicht am",
    "veröffentlicht",
    "eingestellt am",
    "eingestellt",
    "inserito il",
    "inserito",
    "ngày đăng",
    "đăng lúc",
    "đăng ngày",
    "đăng vào",
    "đăng",
    "cập nhật",
    "发布于",
    "发布时间",
    "發佈於",
    "發布於",
    "发布",
    "發佈",
    "發布",
    "刊登于",
    "刊登於",
    "掲載日",
    "投稿日",
    "出品日",
    "โพสต์เมื่อ",
    "ลงประกาศเมื่อ",
    "ประกาศเมื่อ",
    "diposting pada",
    "diposting",
    "dipasang",
    "diterbitkan",
]
_LABEL = re.compile(
    r"^(?:" + "|".join(re.escape(label) for label in _LABELS) + r")(?![^\W\d_])\s*[:：]?\s*",
    re.IGNORECASE,
)
_DEFAULT_LANGUAGES = "en fr es pt de it nl vi zh zh-Hant ja ko th id ms tl ru ar tr pl sw".split()  # noqa: SIM905
_PARSERS = ["timestamp", "relative-time", "custom-formats", "absolute-time"]


def _language(lang: str | None) -> str | None:
    """The dateparser language for a page language tag ("zh-TW" -> "zh-Hant")."""
    if not lang:
        return None
    parts = re.split(r"[-_]", lang.strip())
    primary = parts[0].lower()
    if primary == "zh":
        rest = {p.lower() for p in parts[1:]}
        return "zh-Hant" if rest & {"hant", "tw", "hk", "mo"} else "zh"
    return primary or None


def _settings(now: datetime, order: str | None) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "RELATIVE_BASE": now.astimezone(UTC).replace(tzinfo=None),
        "PREFER_DATES_FROM": "past",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "TIMEZONE": "UTC",
        "TO_TIMEZONE": "UTC",
        "PARSERS": _PARSERS,
    }
    if order:
        settings["DATE_ORDER"] = order
    return settings


def _dateparser(
    text: str, now: datetime, languages: list[str] | None, order: str | None = None
) -> datetime | None:
    try:
        return dateparser.parse(text, languages=languages, settings=_settings(now, order))
    except (ValueError, OverflowError, TypeError, RecursionError, ArithmeticError) as exc:
        # An unknown language code, or a reading dateparser cannot build.
        logger.debug("dateparser failed on %r: %s", text, exc)
        return None


def _attempts(language: str | None) -> list[list[str]]:
    """Languages to read with: the page's, then English (pages mix in English labels);
    without one, the common marketplace languages (detection over all of dateparser's
    locales takes seconds on the first miss)."""
    if language is None:
        return [_DEFAULT_LANGUAGES]
    return [[language], ["en"]] if language != "en" else [["en"]]


def _candidates(text: str) -> list[str]:
    """The text, then without its label, then with up to three leading words dropped."""
    seen = [text]
    unlabelled = _LABEL.sub("", text, count=1).strip()
    if unlabelled and unlabelled not in seen:
        seen.append(unlabelled)
    words = unlabelled.split(" ")
    for n in range(1, min(4, len(words))):
        rest = " ".join(words[n:]).strip()
        if rest and rest not in seen:
            seen.append(rest)
    return seen


def _iso(text: str) -> datetime | None:
    if not _ISO.fullmatch(text):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _plausible(found: datetime | None, now: datetime) -> datetime | None:
    if found is None:
        return None
    found = found.astimezone(UTC) if found.tzinfo else found.replace(tzinfo=UTC)
    if found > now + _FUTURE_SLACK or found < EARLIEST:
        return None
    return found


def parse_date(text: str, *, now: datetime, lang: str | None = None) -> datetime | None:
    """When `text` says something was posted, resolved against `now`; None if unreadable.

    `now` is the fetch time (a naive one is taken as UTC); `lang` the page's language
    tag. The result is timezone-aware UTC and never more than a day after `now`.
    """
    if not isinstance(now, datetime):
        raise TypeError(f"now must be a datetime, got {type(now).__name__}")
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    if not text:
        return None
    normal = " ".join(unicodedata.normalize("NFKC", text[: MAX_TEXT_CHARS * 2]).split())
    normal = normal[:MAX_TEXT_CHARS].strip(" ·|•,;-–—()[]")
    if not normal or not re.search(r"\w", normal):
        return None
    iso = _iso(normal)
    if iso is not None:
        return _plausible(iso, now)
    if re.fullmatch(r"\d{1,8}", normal):
        return None  # a bare number ("2026", "12345") is not a posting date
    for languages in _attempts(_language(lang)):
        for candidate in _candidates(normal):
            found = _dateparser(candidate, now, languages)
            if found is None:
                continue
            plausible = _plausible(found, now)
            if plausible is None and _NUMERIC.search(candidate):
                # "12/03/2026" read in the locale's order landed in the future: the
                # page meant the other order.
                for order in ("DMY", "MDY"):
                    plausible = _plausible(_dateparser(candidate, now, languages, order), now)
                    if plausible is not None:
                        break
            return plausible
    return None
