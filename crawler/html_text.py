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

__all__ = ["MAX_HTML_CHARS", "MAX_TEXT_DEPTH", "element_text", "first_line", "html_to_text"]

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
    return element_text(root)


def first_line(text: str) -> str | None:
    """The first non-empty line of `text` (a post's title), or None."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return None


#: Deeper nesting than this is not read (a hostile page can nest 100,000 levels).
MAX_TEXT_DEPTH = 200


def element_text(element: Any) -> str:
    """The visible text of a parsed element (lxml), one line per block."""
    parts: list[str] = []
    _collect(element, parts)
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _flow(text: str | None, pre: bool) -> str:
    """Source text as shown: a line break in the HTML is a space, except inside ``pre``."""
    if not text:
        return ""
    return text if pre else text.replace("\r", " ").replace("\n", " ")


def _collect(element: Any, out: list[str], depth: int = 0, pre: bool = False) -> None:
    # Comments and processing instructions have a non-string tag: their text is not
    # shown (only their tail is, which the parent adds).
    tag = element.tag.lower() if isinstance(element.tag, str) else None
    if tag is None or tag in _SKIPPED_TAGS or depth > MAX_TEXT_DEPTH:
        return
    pre = pre or tag == "pre"
    block = tag in _BLOCK_TAGS
    if block:
        out.append("\n")
    out.append(_flow(element.text, pre))
    for child in element:
        _collect(child, out, depth + 1, pre)
        out.append(_flow(child.tail, pre))
    if block:
        out.append("\n")
