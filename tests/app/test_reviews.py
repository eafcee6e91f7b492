"""Reviewer verdicts: recorded by the review app and by `wildwatch review`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer import Database, ReviewStore
from tests.conftest import run_cli
from tests.indexer.test_store import listing, save
from wildwatch.config import AppConfig
from wildwatch.web import create_app


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    database = Database.for_data_dir(tmp_path)
    database.create_schema()
    save(database, listing("7", "Raw ivory bangle", "DM me", risk=0.9))
    save(database, listing("8", "Resin elephant figurine", risk=0.5))
    database.dispose()
    return tmp_path


@pytest.fixture
def client(data_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(AppConfig.at(data_dir))) as c:
        yield c


def _verdicts(data_dir: Path, listing_id: str) -> list[tuple[str, str | None]]:
    database = Database.for_data_dir(data_dir)
    try:
        with database.session() as session:
            return [(r.verdict, r.note) for r in ReviewStore(session).for_listing(listing_id)]
    finally:
        database.dispose()


def test_review_buttons_record_a_verdict_and_the_page_shows_it(
    client: TestClient, data_dir: Path
) -> None:
    page = client.get("/listings/bazaar:7").text
    assert 'value="confirm"' in page and 'value="dismiss"' in page
    response = client.post(
        "/listings/bazaar:7/review",
        content="verdict=confirm&note=seller+sent+photos+%3Cb%3E",
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/listings/bazaar:7"
    assert _verdicts(data_dir, "bazaar:7") == [("confirm", "seller sent photos <b>")]
    page = client.get("/listings/bazaar:7").text
    assert "<strong>confirm</strong>" in page
    assert "seller sent photos &lt;b&gt;" in page  # the note is escaped


def test_cross_site_form_posts_are_refused(client: TestClient, data_dir: Path) -> None:
    response = client.post(
        "/listings/bazaar:7/review",
        content="verdict=dismiss",
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "origin": "https://evil.example",
        },
    )
    assert response.status_code == 403
    assert _verdicts(data_dir, "bazaar:7") == []


def test_bad_form_verdicts_and_unknown_listings(client: TestClient, data_dir: Path) -> None:
    headers = {"content-type": "application/x-www-form-urlencoded"}
    assert (
        client.post(
            "/listings/bazaar:7/review", content="verdict=maybe", headers=headers
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/listings/bazaar:99/review", content="verdict=confirm", headers=headers
        ).status_code
        == 404
    )
    assert _verdicts(data_dir, "bazaar:7") == []


def test_api_records_and_lists_verdicts(client: TestClient) -> None:
    created = client.post(
        "/api/listings/bazaar:8/review", json={"verdict": "dismiss", "note": "resin"}
    )
    assert created.status_code == 201
    body = created.json()
    assert body["verdict"] == "dismiss" and body["risk_at_review"] == 0.5
    assert client.post("/api/listings/bazaar:8/review", json={"verdict": "nah"}).status_code == 422
    assert (
        client.post("/api/listings/bazaar:0/review", json={"verdict": "confirm"}).status_code == 404
    )
    history = client.get("/api/listings/bazaar:8/reviews").json()
    assert [(r["verdict"], r["note"]) for r in history] == [("dismiss", "resin")]


def test_review_command_records_verdicts(data_dir: Path) -> None:
    result = run_cli("review", "bazaar:7", "dismiss", "--note", "replica", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert "dismiss recorded for bazaar:7 (risk was 0.90)" in result.stdout
    result = run_cli("review", "bazaar:7", "confirm", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert _verdicts(data_dir, "bazaar:7") == [("dismiss", "replica"), ("confirm", None)]


def test_review_command_refuses_unknown_listings_and_verdicts(data_dir: Path) -> None:
    result = run_cli("review", "bazaar:404", "confirm", data_dir=data_dir)
    assert result.returncode == 1
    assert "no listing 'bazaar:404'" in result.stderr
    result = run_cli("review", "bazaar:7", "approve", data_dir=data_dir)
    assert result.returncode == 2
    assert "confirm" in result.stderr
