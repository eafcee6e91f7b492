"""Evidence capture end to end: a listing page fetched over real HTTP from the sandbox
marketplace, stored by `EvidenceStore`, screenshots rendered by real headless Chromium.

One event loop (and so one browser) serves the whole module; Chromium renders the CJK
listing page, one crafted page, and one page whose host never answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import os
import socket
import stat
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.evidence import EvidenceStore
from crawler.items import Capture
from crawler.listing import Evidence, Listing
from crawler.settings import BROWSER_ARGS, CRAWLER_VERSION
from sandbox import PLATFORM, SandboxListing, SandboxServer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# -- helpers


def fetch(url: str, *, rendered_text: str | None = None) -> Capture:
    """GET `url` over real HTTP and keep the exchange the way a spider's Capture does."""
    fetched_at = datetime.now(UTC)
    response = httpx.get(url, timeout=10)

    def pairs(raw: list[tuple[bytes, bytes]]) -> tuple[tuple[str, str], ...]:
        return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw)

    return Capture(
        url=url,
        final_url=str(response.url),
        status=response.status_code,
        fetched_at=fetched_at,
        request_headers=pairs(response.request.headers.raw),
        response_headers=pairs(response.headers.raw),
        body=response.content,
        user_agent=response.request.headers.get("user-agent"),
        crawler_version=CRAWLER_VERSION,
        rendered_text=rendered_text,
    )


def listing_for(page: SandboxListing, url: str) -> Listing:
    return Listing(
        platform=PLATFORM,
        platform_id=page.listing_id,
        url=url,
        title=page.title,
        description=page.description,
        language=page.language,
    )


def png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def png_colours(png: bytes) -> set[bytes]:
    """Every distinct pixel of an 8-bit RGB/RGBA PNG (a small decoder; no imaging library)."""
    width, height, depth, colour_type = struct.unpack(">IIBB", png[16:26])
    assert depth == 8 and colour_type in (2, 6), "unexpected PNG format"
    bpp = 3 if colour_type == 2 else 4
    data, pos = b"", 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        if png[pos + 4 : pos + 8] == b"IDAT":
            data += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(data)
    stride = width * bpp
    previous = bytearray(stride)
    colours: set[bytes] = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                corner = previous[i - bpp] if i >= bpp else 0
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + best) & 0xFF
        colours.update(bytes(line[i : i + bpp]) for i in range(0, stride, bpp))
        previous = line
    return colours


def warc_records(data: bytes) -> list[tuple[str, dict[str, str], object, bytes]]:
    """(type, WARC headers, HTTP headers, content) of each record; digests must check out."""
    records = []
    for record in ArchiveIterator(io.BytesIO(data), check_digests="raise"):
        headers = dict(record.rec_headers.headers)
        records.append(
            (record.rec_type, headers, record.http_headers, record.content_stream().read())
        )
    return records


def stored_files(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()}


# -- fixtures


@dataclass(frozen=True)
class Captured:
    listing: Listing
    capture: Capture
    evidence: list[Evidence]
    paths_requested: list[str]  # what the sandbox served while the evidence was taken

    def of(self, kind: str) -> Evidence:
        (found,) = [item for item in self.evidence if item.kind == kind]
        return found


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(seed=7, size=60) as running:
        yield running


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    # One loop for the module, so one Chromium serves every test that needs it.
    with asyncio.Runner() as loop_runner:
        yield loop_runner


@pytest.fixture(scope="module")
def store(
    runner: asyncio.Runner, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EvidenceStore]:
    # Chromium's Local Network Access checks treat a replayed document as public and
    # refuse its cross-origin loopback requests on their own; turned off, another
    # loopback port behaves as another public host would, so the store's own blocking
    # is what the tests see.
    args = [*BROWSER_ARGS, "--disable-features=LocalNetworkAccessChecks"]
    evidence_store = EvidenceStore(tmp_path_factory.mktemp("evidence"), browser_args=args)
    yield evidence_store
    runner.run(evidence_store.aclose())


@pytest.fixture(scope="module")
def cjk(runner: asyncio.Runner, store: EvidenceStore, server: SandboxServer) -> Captured:
    """The evidence of a Chinese or Japanese listing page, screenshot rendered by the store."""
    page = next(item for item in server.corpus.listings if item.language in {"zh", "ja"})
    url = f"{server.url}/listing/{page.listing_id}"
    capture = fetch(url, rendered_text=f"{page.title}\n{page.description}")
    listing = listing_for(page, url)
    server.clear_requests()
    evidence = runner.run(store.capture(listing, capture))
    return Captured(listing, capture, evidence, [r.path for r in server.requests])


# -- what a capture stores


def test_every_artefact_is_stored_by_its_sha256_and_verifies(
    cjk: Captured, store: EvidenceStore
) -> None:
    assert [item.kind for item in cjk.evidence] == [
        "raw_body",
        "warc",
        "rendered_text",
        "screenshot",
        "metadata",
    ]
    for item in cjk.evidence:
        stored = (store.root / item.path).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == item.sha256
        assert item.path == f"sha256/{item.sha256[:2]}/{item.sha256}"
        assert item.size == len(stored)
        assert item.url == cjk.capture.final_url
        assert store.verify(item)
        assert store.open(item.sha256) == stored
    media = {item.kind: item.media_type for item in cjk.evidence}
    assert media == {
        "raw_body": "text/html; charset=utf-8",
        "warc": "application/warc",
        "rendered_text": "text/plain; charset=utf-8",
        "screenshot": "image/png",
        "metadata": "application/json",
    }
    assert cjk.of("raw_body").captured_at == cjk.capture.fetched_at


def test_raw_body_and_text_are_exactly_what_was_fetched_and_read(
    cjk: Captured, store: EvidenceStore
) -> None:
    assert store.open(cjk.of("raw_body").sha256) == cjk.capture.body
    assert cjk.listing.title.encode() in cjk.capture.body  # the page really is the listing
    text = store.open(cjk.of("rendered_text").sha256).decode("utf-8")
    assert text == cjk.capture.rendered_text


def test_warc_holds_the_request_and_the_response_as_exchanged(
    cjk: Captured, store: EvidenceStore
) -> None:
    records = warc_records(store.open(cjk.of("warc").sha256))
    assert [kind for kind, *_ in records] == ["warcinfo", "request", "response", "metadata"]
    (_, info_headers, _, info), (_, req_headers, request, _), (_, res_headers, response, body) = (
        records[:3]
    )
    assert CRAWLER_VERSION in info.decode()
    url = cjk.capture.final_url
    assert req_headers["WARC-Target-URI"] == res_headers["WARC-Target-URI"] == url
    assert request.protocol == "GET"
    assert request.statusline.startswith(f"/listing/{cjk.listing.platform_id} ")
    assert request.get_header("User-Agent") == cjk.capture.user_agent
    assert req_headers["WARC-Concurrent-To"] == res_headers["WARC-Record-ID"]
    assert response.get_statuscode() == "200"
    assert response.get_header("Content-Type") == "text/html; charset=utf-8"
    assert body == cjk.capture.body
    assert res_headers["WARC-Payload-Digest"].startswith("sha256:")
    captured = datetime.fromisoformat(res_headers["WARC-Date"].replace("Z", "+00:00"))
    assert captured == cjk.capture.fetched_at
    assert info_headers["WARC-Date"] == res_headers["WARC-Date"]
    _, _, _, about = records[3]
    assert b"rendered: false" in about


def test_screenshot_is_a_full_width_png_of_the_captured_bytes(
    cjk: Captured, store: EvidenceStore
) -> None:
    png = store.open(cjk.of("screenshot").sha256)
    assert png.startswith(PNG_SIGNATURE)
    width, height = png_size(png)
    assert width >= 1280
    assert height >= 900
    assert len(png_colours(png)) > 1  # the CJK page is drawn, not a blank sheet
    # The document came from the capture; only its same-origin images were fetched.
    assert not any(path.startswith("/listing/") for path in cjk.paths_requested)
    assert any(path.startswith(f"/img/{cjk.listing.platform_id}/") for path in cjk.paths_requested)


def test_metadata_is_canonical_json_naming_every_other_artefact(
    cjk: Captured, store: EvidenceStore
) -> None:
    raw = store.open(cjk.of("metadata").sha256)
    document = json.loads(raw.decode("utf-8"))
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert raw == canonical.encode("utf-8")
    others = [item for item in cjk.evidence if item.kind != "metadata"]
    assert document["artefacts"] == [
        {"kind": o.kind, "sha256": o.sha256, "size": o.size, "media_type": o.media_type}
        for o in others
    ]
    capture = cjk.capture
    assert datetime.fromisoformat(document["captured_at"].replace("Z", "+00:00")) == (
        capture.fetched_at
    )
    assert document["listing_id"] == cjk.listing.id == f"{PLATFORM}:{cjk.listing.platform_id}"
    assert (document["url"], document["final_url"]) == (capture.url, capture.final_url)
    assert document["status"] == 200
    assert document["user_agent"] == capture.user_agent
    assert document["crawler_version"] == CRAWLER_VERSION
    assert document["request_headers"] == [list(pair) for pair in capture.request_headers]
    assert document["response_headers"] == [list(pair) for pair in capture.response_headers]
    assert document["screenshot"]["source"] == "evidence renderer"


def test_blobs_are_read_only_and_the_same_bytes_are_stored_once(
    runner: asyncio.Runner, cjk: Captured, store: EvidenceStore
) -> None:
    before = stored_files(store.root)
    for path in before:
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
        if os.geteuid() != 0:  # root writes through any mode
            with pytest.raises(PermissionError):
                path.open("ab")
    again = runner.run(store.capture(cjk.listing, cjk.capture, screenshot=False))
    assert [item.kind for item in again] == ["raw_body", "warc", "rendered_text", "metadata"]
    for item in again[:3]:
        assert item.path == cjk.of(item.kind).path
    # Only the new metadata (it lists no screenshot this time) is a new file.
    assert stored_files(store.root) - before == {store.root / again[-1].path}
    assert not any(path.name.startswith(".") for path in stored_files(store.root))
    assert store.put(cjk.capture.body) == (
        cjk.of("raw_body").sha256,
        store.root / cjk.of("raw_body").path,
    )


def test_altering_a_stored_file_fails_verification(
    runner: asyncio.Runner, cjk: Captured, tmp_path: Path
) -> None:
    own = EvidenceStore(tmp_path / "store")
    evidence = runner.run(own.capture(cjk.listing, cjk.capture, screenshot=False))
    assert all(own.verify(item) for item in evidence)
    body = own.root / evidence[0].path
    body.chmod(0o644)
    body.write_bytes(cjk.capture.body.replace(b"</h1>", b" (edited)</h1>", 1))
    assert not own.verify(evidence[0])
    assert all(own.verify(item) for item in evidence[1:])
    (own.root / evidence[1].path).unlink()
    assert not own.verify(evidence[1])
    with pytest.raises(Exception, match="does not match"):
        own.put(cjk.capture.body)  # never silently reuse or overwrite an altered blob


def test_bad_input_is_refused(runner: asyncio.Runner, cjk: Captured, store: EvidenceStore) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        store.open("../../etc/passwd")
    with pytest.raises(FileNotFoundError):
        store.open("0" * 64)
    with pytest.raises(TypeError):
        store.put("text, not bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        runner.run(store.capture(cjk.listing, {"url": cjk.capture.url}))  # type: ignore[arg-type]
    escaped = cjk.of("raw_body").model_copy(update={"path": "../outside"})
    assert not store.verify(escaped)


# -- screenshots: from the crawl, rendered safely, or not at all


def test_a_screenshot_the_crawl_browser_took_is_kept_as_is(
    runner: asyncio.Runner, cjk: Captured, store: EvidenceStore, server: SandboxServer
) -> None:
    png = store.open(cjk.of("screenshot").sha256)
    rendered = replace(cjk.capture, rendered=True, screenshot=png)
    server.clear_requests()
    evidence = runner.run(store.capture(cjk.listing, rendered))
    assert server.requests == []  # nothing rendered again
    (shot,) = [item for item in evidence if item.kind == "screenshot"]
    assert shot.path == cjk.of("screenshot").path
    records = warc_records(store.open(evidence[1].sha256))
    about = records[3][3].decode()
    assert "rendered: true" in about
    assert "rendered DOM" in about


def test_rendering_runs_no_script_and_reaches_no_other_host(
    runner: asyncio.Runner, cjk: Captured, store: EvidenceStore, server: SandboxServer
) -> None:
    image = f"/img/{cjk.listing.platform_id}/1.svg"
    with SandboxServer(seed=7, size=60) as other_host:
        page = (
            "<!doctype html><html><head><meta charset=utf-8>"
            '<meta http-equiv="refresh" content="0; url=/refreshed">'
            "</head><body><h1>野生动物 test page</h1>"
            f'<img src="{image}" width=320 height=240>'
            f'<img src="{other_host.url}{image}" width=320 height=240>'
            "<script>new Image().src = '/script-ran';</script>"
            "</body></html>"
        ).encode()
        crafted = replace(
            cjk.capture,
            url=f"{server.url}/crafted",
            final_url=f"{server.url}/crafted",
            body=page,
            rendered_text=None,
        )
        server.clear_requests()
        evidence = runner.run(store.capture(cjk.listing, crafted))
        # Let a late refresh or script request arrive, if any were let through.
        time.sleep(0.3)
        assert other_host.requests == []
    assert [item.kind for item in evidence] == ["raw_body", "warc", "screenshot", "metadata"]
    paths = [record.path for record in server.requests]
    assert image in paths
    assert "/crafted" not in paths
    assert "/refreshed" not in paths
    assert "/script-ran" not in paths


def test_a_page_whose_host_never_answers_still_stores_everything_else(
    runner: asyncio.Runner,
    cjk: Captured,
    store: EvidenceStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A socket that listens but never answers: the page's stylesheet hangs forever.
    with socket.create_server(("127.0.0.1", 0), backlog=1) as blackhole:
        origin = f"http://127.0.0.1:{blackhole.getsockname()[1]}"
        stuck = replace(
            cjk.capture,
            url=f"{origin}/listing/stuck",
            final_url=f"{origin}/listing/stuck",
            body=b'<html><head><link rel="stylesheet" href="/style.css"></head>'
            b"<body>stuck</body></html>",
        )
        store.renderer.timeout, limit = 3.0, store.renderer.timeout
        started = time.monotonic()
        try:
            with caplog.at_level(logging.WARNING, logger="crawler.evidence"):
                evidence = runner.run(store.capture(cjk.listing, stuck))
        finally:
            store.renderer.timeout = limit
        elapsed = time.monotonic() - started
    assert elapsed < 12
    assert [item.kind for item in evidence] == ["raw_body", "warc", "rendered_text", "metadata"]
    assert all(store.verify(item) for item in evidence)
    assert store.open(evidence[0].sha256) == stuck.body
    assert any("no screenshot" in r.message and origin in r.message for r in caplog.records)
    document = json.loads(store.open(evidence[-1].sha256))
    assert document["screenshot"]["source"] == "none"
    assert {a["kind"] for a in document["artefacts"]} == {"raw_body", "warc", "rendered_text"}
