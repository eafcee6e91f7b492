"""Public channels of a sandbox Telegram, read through their web preview
(platform key ``sandbox-telegram``), as ``t.me/s/<channel>`` shows them.

One channel per market language re-posts the corpus listings in that language, one
message each, oldest first; message 1 is the "Channel created" service message.
Posts are signed by the seller (``tgme_widget_message_from_author``), except in the
unsigned channels (`UNSIGNED`), where the channel itself is the only author shown.

Routes (GET and HEAD):

- ``/s/<channel>[?before=<id>]``: up to `PAGE_SIZE` messages older than ``before``
  (the newest ones without it), oldest first, in ``div.tgme_widget_message`` blocks
  with ``data-post="<channel>/<id>"``: the channel name in
  ``a.tgme_widget_message_owner_name``, photos as ``a.tgme_widget_message_photo_wrap``
  with ``style="...background-image:url('...')"``, the text in
  ``.tgme_widget_message_text`` (``<br/>`` line breaks, hashtag and contact links),
  the date in ``a.tgme_widget_message_date time[datetime]``. When older messages
  exist, ``a.tme_messages_more[data-before]`` links to them;
- ``/<channel>`` and ``/<channel>/<id>``: the channel's and a message's pages;
- ``/file/<channel>/<id>_<n>.svg``: photos; ``/robots.txt``.

Text is escaped by the template (autoescape), as Telegram escapes what users type.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, StrictUndefined

from sandbox.api_common import listing_hashtags
from sandbox.corpus import EPOCH, Corpus, SandboxListing, Seller
from sandbox.market import placeholder_svg
from sandbox.server import Request, Response, Router

__all__ = ["CHANNELS", "PAGE_SIZE", "PLATFORM", "UNSIGNED", "Channel", "Message", "TelegramSite"]

PLATFORM = "sandbox-telegram"
PAGE_SIZE = 20
#: Channel name and title for each market language.
CHANNELS = {
    "en": ("swapmeet_uk", "Swap Meet UK"),
    "fr": ("bonnes_affaires", "Bonnes affaires 🇫🇷"),
    "es": ("ventas_mx", "Ventas MX"),
    "pt": ("desapego_br", "Desapego Brasil"),
    "id": ("jualbeli_id", "Jual Beli Indonesia"),
    "vi": ("chodocu_vn", "Chợ đồ cũ"),
    "zh": ("erhuo_market", "二手市场"),
    "th": ("talad_mue_song", "ตลาดมือสอง"),
}
#: Channels that do not sign their posts.
UNSIGNED = frozenset({"bonnes_affaires", "ventas_mx"})

_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{{ channel.title }} – Telegram</title>
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta property="og:title" content="{{ channel.title }}">
<meta property="og:site_name" content="Telegram">
<meta property="og:description" content="{{ channel.about }}">
<link rel="canonical" href="{{ base }}/s/{{ channel.name }}">
</head>
<body class="widget_frame_base tgme_webpreview_body">
<header class="tgme_header search_collapsed">
<div class="tgme_header_info">
<a class="tgme_header_link" href="{{ base }}/{{ channel.name }}">
<div class="tgme_header_title"><span dir="auto">{{ channel.title }}</span></div>
<div class="tgme_header_counter">{{ channel.messages|length }} messages</div>
</a>
</div>
</header>
<main class="tgme_main">
<section class="tgme_channel_history js-message_history">
{% if before %}
<div class="tgme_widget_message_centered js-messages_more_wrap">
<a href="/s/{{ channel.name }}?before={{ before }}" class="tme_messages_more js-messages_more"
 data-before="{{ before }}"></a>
</div>
{% endif %}
{% for m in messages %}
<div class="tgme_widget_message_wrap js-widget_message_wrap">
{% if m.service %}
<div class="tgme_widget_message service_message js-widget_message"
 data-post="{{ channel.name }}/{{ m.id }}">
<div class="tgme_widget_message_bubble">
<div class="tgme_widget_service_strong_text" dir="auto">Channel created</div>
</div>
</div>
{% else %}
<div class="tgme_widget_message text_not_supported_wrap js-widget_message"
 data-post="{{ channel.name }}/{{ m.id }}" data-view="{{ m.view_token }}">
<div class="tgme_widget_message_user"><a href="{{ base }}/{{ channel.name }}">
<i class="tgme_widget_message_user_photo bgcolor{{ m.id % 7 }}"
 data-content="{{ channel.title[:1] }}"></i></a></div>
<div class="tgme_widget_message_bubble">
<i class="tgme_widget_message_bubble_tail"><svg class="bubble_icon" width="9px" height="20px"
 viewBox="0 0 9 20"><path d="M8,1 L9,1 L9,20 L8,20 Z"></path></svg></i>
<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name"
 href="{{ base }}/{{ channel.name }}"><span dir="auto">{{ channel.title }}</span></a></div>
{% if m.photos|length == 1 %}
<a class="tgme_widget_message_photo_wrap {{ m.view_token }}"
 href="{{ base }}/{{ channel.name }}/{{ m.id }}"
 style="width:800px;background-image:url('{{ m.photos[0] }}')">
<div class="tgme_widget_message_photo" style="padding-top:75%"></div>
</a>
{% elif m.photos %}
<div class="tgme_widget_message_grouped_wrap js-message_grouped_wrap" style="width:800px;">
<div class="tgme_widget_message_grouped js-message_grouped" style="padding-top:75%">
<div class="tgme_widget_message_grouped_layer js-message_grouped_layer">
{% for photo in m.photos %}
<a class="tgme_widget_message_photo_wrap grouped_media_wrap blured js-message_photo"
 style="left:{{ loop.index0 * 10 }}px;top:0px;width:400px;background-image:url('{{ photo }}')"
 data-ratio="1.3333" href="{{ base }}/{{ channel.name }}/{{ m.id }}?single">
<div class="grouped_media_helper" style="left:0;top:0;width:400px;"></div>
</a>
{% endfor %}
</div>
</div>
</div>
{% endif %}
<div class="tgme_widget_message_text js-message_text" dir="auto">
{{- "" -}}<b>{{ m.listing.title }}</b><br/><br/>{{ m.listing.description }}<br/><br/>
{%- for tag in m.hashtags -%}
<a href="?q=%23{{ tag|urlencode }}">#{{ tag }}</a>{% if not loop.last %} {% endif %}
{%- endfor -%}
{%- if m.contact -%}
<br/>📞 <a href="{{ m.contact_href }}" target="_blank" rel="noopener">{{ m.contact }}</a>
{%- endif -%}
</div>
<div class="tgme_widget_message_footer compact js-message_footer">
<div class="tgme_widget_message_info short js-message_info">
<span class="tgme_widget_message_views">{{ m.views }}</span>
{% if m.signer %}<span class="tgme_widget_message_from_author" dir="auto">{{ m.signer }}</span>
&nbsp;{% endif %}<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date"
 href="{{ base }}/{{ channel.name }}/{{ m.id }}"><time datetime="{{ m.datetime }}"
 class="time">{{ m.clock }}</time></a></span>
</div>
</div>
</div>
</div>
{% endif %}
</div>
{% endfor %}
</section>
</main>
</body>
</html>
"""


@dataclass(frozen=True)
class Message:
    """One channel post (a corpus listing), or the service message that opens a channel."""

    channel: str
    id: int
    posted_at: datetime
    listing: SandboxListing | None  # None: the "Channel created" service message
    seller: Seller | None
    signed: bool

    @property
    def service(self) -> bool:
        return self.listing is None

    @property
    def post(self) -> str:
        """``channel/id``, the preview's ``data-post``."""
        return f"{self.channel}/{self.id}"

    @property
    def signer(self) -> str | None:
        return self.seller.name if self.signed and self.seller else None

    @property
    def hashtags(self) -> list[str]:
        return listing_hashtags(self.listing) if self.listing else []

    @property
    def contact(self) -> str | None:
        return self.seller.contacts[0] if self.seller and self.seller.contacts else None

    @property
    def text(self) -> str:
        """The message text as a reader sees it, one line per line."""
        if self.listing is None:
            return "Channel created"
        lines = [self.listing.title, self.listing.description]
        lines.append(" ".join(f"#{t}" for t in self.hashtags))
        if self.contact:
            lines.append(f"📞 {self.contact}")
        return "\n".join(lines)

    def url(self, base_url: str) -> str:
        return f"{base_url}/{self.channel}/{self.id}"

    def photo_urls(self, base_url: str) -> list[str]:
        count = self.listing.image_count if self.listing else 0
        return [f"{base_url}/file/{self.channel}/{self.id}_{n}.svg" for n in range(1, count + 1)]


@dataclass(frozen=True)
class Channel:
    name: str
    title: str
    language: str
    messages: tuple[Message, ...]  # oldest first, ids 1..n

    @property
    def about(self) -> str:
        return f"{self.title}: buy and sell, {len(self.messages) - 1} posts."


class TelegramSite:
    """The channels' web preview over one corpus; a `sandbox.server.Site`."""

    name = "Telegram preview"
    platform = PLATFORM

    def __init__(self, corpus: Corpus, *, page_size: int = PAGE_SIZE) -> None:
        self.corpus = corpus
        self.page_size = page_size
        channels = {}
        for language, (name, title) in CHANNELS.items():
            listings = sorted(
                (x for x in corpus.listings if x.language == language),
                key=lambda x: (x.posted_at, x.listing_id),
            )
            if not listings:
                continue
            created = min(EPOCH - timedelta(days=200), listings[0].posted_at)
            messages = [Message(name, 1, created, None, None, False)]
            messages += [
                Message(
                    name,
                    number,
                    listing.posted_at,
                    listing,
                    corpus.sellers_by_id[listing.seller_id],
                    name not in UNSIGNED,
                )
                for number, listing in enumerate(listings, start=2)
            ]
            channels[name] = Channel(name, title, language, tuple(messages))
        #: Every channel by name.
        self.channels: Mapping[str, Channel] = channels
        self._env = Environment(autoescape=True, undefined=StrictUndefined)
        self._page = self._env.from_string(_PAGE)
        self.router = Router()
        self.router.add(r"/s/(?P<channel>[A-Za-z0-9_]+)/?", self.preview)
        self.router.add(
            r"/file/(?P<channel>[A-Za-z0-9_]+)/(?P<mid>[0-9]+)_(?P<n>[0-9]+)\.svg", self.photo
        )
        self.router.add(r"/(?P<channel>[A-Za-z0-9_]+)(?:/(?P<mid>[0-9]+))?", self.channel_page)
        self.router.add(r"/robots\.txt", lambda request: Response.text("User-agent: *\nAllow: /\n"))

    # -- ground truth

    def posts(self, channel: str) -> list[Message]:
        """A channel's messages that are posts (not the service message), oldest first."""
        return [m for m in self.channels[channel].messages if not m.service]

    # -- routes

    def handle(self, request: Request) -> Response:
        response = self.router.dispatch(request)
        return response if response is not None else Response.html("<h1>Not found</h1>", 404)

    def preview(self, request: Request, channel: str) -> Response:
        """One page of a channel's history: the `page_size` messages before ``before``."""
        found = self.channels.get(channel)
        if found is None:
            return Response.html("<h1>No such channel</h1>", 404)
        raw = request.arg("before") or ""
        # Like t.me, an unreadable "before" is ignored.
        before = int(raw) if raw.isdigit() and len(raw) < 12 else None
        older = [m for m in found.messages if before is None or m.id < before]
        shown = older[-self.page_size :]
        more = shown[0].id if shown and shown[0].id > 1 else None
        page = self._page.render(
            base=request.base_url,
            channel=found,
            before=more,
            messages=[self._message(request.base_url, m) for m in shown],
        )
        return Response.html(page)

    def channel_page(self, request: Request, channel: str, mid: str | None = None) -> Response:
        found = self.channels.get(channel)
        if found is None or (mid is not None and not 1 <= int(mid) <= len(found.messages)):
            return Response.html("<h1>No such post</h1>", 404)
        return Response.html(
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram</title>'
            f'<meta property="og:url" content="{request.base_url}/{channel}"></head>'
            f'<body><a href="/s/{channel}">Preview channel</a></body></html>'
        )

    def photo(self, request: Request, channel: str, mid: str, n: str) -> Response:
        found = self.channels.get(channel)
        number, photo = int(mid), int(n)
        message = (
            found.messages[number - 1] if found and 0 < number <= len(found.messages) else None
        )
        if message is None or message.listing is None:
            return Response.html("<h1>Not found</h1>", 404)
        if not 1 <= photo <= message.listing.image_count:
            return Response.html("<h1>Not found</h1>", 404)
        body = placeholder_svg(message.listing.listing_id, photo).encode("utf-8")
        return Response(200, body, "image/svg+xml", (("Cache-Control", "max-age=86400"),))

    # -- rendering

    def _message(self, base_url: str, message: Message) -> dict[str, Any]:
        contact = message.contact
        return {
            "id": message.id,
            "service": message.service,
            "listing": message.listing,
            "signer": message.signer,
            "hashtags": message.hashtags,
            "contact": contact,
            "contact_href": _contact_href(contact) if contact else None,
            "photos": message.photo_urls(base_url),
            "views": f"{(message.id * 137) % 900 + 100}",
            "datetime": message.posted_at.isoformat(),
            "clock": message.posted_at.strftime("%H:%M"),
            "view_token": hashlib.sha256(message.post.encode()).hexdigest()[:12],
        }


def _contact_href(contact: str) -> str:
    """A link for an off-platform contact: a phone number dials, a handle opens a chat."""
    digits = "".join(c for c in contact if c.isdigit())
    if "telegram" in contact.lower() or "@" in contact:
        handle = contact.rsplit("@", 1)[-1].strip()
        return f"https://t.me/{quote(handle)}"
    return f"https://wa.me/{digits}" if digits else "#"
