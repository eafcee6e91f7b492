"""HTTP plumbing for the sandbox sites: requests, responses, a router and a threaded server.

A *site* is any object with a ``name`` and a ``handle(Request) -> Response`` method
(see `Site`); it never touches sockets. `SandboxServer` serves one site over real
HTTP on a background thread and logs every request it answers, so tests can assert
what a crawler fetched. New kinds of stand-in site (social feeds, JSON APIs,
throttling or login-walled hosts) are new `Site` classes passed as ``site_factory``.
"""

from __future__ import annotations

import logging
import re
import socketserver
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote

from sandbox.corpus import DEFAULT_SEED, DEFAULT_SIZE, Corpus, build_corpus

__all__ = [
    "Request",
    "RequestRecord",
    "Response",
    "RouteHandler",
    "Router",
    "SandboxServer",
    "Site",
    "SiteFactory",
    "run_sandbox",
]

logger = logging.getLogger(__name__)

_MAX_BODY = 1 << 20  # request bodies are read (and handed to the site) up to this size
MAX_LOGGED_REQUESTS = 200_000  # the newest requests kept in `SandboxServer.requests`


@dataclass(frozen=True)
class Request:
    """One HTTP request as a site sees it: method, decoded path, query and headers."""

    method: str
    path: str  # percent-decoded, without the query
    query: Mapping[str, tuple[str, ...]]
    headers: Mapping[str, str]  # lower-case names
    base_url: str  # the server's own URL, e.g. "http://127.0.0.1:43123"
    target: str = ""  # the request target exactly as sent
    body: bytes = b""  # the request body (a login form), up to 1 MiB

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter `name`, or `default`."""
        values = self.query.get(name)
        return values[0] if values else default

    def absolute(self, path: str) -> str:
        """`path` (starting with "/") as an absolute URL on this server."""
        return f"{self.base_url}{path}"


@dataclass(frozen=True)
class Response:
    """What a site answers; the server adds Content-Length and sends it."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def html(
        cls, text: str, status: int = 200, headers: Iterable[tuple[str, str]] = ()
    ) -> Response:
        """An HTML page, UTF-8 encoded."""
        return cls(status, text.encode("utf-8"), "text/html; charset=utf-8", tuple(headers))

    @classmethod
    def text(
        cls, text: str, status: int = 200, headers: Iterable[tuple[str, str]] = ()
    ) -> Response:
        """A plain-text body, UTF-8 encoded."""
        return cls(status, text.encode("utf-8"), "text/plain; charset=utf-8", tuple(headers))


class Site(Protocol):
    """A stand-in website: turns a `Request` into a `Response`, with no I/O of its own."""

    name: str

    def handle(self, request: Request) -> Response:
        """The response to one request (a 404 page for unknown paths)."""
        ...


SiteFactory = Callable[[Corpus], Site]
RouteHandler = Callable[..., Response]


@dataclass(frozen=True)
class _Route:
    """One entry of a `Router`."""

    pattern: re.Pattern[str]
    methods: frozenset[str]
    handler: RouteHandler


class Router:
    """Maps path patterns to handlers; a handler gets the request and the named groups.

    Patterns are regular expressions matched against the whole decoded path, e.g.
    ``r"/listing/(?P<listing_id>[^/]+)"`` calls ``handler(request, listing_id=...)``.
    """

    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def add(
        self,
        pattern: str,
        handler: RouteHandler,
        *,
        methods: Iterable[str] = ("GET", "HEAD"),
    ) -> None:
        """Route paths matching `pattern` with one of `methods` to `handler`."""
        allowed = frozenset(method.upper() for method in methods)
        self._routes.append(_Route(re.compile(pattern), allowed, handler))

    def dispatch(self, request: Request) -> Response | None:
        """The handler's response; 405 if only the method is wrong; None if no route matches."""
        allowed: set[str] = set()
        for route in self._routes:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            if request.method in route.methods:
                return route.handler(request, **match.groupdict())
            allowed |= route.methods
        if allowed:
            return Response.text(
                "405 Method Not Allowed\n", 405, headers=[("Allow", ", ".join(sorted(allowed)))]
            )
        return None


@dataclass(frozen=True)
class RequestRecord:
    """One request the server answered, as logged in `SandboxServer.requests`."""

    method: str
    path: str  # as sent, without the query
    query: str  # raw query string, "" when none
    user_agent: str | None
    time: datetime  # UTC, when the response was ready
    status: int


class _HTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that knows the `SandboxServer` it answers for."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], app: SandboxServer) -> None:
        self.app = app
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up early (a browser, a cancelled download) is normal."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup `HTTPServer` does."""
        # HTTPServer.server_bind looks the host name up (socket.getfqdn), which can
        # stall for seconds without DNS; the sandbox never needs it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class _Handler(BaseHTTPRequestHandler):
    """Hands every request, whatever its method, to the `SandboxServer`."""

    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "WildwatchSandbox/1.0"
    sys_version = ""
    timeout = 15  # idle keep-alive connections are closed after this many seconds

    def _serve(self) -> None:
        """Read and drop any body, ask the app for a response, log it, send it."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        body = b""
        if length > _MAX_BODY:
            self.close_connection = True
        elif length > 0:
            body = self.rfile.read(length)
        app = self.server.app
        response = app.respond(self.command, self.path, self.headers, body)
        # Logged before the response goes out, so a client that has read it sees the record.
        app.record(self.command, self.path, self.headers.get("User-Agent"), response.status)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = _serve
    do_HEAD = _serve
    do_POST = _serve
    do_PUT = _serve
    do_PATCH = _serve
    do_DELETE = _serve
    do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Access and error lines go to this module's logger at DEBUG, not to stderr."""
        logger.debug("%s %s", self.address_string(), format % args)


class SandboxServer:
    """Serves one sandbox site (the Bazaar marketplace by default) on a background thread.

    ``port=0`` picks a free port; `url` is known once `start` has run. The corpus is
    built per instance from `seed` and `size` unless one is given. Use as a context
    manager, or call `start` and `stop`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = DEFAULT_SEED,
        size: int = DEFAULT_SIZE,
        *,
        corpus: Corpus | None = None,
        site_factory: SiteFactory | None = None,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.corpus = corpus if corpus is not None else build_corpus(seed, size)
        if site_factory is None:
            from sandbox.market import MarketSite

            site_factory = MarketSite
        self.site: Site = site_factory(self.corpus)
        self._lock = threading.Lock()
        # Bounded, so a sandbox left running for days does not grow without end.
        self._log: deque[RequestRecord] = deque(maxlen=MAX_LOGGED_REQUESTS)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._stopped = threading.Event()
        self._stopped.set()

    # -- lifecycle

    def start(self) -> SandboxServer:
        """Bind and start serving on a daemon thread; returns self."""
        if self._httpd is not None:
            raise RuntimeError("the sandbox server is already running")
        httpd = _HTTPServer((self.host, self.requested_port), self)
        self._httpd = httpd
        self._port = int(httpd.server_address[1])
        self._stopped.clear()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"sandbox-{self.site.name}-{self._port}",
            daemon=True,
        )
        self._thread.start()
        logger.debug("sandbox %s listening on %s", self.site.name, self.url)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; safe to call twice."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = None
        self._thread = None
        self._stopped.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until `stop` is called (or `timeout` passes); True once stopped."""
        return self._stopped.wait(timeout)

    @property
    def running(self) -> bool:
        """Whether the server is serving now."""
        return self._httpd is not None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses

    @property
    def port(self) -> int:
        """The bound port (the one picked when 0 was asked for)."""
        if self._port is None:
            raise RuntimeError("the sandbox server has not been started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:43123``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # -- request log

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request answered so far, oldest first (a copy)."""
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Forget the requests logged so far."""
        with self._lock:
            self._log.clear()

    def record(self, method: str, target: str, user_agent: str | None, status: int) -> None:
        """Log one answered request."""
        path, _, query = target.partition("?")
        entry = RequestRecord(
            method=method,
            path=path,
            query=query.partition("#")[0],
            user_agent=user_agent,
            time=datetime.now(UTC),
            status=status,
        )
        with self._lock:
            self._log.append(entry)

    # -- dispatch

    def respond(self, method: str, target: str, headers: Message, body: bytes = b"") -> Response:
        """The site's response to one request; a 500 if the site raises."""
        raw_path, _, query = target.partition("#")[0].partition("?")
        request = Request(
            method=method.upper(),
            path=unquote(raw_path, errors="replace"),
            query=MappingProxyType(
                {
                    key: tuple(values)
                    for key, values in parse_qs(query, keep_blank_values=True).items()
                }
            ),
            headers=MappingProxyType({k.lower(): v for k, v in headers.items()}),
            base_url=self.url,
            target=target,
            body=body,
        )
        try:
            return self.site.handle(request)
        except Exception:
            logger.exception("sandbox site %s failed on %s %s", self.site.name, method, target)
            return Response.text("500 Internal Server Error\n", 500)


def run_sandbox(
    host: str, port: int, *, seed: int = DEFAULT_SEED, size: int = DEFAULT_SIZE
) -> None:
    """Serve the Bazaar marketplace on `host`:`port` until interrupted (Ctrl-C)."""
    server = SandboxServer(host, port, seed=seed, size=size)
    # Started inside the try: a Ctrl-C that lands while the serving thread is starting
    # must still stop it, or that thread keeps the process alive.
    try:
        server.start()
        logger.info("sandbox marketplace at %s/", server.url)
        server.wait()
    except KeyboardInterrupt:
        logger.info("sandbox marketplace stopping")
    finally:
        server.stop()
