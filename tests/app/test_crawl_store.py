"""`wildwatch crawl`, `takedowns`, `sources status`, `extract` and `crawl --url`, end to
end over real HTTP into a real store: evidence of flagged listings verifies, edits
are kept as history, and a removed flagged listing gets its removal time."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from warcio.archiveiterator import ArchiveIterator

from indexer import Database, ListingStore
from indexer.search import SearchQuery
from indexer.search.service import search
from indexer.search.sqlite import SqliteBackend
from sandbox import Corpus, MarketSite, SandboxServer, build_corpus
from tests.conftest import SANDBOX_SEED, run_cli
from wildwatch.config import AppConfig
from wildwatch.web import create_app


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(corpus=build_corpus(SANDBOX_SEED, 30)) as running:
        yield running


@pytest.fixture(scope="module")
def data_dir(server: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One crawl of the small sandbox, with evidence (screenshots included)."""
    path = tmp_path_factory.mktemp("crawl")
    result = run_cli("crawl", "sandbox-bazaar", "--base-url", server.url, data_dir=path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["source"] == "sandbox-bazaar"
    assert report["stored"] == report["new"] == 30
    assert report["flagged"] >= 5
    assert report["evidence"] == report["flagged"]
    return path


def _store(data_dir: Path) -> Iterator[ListingStore]:
    database = Database.for_data_dir(data_dir)
    try:
        with database.session() as session:
            yield ListingStore(session)
    finally:
        database.dispose()


def _flagged(data_dir: Path) -> list:
    for store in _store(data_dir):
        return store.flagged(limit=100)
    raise AssertionError


def test_evidence_of_a_flagged_listing_verifies(data_dir: Path) -> None:
    listing = _flagged(data_dir)[0]
    kinds = {e.kind: e for e in listing.evidence}
    assert set(kinds) == {"raw_body", "warc", "rendered_text", "screenshot", "metadata"}
    root = data_dir / "evidence"
    for evidence in listing.evidence:
        blob = (root / evidence.path).read_bytes()
        assert hashlib.sha256(blob).hexdigest() == evidence.sha256 == evidence.path[-64:]
        assert len(blob) == evidence.size
        assert not (root / evidence.path).stat().st_mode & 0o222  # read-only
    body = (root / kinds["raw_body"].path).read_bytes()
    assert listing.title.split()[0].encode() in body
    seen = set()
    with (root / kinds["warc"].path).open("rb") as stream:
        for record in ArchiveIterator(stream):
            seen.add(record.rec_type)
            if record.rec_type == "response":
                assert record.rec_headers.get_header("WARC-Target-URI") == listing.url
                assert record.http_headers.get_statuscode() == "200"
                assert record.content_stream().read() == body
    assert {"request", "response"} <= seen
    png = (root / kinds["screenshot"].path).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    meta = json.loads((root / kinds["metadata"].path).read_text("utf-8"))
    assert meta["url"] == listing.url and meta["status"] == 200
    assert {a["sha256"] for a in meta["artefacts"]} >= {kinds["raw_body"].sha256}


def test_an_edit_is_kept_as_history_and_a_removal_gets_its_time(
    server: SandboxServer, data_dir: Path
) -> None:
    flagged = _flagged(data_dir)
    edited_id = flagged[0].platform_id
    removed_id = flagged[1].platform_id
    corpus = server.corpus
    old = corpus.by_id[edited_id]
    new = dataclasses.replace(old, price=old.price * 2 + Decimal(1), title=old.title + " !!")
    site = server.site
    assert isinstance(site, MarketSite)
    site.replace_corpus(
        Corpus(
            tuple(new if x is old else x for x in corpus.listings if x.listing_id != removed_id),
            corpus.sellers,
            corpus.seed,
        )
    )
    try:
        again = run_cli("crawl", "sandbox-bazaar", "--base-url", server.url, data_dir=data_dir)
        assert again.returncode == 0, again.stderr
        report = json.loads(again.stdout.splitlines()[-1])
        assert report["changed"] == 1
        assert report["unchanged"] == 28  # the rest were not fetched again
        checks = run_cli(
            "takedowns", "--older-than", "1s", "--base-url", server.url, data_dir=data_dir
        )
        assert checks.returncode == 0, checks.stderr
        assert json.loads(checks.stdout.splitlines()[-1])["removed"] == 1
    finally:
        site.replace_corpus(corpus)
    for store in _store(data_dir):
        edited = store.get(f"sandbox-bazaar:{edited_id}")
        assert edited is not None and edited.price == float(new.price)
        [before] = store.history(edited.id)
        assert before.price == float(old.price) and before.title == old.title
        assert set(before.fields) == {"title", "price"}
        removed = store.get(f"sandbox-bazaar:{removed_id}")
        assert removed is not None and removed.removed_at is not None
        assert edited.removed_at is None
    # The review app shows the earlier version, the removal and the evidence.
    with TestClient(create_app(AppConfig.at(data_dir))) as client:
        page = client.get(f"/listings/{edited.id}").text
        assert "Earlier versions" in page and html.escape(old.title, quote=False) in page
        assert "gone since" in client.get(f"/listings/{removed.id}").text
        shot = next(e for e in removed.evidence if e.kind == "screenshot")
        assert f"/evidence/{shot.sha256}" in client.get(f"/listings/{removed.id}").text
        png = client.get(f"/evidence/{shot.sha256}")
        assert png.headers["content-type"] == "image/png"
        assert hashlib.sha256(png.content).hexdigest() == shot.sha256
        body = next(e for e in removed.evidence if e.kind == "raw_body")
        raw = client.get(f"/evidence/{body.sha256}")
        # A captured page is downloaded, never rendered by the app.
        assert raw.headers["content-type"] == "application/octet-stream"
        assert "attachment" in raw.headers["content-disposition"]
        assert client.get("/evidence/" + "0" * 64).status_code == 404
        assert client.get("/evidence/..%2Fwildwatch.db").status_code == 404


def test_sources_status_shows_the_runs(data_dir: Path) -> None:
    result = run_cli("sources", "status", "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    rows = {json.loads(line)["source"]: json.loads(line) for line in result.stdout.splitlines()}
    bazaar = rows["sandbox-bazaar"]
    assert bazaar["paused"] is None
    assert bazaar["last_run"]["listings"] + bazaar["last_run"]["unchanged"] >= 29
    assert bazaar["last_run"]["coverage"] or bazaar["last_run"]["listings"] == 0
    text = run_cli("sources", "status", data_dir=data_dir)
    assert "sandbox-bazaar (html_marketplace, sandbox-bazaar)" in text.stdout


def test_crawl_url_reads_one_page_into_the_store(server: SandboxServer, tmp_path: Path) -> None:
    target = server.corpus.listings[3]
    url = f"{server.url}/listing/{target.listing_id}"
    refused = run_cli("crawl", "--url", url, data_dir=tmp_path)
    assert refused.returncode == 0
    assert json.loads(refused.stdout.splitlines()[-1])["stored"] == 0  # loopback refused
    result = run_cli("crawl", "--url", url, "--allow-private", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["stored"] == 1
    database = Database.for_data_dir(tmp_path)
    with database.session() as session:
        query = SearchQuery(text=target.title.split()[0], limit=5)
        [hit] = search(session, SqliteBackend(session), query).hits
    database.dispose()
    assert hit.listing.url == url
    assert hit.listing.title == target.title
    assert hit.listing.price == float(target.price)


def test_extract_prints_the_listing_fields(server: SandboxServer, tmp_path: Path) -> None:
    import urllib.request

    target = server.corpus.listings[0]
    url = f"{server.url}/listing/{target.listing_id}"
    page = tmp_path / "page.html"
    with urllib.request.urlopen(url) as response:
        page.write_bytes(response.read())
    result = run_cli("extract", str(page), "--url", url)
    assert result.returncode == 0, result.stderr
    fields = json.loads(result.stdout)
    assert set(fields) == {
        "title",
        "description",
        "price",
        "currency",
        "seller",
        "location",
        "images",
        "posted_at",
    }
    assert fields["title"] == target.title
    assert fields["price"] == pytest.approx(float(target.price))
    assert fields["currency"] == target.currency
