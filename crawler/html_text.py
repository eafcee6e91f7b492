"""HTML fragments from APIs and feeds (a status's ``content``, a product's ``body_html``,
a feed entry's summary) read as plain text.

The markup is hostile input: it is parsed into a tree and only its text nodes are
kept. Scripts, styles, embedded documents and comments contribute nothing; entities
are decoded once; nothing is ever rendered or executed. Block elements and ``<br>``
become line breaks, so a post's first line stays its first line.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.etree
import lxml.html

__all__ = ["MAX_HTML_CHARS", "first_line", "html_to_text"]

#: Longer fragments are cut before parsing (a listing keeps 20,000 characters anyway).
MAX_HTML_CHARS = 200_000

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
# Elements whose content is code, styling or another document, never visible text.
_SKIPPED_TAGS = frozenset(
    [
        "script",
        "style",
        "template",
        "noscript",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "head",
        "title",
        "textarea",
        "select",
        "button",
        "canvas",
        "audio",
        "video",
    ]
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def html_to_text(fragment: str | None) -> str:
    """The visible text of an HTML fragment, one line per block, spaces collapsed.

    ``"<p>Ivory &amp; bone<br>DM me</p><script>x()</script>"`` gives
    ``"Ivory & bone\\nDM me"``. Empty or unparsable input gives ``""``.
    """
    if not fragment or not fragment.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(fragment[:MAX_HTML_CHARS], create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return ""
    parts: list[str] = []
    _collect(root, parts)
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def first_line(text: str) -> str | None:
    """The first non-empty line of `text` (a post's title), or None."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return None


def _collect(element: Any, out: list[str]) -> None:
    # Comments and processing instructions have a non-string tag: their text is not
    # shown (only their tail is, which the parent adds).
    tag = element.tag.lower() if isinstance(element.tag, str) else None
    if tag is None or tag in _SKIPPED_TAGS:
        return
    block = tag in _BLOCK_TAGS
    if block:
        out.append("\n")
    out.append(element.text or "")
    for child in element:
        _collect(child, out)
        out.append(child.tail or "")
    if block:
        out.append("\n")
