"""Court-grade evidence of a flagged listing: content-addressed, write-once storage.

`EvidenceStore` keeps every artefact as a blob named by its SHA-256 under
``root/sha256/<first 2 hex>/<sha256>``; a blob is written once (temp file, fsync,
link into place only if absent) and made read-only, so the same content is stored
once and nothing stored is ever overwritten. `EvidenceStore.capture` turns the
`Capture` a spider kept of one listing page into these artefacts:

- ``raw_body``: the response body exactly as the crawler received it;
- ``warc``: a gzipped WARC 1.1 file (warcinfo, request, response, metadata records);
- ``rendered_text``: the page's visible text as the extractor read it;
- ``screenshot``: a full-page PNG, from the crawl's browser or rendered here by
  headless Chromium from the captured bytes (JavaScript off, other hosts blocked);
- ``metadata``: one canonical JSON document describing the exchange and naming
  the SHA-256, kind and size of every other artefact.

Artefacts are deterministic for a given capture (the WARC's record ids and dates
derive from the capture), so capturing the same exchange twice reuses the blobs.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import errno
import hashlib
import io
import json
import logging
import os
import re
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlsplit

from playwright.async_api import Browser, Frame, Playwright, Route, async_playwright
from warcio.recordbuilder import RecordBuilder
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from crawler import settings
from crawler.errors import CrawlerError
from crawler.items import Capture
from crawler.listing import Evidence, Listing

__all__ = [
    "METADATA_SCHEMA",
    "BlobMismatchError",
    "EvidenceStore",
    "PageRenderer",
    "build_warc",
    "evidence_metadata",
]

logger = logging.getLogger(__name__)

EvidenceKind = Literal["raw_body", "screenshot", "warc", "rendered_text", "metadata"]

METADATA_SCHEMA = "wildwatch-evidence/1"
SCREENSHOT_TIMEOUT = 15.0  # seconds for one rendering, navigation and screenshot together
VIEWPORT = {"width": 1280, "height": 900}

_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The stored body is the decoded payload, so these headers no longer describe it; the
# WARC keeps them under a prefixed name instead of lying about the bytes that follow.
_CODING_HEADERS = frozenset({"content-encoding", "transfer-encoding"})
_RENAMED_PREFIX = "X-Wildwatch-Orig-"
# Headers never replayed to the renderer: codings no longer apply, and a Location or
# length could make Chromium leave or cut the captured document.
_NOT_REPLAYED = frozenset({"content-encoding", "transfer-encoding", "content-length", "location"})
_WARC_KINDS = ("warcinfo", "request", "response", "metadata")
_RECORD_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://wildwatch.invalid/evidence/warc")

_MEDIA_TYPES: dict[str, str] = {
    "warc": "application/warc",
    "rendered_text": "text/plain; charset=utf-8",
    "screenshot": "image/png",
    "metadata": "application/json",
}


class BlobMismatchError(CrawlerError):
    """A stored blob no longer hashes to its name: it was altered after it was written."""


def _utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive time is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    """An ISO 8601 UTC timestamp with a ``Z`` (microseconds kept)."""
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The first value of header `name` (case-insensitive), or None."""
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of `url` (the default port made explicit)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def _fsync_dir(directory: Path) -> None:
    """Make a new directory entry durable (a crash must not lose a linked blob)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- WARC


def _warc_digest(data: bytes) -> str:
    """A WARC digest header value: ``sha256:<base32>`` (RFC 4648, as WARC tools expect)."""
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode("ascii")


def _record_id(kind: str, listing_id: str, capture: Capture, warc_date: str) -> str:
    """A record id derived from the listing and the capture, so one exchange always
    yields the same WARC (and so the same blob) while distinct captures never share ids."""
    parts = (kind, listing_id, capture.method, capture.final_url, warc_date, _sha256(capture.body))
    seed = "\n".join(parts)
    return f"<urn:uuid:{uuid.uuid5(_RECORD_ID_NAMESPACE, seed)}>"


def _request_target(url: str) -> str:
    """The origin-form request target (path and query) of `url`."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _warc_response_headers(capture: Capture) -> tuple[list[tuple[str, str]], list[str]]:
    """Response headers for the WARC, true to the stored body, and the names renamed."""
    headers: list[tuple[str, str]] = []
    renamed: list[str] = []
    length = str(len(capture.body))
    for name, value in capture.response_headers:
        lower = name.lower()
        if lower in _CODING_HEADERS or (lower == "content-length" and value.strip() != length):
            headers.append((_RENAMED_PREFIX + name, value))
            renamed.append(name)
        else:
            headers.append((name, value))
    if any(name.lower() == "content-length" for name in renamed):
        headers.append(("Content-Length", length))
    return headers, renamed


def _warc_fields(fields: Sequence[tuple[str, str]]) -> bytes:
    """An ``application/warc-fields`` block."""
    return "".join(f"{name}: {value}\r\n" for name, value in fields if value).encode("utf-8")


def _finish_record(record: ArcWarcRecord, payload: bytes) -> ArcWarcRecord:
    """Add a SHA-256 block digest (warcio would add SHA-1) over headers and payload."""
    head = b""
    if record.http_headers is not None:
        record.http_headers.compute_headers_buffer()
        head = record.http_headers.headers_buff
    record.rec_headers.replace_header("WARC-Block-Digest", _warc_digest(head + payload))
    return record


def build_warc(capture: Capture, listing: Listing, crawler_version: str) -> bytes:
    """The exchange as a gzipped WARC 1.1 file: warcinfo, request, response and metadata.

    WARC-Date is the capture time; digests are SHA-256. The response body is the
    payload as the crawler received it (codings removed), or the rendered DOM for a
    browser capture, which the metadata record says.
    """
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    warc_date = datetime_to_iso_date(_utc(capture.fetched_at).replace(tzinfo=None), use_micros=True)
    ids = {kind: _record_id(kind, listing.id, capture, warc_date) for kind in _WARC_KINDS}
    uri = capture.final_url

    def record(
        kind: str, payload: bytes, http_headers: StatusAndHeaders | None = None, **extra: str
    ) -> ArcWarcRecord:
        headers = {"WARC-Record-ID": ids[kind], "WARC-Date": warc_date, **extra}
        if kind != "warcinfo":
            headers["WARC-Warcinfo-ID"] = ids["warcinfo"]
            headers["WARC-Payload-Digest"] = _warc_digest(payload)
        content_type = RecordBuilder.WARC_RECORDS[kind]
        built = writer.create_warc_record(
            "" if kind == "warcinfo" else uri,
            kind,
            payload=io.BytesIO(payload),
            length=len(payload),
            warc_content_type=content_type,
            warc_headers_dict=headers,
            http_headers=http_headers,
        )
        return _finish_record(built, payload)

    info = _warc_fields(
        [
            ("software", crawler_version),
            ("format", "WARC File Format 1.1"),
            (
                "conformsTo",
                "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            ),
            ("description", f"wildwatch evidence of listing {listing.id}"),
        ]
    )
    writer.write_record(record("warcinfo", info))

    request_line = f"{capture.method.upper()} {_request_target(uri)} HTTP/1.1"
    request_http = StatusAndHeaders(
        request_line, list(capture.request_headers), is_http_request=True
    )
    writer.write_record(
        record("request", b"", request_http, **{"WARC-Concurrent-To": ids["response"]})
    )

    response_headers, renamed = _warc_response_headers(capture)
    reason = _reason(capture.status)
    response_http = StatusAndHeaders(
        f"{capture.status} {reason}".strip(), response_headers, protocol="HTTP/1.1"
    )
    writer.write_record(record("response", capture.body, response_http))

    body_note = (
        "rendered DOM serialised by a browser, not the bytes the server sent"
        if capture.rendered
        else "payload as received by the crawler, transfer and content codings removed"
    )
    about = _warc_fields(
        [
            ("listing-id", listing.id),
            ("rendered", "true" if capture.rendered else "false"),
            ("body", body_note),
            ("requested-url", capture.url if capture.url != uri else ""),
            (
                "renamed-headers",
                ", ".join(f"{name} -> {_RENAMED_PREFIX}{name}" for name in renamed),
            ),
            ("user-agent", capture.user_agent or ""),
        ]
    )
    writer.write_record(record("metadata", about, **{"WARC-Concurrent-To": ids["response"]}))
    return out.getvalue()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


# -- metadata


def evidence_metadata(
    listing: Listing,
    capture: Capture,
    artefacts: Sequence[Evidence],
    *,
    crawler_version: str,
    screenshot_note: dict[str, str],
) -> bytes:
    """The canonical JSON (sorted keys, compact, UTF-8) describing one capture."""
    document: dict[str, Any] = {
        "schema": METADATA_SCHEMA,
        "captured_at": _iso(capture.fetched_at),
        "listing_id": listing.id,
        "platform": listing.platform,
        "listing_url": listing.url,
        "url": capture.url,
        "final_url": capture.final_url,
        "method": capture.method.upper(),
        "status": capture.status,
        "request_headers": [list(pair) for pair in capture.request_headers],
        "response_headers": [list(pair) for pair in capture.response_headers],
        "user_agent": capture.user_agent,
        "crawler_version": crawler_version,
        "rendered": capture.rendered,
        "screenshot": screenshot_note,
        "artefacts": [
            {
                "kind": item.kind,
                "sha256": item.sha256,
                "size": item.size,
                "media_type": item.media_type,
            }
            for item in artefacts
        ],
    }
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


# -- screenshots


@dataclass(frozen=True, slots=True)
class Screenshot:
    """A PNG of a captured page and how it came to be."""

    png: bytes
    taken_at: datetime
    source: str  # "crawl browser" or "evidence renderer"


# Chromium's Local Network Access checks treat the replayed document as a public
# page and stall its requests to a private host (the sandbox, an intranet
# marketplace) on a permission prompt no one answers. The renderer lets a page reach
# its own origin only, so the check protects nothing here.
RENDERS_AT_ONCE = 2
RENDERER_ARGS = (*settings.BROWSER_ARGS, "--disable-features=LocalNetworkAccessChecks")


class PageRenderer:
    """Headless Chromium that screenshots a page from its captured bytes.

    The browser is launched on first use and kept until `aclose`. Each rendering
    gets its own context with JavaScript off and service workers blocked; the main
    document is answered from the capture, same-origin sub-resources are fetched,
    everything else (other hosts, later navigations) is refused.
    """

    def __init__(
        self,
        *,
        timeout: float = SCREENSHOT_TIMEOUT,
        browser_args: Sequence[str] = RENDERER_ARGS,
    ) -> None:
        self.timeout = timeout
        self.browser_args = list(browser_args)
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._lock = asyncio.Lock()
        # A crawl hands over many flagged items at once; rendering them all together
        # starves two cores and every one of them times out. A few at a time.
        self._turns = asyncio.Semaphore(RENDERS_AT_ONCE)

    async def _launched(self) -> Browser:
        async with self._lock:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            if self._playwright is None:
                self._playwright = await async_playwright().start()
            self._browser = await self._playwright.chromium.launch(
                executable_path=settings.CHROMIUM,
                args=self.browser_args,
                headless=True,
            )
            return self._browser

    async def screenshot(self, capture: Capture) -> bytes:
        """A full-page PNG of `capture`; raises on failure or after `timeout` seconds
        (counted from its turn: at most `RENDERS_AT_ONCE` pages render together)."""
        async with self._turns, asyncio.timeout(self.timeout):
            browser = await self._launched()
            context = await browser.new_context(
                viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]},
                java_script_enabled=False,
                service_workers="block",
                accept_downloads=False,
                user_agent=capture.user_agent or settings.USER_AGENT,
            )
            try:
                page = await context.new_page()
                await page.route("**/*", _CapturedPageRoutes(capture, page.main_frame).handle)
                await page.goto(capture.final_url, wait_until="load", timeout=self.timeout * 1000)
                return await page.screenshot(
                    full_page=True, type="png", animations="disabled", timeout=self.timeout * 1000
                )
            finally:
                # A wedged browser must not hold the capture past the limit.
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(5):
                        await context.close()

    async def aclose(self) -> None:
        """Close the browser and stop Playwright (safe to call twice)."""
        browser, self._browser = self._browser, None
        driver, self._playwright = self._playwright, None
        if browser is not None:
            await browser.close()
        if driver is not None:
            await driver.stop()


class _CapturedPageRoutes:
    """Answers one page's requests: the capture for the document, same origin, nothing else."""

    def __init__(self, capture: Capture, main_frame: Frame) -> None:
        self.capture = capture
        self.main_frame = main_frame
        self.origin = _origin(capture.final_url)
        self.document_served = False

    def _replayed_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for name, value in self.capture.response_headers:
            key = name.lower()
            if key in _NOT_REPLAYED:
                continue
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return headers

    async def handle(self, route: Route) -> None:
        request = route.request
        if request.is_navigation_request() and request.frame == self.main_frame:
            if self.document_served:
                # A refresh or redirect would replace what was captured: stay on it.
                await route.abort("blockedbyclient")
                return
            self.document_served = True
            await route.fulfill(
                status=self.capture.status,
                headers=self._replayed_headers(),
                body=self.capture.body,
            )
        elif _origin(request.url) == self.origin:
            await route.continue_()
        else:
            await route.abort("blockedbyclient")


# -- the store


class EvidenceStore:
    """Content-addressed, write-once evidence under `root`; see the module docstring.

    Use ``async with EvidenceStore(root) as store`` (or call `aclose`) so the
    screenshot browser, launched on the first screenshot that needs one, is closed.
    """

    def __init__(
        self,
        root: Path,
        *,
        screenshot_timeout: float = SCREENSHOT_TIMEOUT,
        browser_args: Sequence[str] = RENDERER_ARGS,
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.renderer = PageRenderer(timeout=screenshot_timeout, browser_args=browser_args)

    async def __aenter__(self) -> EvidenceStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the screenshot browser, if one was launched."""
        await self.renderer.aclose()

    # -- blobs

    @staticmethod
    def relative_path(sha256: str) -> str:
        """Where a blob lives, relative to the root (as recorded in `Evidence.path`)."""
        if not isinstance(sha256, str) or not _SHA256_RE.fullmatch(sha256):
            raise ValueError(f"not a lower-case hex SHA-256: {sha256!r}")
        return f"sha256/{sha256[:2]}/{sha256}"

    def path_of(self, sha256: str) -> Path:
        """The absolute path of the blob named `sha256` (which may not exist)."""
        return self.root / self.relative_path(sha256)

    def put(self, data: bytes) -> tuple[str, Path]:
        """Store `data` once and read-only; returns its SHA-256 and path.

        An existing blob is never overwritten; if it no longer hashes to its name,
        `BlobMismatchError` is raised rather than hiding the alteration.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"evidence must be bytes, not {type(data).__name__}")
        data = bytes(data)
        sha256 = _sha256(data)
        path = self.path_of(sha256)
        if not path.exists():
            self._write_once(path, data)
        if self._hash_file(path) != sha256:
            raise BlobMismatchError(f"stored blob {path} does not match its SHA-256 any more")
        return sha256, path

    def _write_once(self, path: Path, data: bytes) -> None:
        """Temp file in the same directory, fsync, read-only, then link only if absent."""
        directory = path.parent
        directory.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=directory, prefix=".incoming-")
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            # Read-only before it becomes visible, so no reader ever sees it writable.
            temp.chmod(0o444)
            try:
                os.link(temp, path)  # fails if the blob appeared meanwhile: keep that one
            except FileExistsError:
                pass
            except OSError as exc:
                if exc.errno not in {errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK}:
                    raise
                # Filesystems without hard links: rename is atomic, and a blob that
                # appeared meanwhile has this very content, so losing that race is harmless.
                if not path.exists():
                    os.rename(temp, path)
            path.chmod(0o444)
            _fsync_dir(directory)
        finally:
            temp.unlink(missing_ok=True)

    def open(self, sha256: str) -> bytes:
        """The stored bytes of blob `sha256` (FileNotFoundError if there is none)."""
        path = self.path_of(sha256)
        if not path.is_file():
            raise FileNotFoundError(f"no evidence blob {sha256} under {self.root}")
        return path.read_bytes()

    def verify(self, evidence: Evidence) -> bool:
        """Whether the stored file still hashes to `evidence.sha256` (False if missing)."""
        path = (self.root / evidence.path).resolve()
        if not path.is_relative_to(self.root.resolve()) or not path.is_file():
            return False
        return self._hash_file(path) == evidence.sha256

    @staticmethod
    def _hash_file(path: Path) -> str:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()

    async def _store(
        self,
        kind: EvidenceKind,
        data: bytes,
        *,
        url: str,
        captured_at: datetime,
        media_type: str | None,
    ) -> Evidence:
        # File writes and fsyncs block; keep them off the event loop.
        sha256, path = await asyncio.to_thread(self.put, data)
        return Evidence(
            kind=kind,
            sha256=sha256,
            path=path.relative_to(self.root).as_posix(),
            size=len(data),
            captured_at=_utc(captured_at),
            url=url,
            media_type=media_type,
        )

    # -- capturing a listing

    async def capture(
        self, listing: Listing, capture: Capture, *, screenshot: bool = True
    ) -> list[Evidence]:
        """Store the evidence of one flagged listing: raw body, WARC, rendered text,
        screenshot (taken by the crawl's browser, else rendered here when `screenshot`),
        and the metadata document naming them all. A screenshot that cannot be taken
        is logged and left out; everything else is always stored."""
        if not isinstance(listing, Listing):
            raise TypeError(f"listing must be a Listing, not {type(listing).__name__}")
        if not isinstance(capture, Capture):
            raise TypeError(f"capture must be a Capture, not {type(capture).__name__}")
        if _origin(capture.final_url)[0] not in {"http", "https"}:
            raise ValueError(f"capture of a non-http(s) URL: {capture.final_url[:80]!r}")
        version = capture.crawler_version or settings.CRAWLER_VERSION
        at = _utc(capture.fetched_at)
        url = capture.final_url

        stored = [
            await self._store(
                "raw_body",
                capture.body,
                url=url,
                captured_at=at,
                media_type=_header(capture.response_headers, "content-type")
                or "application/octet-stream",
            ),
            await self._store(
                "warc",
                build_warc(capture, listing, version),
                url=url,
                captured_at=at,
                media_type=_MEDIA_TYPES["warc"],
            ),
        ]
        if capture.rendered_text is not None:
            stored.append(
                await self._store(
                    "rendered_text",
                    capture.rendered_text.encode("utf-8"),
                    url=url,
                    captured_at=at,
                    media_type=_MEDIA_TYPES["rendered_text"],
                )
            )
        shot, note = await self._screenshot(capture, wanted=screenshot)
        if shot is not None:
            stored.append(
                await self._store(
                    "screenshot",
                    shot.png,
                    url=url,
                    captured_at=shot.taken_at,
                    media_type=_MEDIA_TYPES["screenshot"],
                )
            )
        metadata = evidence_metadata(
            listing, capture, stored, crawler_version=version, screenshot_note=note
        )
        stored.append(
            await self._store(
                "metadata", metadata, url=url, captured_at=at, media_type=_MEDIA_TYPES["metadata"]
            )
        )
        return stored

    async def _screenshot(
        self, capture: Capture, *, wanted: bool
    ) -> tuple[Screenshot | None, dict[str, str]]:
        """The capture's own screenshot, else a rendering when `wanted`, with a note
        for the metadata saying where it came from (or why there is none)."""
        if capture.screenshot is not None:
            if not capture.screenshot.startswith(_PNG_SIGNATURE):
                logger.warning("screenshot of %s is not a PNG; storing it anyway", capture.url)
            shot = Screenshot(capture.screenshot, _utc(capture.fetched_at), "crawl browser")
            return shot, {"source": shot.source}
        if not wanted:
            return None, {"source": "none", "reason": "not requested"}
        taken_at = datetime.now(UTC)
        try:
            png = await self.renderer.screenshot(capture)
        # Any failure of the browser (launch, navigation, time limit, crash) must
        # not cost the rest of the evidence: log it and go on without a picture.
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            logger.warning("no screenshot of %s: %s", capture.final_url, reason)
            return None, {"source": "none", "reason": reason}
        shot = Screenshot(png, taken_at, "evidence renderer")
        note = {
            "source": shot.source,
            "rendered_at": _iso(taken_at),
            "method": "captured body replayed in headless Chromium, JavaScript off, "
            "same-origin sub-resources fetched live, other hosts blocked",
        }
        return shot, note
