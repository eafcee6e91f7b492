"""A guarded Bazaar: the sandbox marketplace behind a bot wall that answers chosen
pages with block pages instead of the listing (site name ``Bazaar (guarded)``).

Block pages, each imitating a real one:

- ``captcha``: a reCAPTCHA interstitial (200, ``div.g-recaptcha``, "verify you are a
  human");
- ``challenge``: a JavaScript bot challenge (503, "Just a moment...", challenge script
  and form, no ``cf-mitigated`` header, so only the markup tells);
- ``denied``: an edge server's "Access Denied" (403, a reference number);
- ``login``: a login wall (200, a log-in form where the listing should be).

Which pages are blocked: ``paths`` maps exact paths to a block style, and ``after``
blocks every page after that many requests with ``style`` (a bot wall that wakes
up). ``/robots.txt`` is never blocked nor counted. `served` records every answer as
``(path, style or None)`` in order, so tests can see what was blocked and when.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Mapping
from typing import Literal, get_args

from sandbox.corpus import Corpus
from sandbox.market import MarketSite
from sandbox.server import Request, Response

__all__ = ["BLOCK_STYLES", "BlockStyle", "GuardedSite", "block_page"]

BlockStyle = Literal["captcha", "challenge", "denied", "login"]
BLOCK_STYLES: tuple[BlockStyle, ...] = get_args(BlockStyle)

_CAPTCHA = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Security check</title>
<script src="https://www.google.com/recaptcha/api.js" async defer></script>
<style>body{{font-family:sans-serif;text-align:center;margin-top:4rem}}</style>
</head>
<body>
<div class="wrap">
<h1>Please verify you are a human</h1>
<p>We have noticed unusual activity from your network. Complete the check below to
continue to {site}.</p>
<form action="/captcha/verify" method="post">
<input type="hidden" name="return" value="{path}">
<div class="g-recaptcha" data-sitekey="6LcSandboxSiteKeyNotRealAAAAAAAAAAAAAAAAA"></div>
<button type="submit">Continue</button>
</form>
<p class="ref">Request ID: {ref}</p>
</div>
</body>
</html>
"""

_CHALLENGE = """<!DOCTYPE html>
<html lang="en-US">
<head>
<title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow">
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>*{{box-sizing:border-box;margin:0;padding:0}}html{{line-height:1.15}}</style>
</head>
<body class="no-js">
<div class="main-wrapper" role="main">
<div class="main-content">
<h1 class="zone-name-title h1">{host}</h1>
<h2 id="challenge-running" class="h2">Checking if the site connection is secure</h2>
<noscript><div id="challenge-error-title">Enable JavaScript and cookies to continue</div>
</noscript>
<div id="challenge-body-text" class="core-msg spacer">{host} needs to review the security
of your connection before proceeding.</div>
<form id="challenge-form" action="{path}?__cf_chl_f_tk={ref}" method="POST"
 enctype="application/x-www-form-urlencoded">
<input type="hidden" name="md" value="{ref}">
</form>
</div>
</div>
<script>(function(){{window._cf_chl_opt={{cvId: '3',cZone: '{host}',cType: 'managed',
cRay: '{ref}',cH: 'sandbox'}};var a = document.createElement('script');
a.src = '/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray={ref}';
document.getElementsByTagName('head')[0].appendChild(a);}}());</script>
</body>
</html>
"""

_DENIED = """<HTML><HEAD>
<TITLE>Access Denied</TITLE>
</HEAD><BODY>
<H1>Access Denied</H1>

You don't have permission to access "{url}" on this server.<P>
Reference&#32;&#35;18&#46;{ref}
</BODY>
</HTML>
"""

_LOGIN = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Log in | {site}</title>
</head>
<body>
<header><a class="brand" href="/">{site}</a></header>
<main>
<h1>Log in to continue</h1>
<p>To see this listing, log in to your {site} account.</p>
<form class="login" action="/account/login?next={path}" method="post">
<label>E-mail <input type="email" name="email" autocomplete="username"></label>
<label>Password <input type="password" name="password" autocomplete="current-password">
</label>
<button type="submit">Log in</button>
</form>
<p><a href="/account/register">Create an account</a> ·
<a href="/account/forgot">Forgot your password?</a></p>
</main>
</body>
</html>
"""


def block_page(style: BlockStyle, request: Request, site: str, n: int) -> Response:
    """The block page of `style` for `request` (`n` numbers its reference)."""
    ref = f"{0x5A17 * (n + 1):x}{n:06d}"
    host = request.base_url.split("://", 1)[-1]
    values = {
        "site": html.escape(site),
        "path": html.escape(request.path),
        "url": html.escape(request.absolute(request.path)).replace(":", "&#58;"),
        "host": html.escape(host),
        "ref": ref,
    }
    if style == "captcha":
        return Response.html(_CAPTCHA.format(**values))
    if style == "challenge":
        headers = [("Server", "sandbox-edge"), ("Cache-Control", "private, no-store")]
        return Response.html(_CHALLENGE.format(**values), 503, headers=headers)
    if style == "denied":
        return Response.html(_DENIED.format(**values), 403, headers=[("Server", "SandboxGHost")])
    if style == "login":
        return Response.html(_LOGIN.format(**values))
    raise ValueError(f"unknown block style {style!r}; use one of {', '.join(BLOCK_STYLES)}")


class GuardedSite:
    """Bazaar behind a bot wall; a `sandbox.server.Site`."""

    name = "Bazaar (guarded)"

    def __init__(
        self,
        corpus: Corpus,
        *,
        paths: Mapping[str, BlockStyle] | None = None,
        after: int | None = None,
        style: BlockStyle = "captcha",
    ) -> None:
        for where, chosen in [*(paths or {}).items(), ("after", style)]:
            if chosen not in BLOCK_STYLES:
                raise ValueError(
                    f"{where}: unknown block style {chosen!r}; use one of {', '.join(BLOCK_STYLES)}"
                )
        if after is not None and after < 0:
            raise ValueError(f"after must be 0 or more requests, got {after}")
        self.market = MarketSite(corpus)
        self.platform = self.market.platform
        self.paths = dict(paths or {})
        self.after = after
        self.style: BlockStyle = style
        self._lock = threading.Lock()
        self._served: list[tuple[str, BlockStyle | None]] = []

    @property
    def served(self) -> list[tuple[str, BlockStyle | None]]:
        """Every page answered so far, oldest first, with the block style it got (a copy)."""
        with self._lock:
            return list(self._served)

    def handle(self, request: Request) -> Response:
        if request.path == "/robots.txt":
            return self.market.handle(request)
        with self._lock:
            n = len(self._served)
            chosen = self.paths.get(request.path)
            if chosen is None and self.after is not None and n >= self.after:
                chosen = self.style
            self._served.append((request.path, chosen))
        if chosen is not None:
            return block_page(chosen, request, self.market.name, n)
        return self.market.handle(request)
