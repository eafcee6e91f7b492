"""Listing photos over real HTTP: Bazaar and Mercado crawled with their photos hashed,
the planted repost found by its photos, broken photos skipped without losing a listing,
``photos.max`` obeyed, the setting validated and the hashes stored."""

from __future__ import annotations

import io
import itertools
import statistics
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image

from crawler.errors import SourceConfigError
from crawler.imagehash import hamming, perceptual_hash
from crawler.listing import Listing
from crawler.sources import validate_source
from indexer import Database, ListingStore
from sandbox import Corpus, MarketSite, Request, Response, SandboxServer, build_corpus
from sandbox.market import ROBOTS_TXT
from sandbox.shop import MercadoSite
from tests.conftest import SANDBOX_SEED
from tests.crawler.conftest import CrawlOutput, crawl_sources, write_sources
from tests.crawler.test_politeness import BAZAAR

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "config" / "sources.yaml"
NAMES = ("sandbox-bazaar", "sandbox-mercado")
#: Copies of one photo, re-encoded or resized, stay within this many bits.
NEAR = 6


def hashes_of(record: dict[str, Any]) -> list[str]:
    return list(record["image_hashes"])


def photo_number(path: str) -> int:
    return int(path.rsplit("/", 1)[1].split(".")[0])


# -- Bazaar and Mercado, crawled together as configured


@dataclass(frozen=True)
class TwoSites:
    corpus: Corpus
    out: CrawlOutput
    photo_paths: dict[str, list[str]]  # platform -> /img/ paths the site served

    def records(self, platform: str) -> dict[str, dict[str, Any]]:
        return {
            r["listing"]["platform_id"]: r["listing"]
            for r in self.out.listings
            if r["listing"]["platform"] == platform
        }


@pytest.fixture(scope="module")
def two_sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoSites]:
    corpus = build_corpus(SANDBOX_SEED, 120)  # large enough for the planted repost
    assert corpus.reposts
    configured = yaml.safe_load(SOURCES.read_text(encoding="utf-8"))["sources"]
    workdir = tmp_path_factory.mktemp("photos")
    with (
        SandboxServer(corpus=corpus) as bazaar,
        SandboxServer(corpus=corpus, site_factory=MercadoSite) as mercado,
    ):
        urls = {"sandbox-bazaar": bazaar.url, "sandbox-mercado": mercado.url}
        sources = write_sources(
            workdir / "sources.yaml",
            {name: {**configured[name], "base_url": urls[name]} for name in NAMES},
        )
        out = crawl_sources(sources, list(NAMES), workdir)
        served = {
            "sandbox-bazaar": [r.path for r in bazaar.requests if r.path.startswith("/img/")],
            "sandbox-mercado": [r.path for r in mercado.requests if r.path.startswith("/img/")],
        }
        assert out.returncode == 0, out.stderr[-3000:]
        yield TwoSites(corpus, out, served)  # served on, for fetching photos again


@pytest.mark.parametrize("platform", NAMES)
def test_every_listing_with_photos_has_their_hashes_in_order(
    two_sites: TwoSites, platform: str
) -> None:
    records = two_sites.records(platform)
    assert set(records) == {x.listing_id for x in two_sites.corpus.listings}
    with_photos = 0
    for listing_id, record in records.items():
        urls, hashes = record["image_urls"], hashes_of(record)
        assert len(urls) == two_sites.corpus.by_id[listing_id].image_count
        assert len(hashes) == min(len(urls), 2), listing_id
        with_photos += bool(hashes)
    assert with_photos >= 0.7 * len(records)
    # Each hash is the hash of the photo at the same place in image_urls.
    for record in list(records.values())[::6]:
        for url, digest in zip(record["image_urls"], hashes_of(record), strict=False):
            with urllib.request.urlopen(url, timeout=10) as response:
                assert perceptual_hash(response.read()) == digest, url
    stats = two_sites.out.stats[platform]
    assert stats["wildwatch/photos/hashed"] == sum(len(hashes_of(r)) for r in records.values())
    assert not [key for key in stats if key.startswith("wildwatch/photos/skipped/")]


@pytest.mark.parametrize("platform", NAMES)
def test_only_the_first_two_photos_are_fetched_once_each(
    two_sites: TwoSites, platform: str
) -> None:
    served = two_sites.photo_paths[platform]
    assert served, "no photo was fetched"
    assert len(served) == len(set(served))
    assert {photo_number(path) for path in served} == {1, 2}
    expected = sum(min(x.image_count, 2) for x in two_sites.corpus.listings)
    assert len(served) == expected


def test_the_repost_pair_is_near_and_unrelated_photos_are_far(two_sites: TwoSites) -> None:
    pair = two_sites.corpus.reposts[0]
    posted = hashes_of(two_sites.records("sandbox-bazaar")[pair.bazaar_listing_id])
    reposted = hashes_of(two_sites.records("sandbox-mercado")[pair.mercado_listing_id])
    assert len(posted) == len(reposted) == 2
    pair_distances = [hamming(a, b) for a, b in zip(posted, reposted, strict=True)]
    assert max(pair_distances) <= NEAR

    # Photos of different pictures, across both sites, are far from each other.
    by_picture: dict[str, str] = {}
    for platform in NAMES:
        for listing_id, record in two_sites.records(platform).items():
            seed = two_sites.corpus.by_id[listing_id].photo_seed
            for n, digest in enumerate(hashes_of(record), start=1):
                by_picture.setdefault(f"{seed}/{n}", digest)
    unrelated = [hamming(a, b) for a, b in itertools.combinations(by_picture.values(), 2)]
    assert len(unrelated) > 10_000
    assert min(unrelated) > 2 * NEAR >= 2 * max(pair_distances)
    assert statistics.median(unrelated) >= 24


def test_every_listing_on_both_sites_has_near_photos(two_sites: TwoSites) -> None:
    bazaar = two_sites.records("sandbox-bazaar")
    mercado = two_sites.records("sandbox-mercado")
    compared = 0
    for listing_id, record in bazaar.items():
        for a, b in zip(hashes_of(record), hashes_of(mercado[listing_id]), strict=True):
            assert hamming(a, b) <= NEAR, listing_id
            compared += 1
    assert compared >= 100


# -- broken photos


class BrokenPhotos:
    """Bazaar, with photo 1 of chosen listings broken one way each, and robots.txt
    keeping crawlers away from one listing's photos."""

    name = "broken-photos"

    def __init__(self, corpus: Corpus, broken: dict[str, str], big: bytes) -> None:
        self.inner = MarketSite(corpus)
        self.broken = broken  # listing id -> how its photo 1 is broken
        self.big = big
        self.robots = ROBOTS_TXT + "".join(
            f"Disallow: /img/{listing_id}/\n"
            for listing_id, how in broken.items()
            if how == "robots"
        )

    def handle(self, request: Request) -> Response:
        if request.path == "/robots.txt":
            return Response.text(self.robots)
        for listing_id, how in self.broken.items():
            if request.path != f"/img/{listing_id}/1.jpg":
                continue
            if how == "html":
                return Response.html("<!doctype html><title>Gallery</title><p>Photo 1 of 2</p>")
            if how == "big":
                return Response(200, self.big, "image/jpeg")
            if how == "garbage":
                return Response(200, b"\xff\xd8\xff\xe0 not really a JPEG" * 20, "image/jpeg")
            if how == "missing":
                return Response.text("gone", 404)
        return self.inner.handle(request)


def big_jpeg(size: int) -> bytes:
    """A real, decodable JPEG of more than `size` bytes (noise compresses badly)."""
    side = 256
    while True:
        image = Image.effect_noise((side, side), 90).convert("RGB")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=95)
        if out.tell() > size:
            return out.getvalue()
        side *= 2


def test_broken_photos_are_skipped_and_no_listing_is_lost(tmp_path: Path) -> None:
    corpus = build_corpus(7, 20)
    two_photos = [x.listing_id for x in corpus.listings if x.image_count >= 2]
    kinds = ["html", "big", "garbage", "missing", "robots"]
    assert len(two_photos) > len(kinds)
    broken = dict(zip(two_photos, kinds, strict=False))
    cap = 100_000
    big = big_jpeg(2 * cap)
    perceptual_hash(big)  # decodable: only its size is wrong
    sources = write_sources(tmp_path / "s.yaml", {"bazaar": BAZAAR})
    site = BrokenPhotos(corpus, broken, big)
    with SandboxServer(corpus=corpus, site_factory=lambda c: site) as server:
        out = crawl_sources(
            sources,
            ["bazaar"],
            tmp_path,
            base_url=server.url,
            settings={"WILDWATCH_PHOTOS_MAX_BYTES": cap},
        )
        served = [r.path for r in server.requests if r.path.startswith("/img/")]
        second = {}
        for listing_id in broken:
            with urllib.request.urlopen(f"{server.url}/img/{listing_id}/2.jpg") as response:
                second[listing_id] = perceptual_hash(response.read())
    assert out.returncode == 0, out.stderr[-3000:]
    records = {r["listing"]["platform_id"]: r["listing"] for r in out.listings}
    assert set(records) == {x.listing_id for x in corpus.listings}  # nothing lost
    for listing_id, how in broken.items():
        hashes = hashes_of(records[listing_id])
        if how == "robots":
            assert hashes == []
            assert not [p for p in served if p.startswith(f"/img/{listing_id}/")]
        else:
            # Photo 1 is left out; photo 2 is still there, in first place.
            assert hashes == [second[listing_id]], (listing_id, how)
    for listing_id, record in records.items():
        if listing_id not in broken:
            assert len(hashes_of(record)) == min(len(record["image_urls"]), 2)
    stats = out.stats["bazaar"]
    for key, n in [
        ("content_type", 1),
        ("too_big", 1),
        ("undecodable", 1),
        ("status", 1),
        ("refused", 2),  # both photos of the listing robots.txt keeps crawlers from
    ]:
        assert stats.get(f"wildwatch/photos/skipped/{key}") == n, (
            key,
            {k: v for k, v in stats.items() if "photo" in k or "block" in k},
        )
    assert stats["robotstxt/forbidden"] >= 1


def test_vector_drawings_are_not_fetched(tmp_path: Path) -> None:
    corpus = build_corpus(7, 12)

    class SvgPhotos:
        name = "svg-photos"

        def __init__(self, c: Corpus) -> None:
            self.inner = MarketSite(c)

        def handle(self, request: Request) -> Response:
            response = self.inner.handle(request)
            if request.path.startswith("/listing/"):
                body = response.body.replace(b".jpg", b".svg")
                return Response(response.status, body, response.content_type, response.headers)
            return response

    sources = write_sources(tmp_path / "s.yaml", {"bazaar": BAZAAR})
    with SandboxServer(corpus=corpus, site_factory=SvgPhotos) as server:
        out = crawl_sources(sources, ["bazaar"], tmp_path, base_url=server.url)
        served = [r.path for r in server.requests if r.path.startswith("/img/")]
    assert out.returncode == 0, out.stderr[-3000:]
    assert len(out.listings) == len(corpus.listings)
    assert served == []
    assert all(r["listing"]["image_hashes"] == [] for r in out.listings)
    expected = sum(min(x.image_count, 2) for x in corpus.listings)
    assert out.stats["bazaar"]["wildwatch/photos/skipped/vector"] == expected


# -- photos.max


@pytest.mark.parametrize("most", [0, 1])
def test_photos_max_is_obeyed(tmp_path: Path, most: int) -> None:
    corpus = build_corpus(7, 12)
    sources = write_sources(tmp_path / "s.yaml", {"bazaar": {**BAZAAR, "photos": {"max": most}}})
    with SandboxServer(corpus=corpus) as server:
        out = crawl_sources(sources, ["bazaar"], tmp_path, base_url=server.url)
        served = [r.path for r in server.requests if r.path.startswith("/img/")]
    assert out.returncode == 0, out.stderr[-3000:]
    assert len(out.listings) == len(corpus.listings)  # listings come through either way
    stats = out.stats["bazaar"]
    if most == 0:
        assert served == []
        assert all(r["listing"]["image_hashes"] == [] for r in out.listings)
        assert not [key for key in stats if key.startswith("wildwatch/photos/")]
    else:
        assert sorted(served) == sorted(
            f"/img/{x.listing_id}/1.jpg" for x in corpus.listings if x.image_count
        )
        for record in out.listings:
            assert len(record["listing"]["image_hashes"]) == min(
                len(record["listing"]["image_urls"]), 1
            )
        assert stats["wildwatch/photos/hashed"] == len(served)


# -- the setting


def _source(photos: Any) -> dict[str, Any]:
    return {**BAZAAR, "photos": photos}


@pytest.mark.parametrize(
    "photos", [{"max": 11}, {"max": -1}, {"max": "two"}, {"max": 2.5}, {"max": True}, "many"]
)
def test_a_bad_photos_setting_is_refused_clearly(photos: Any) -> None:
    with pytest.raises(SourceConfigError, match=r"source 'bazaar' .*photos"):
        validate_source("bazaar", _source(photos))


def test_photos_setting_values() -> None:
    message = r"photos\.max: .*whole number from 0 to 10, got 11"
    with pytest.raises(SourceConfigError, match=message):
        validate_source("bazaar", _source({"max": 11}))
    with pytest.raises(SourceConfigError, match=r"photos\.maximum"):
        validate_source("bazaar", _source({"maximum": 2}))
    assert validate_source("bazaar", BAZAAR).photos.max == 2
    assert validate_source("bazaar", _source({"max": 0})).photos.max == 0
    assert validate_source("bazaar", _source(10)).photos.max == 10


# -- the store


def test_image_hashes_are_stored_and_read_back(database: Database) -> None:
    listing = Listing(
        platform="sandbox-bazaar",
        platform_id="m1",
        url="http://127.0.0.1:9/listing/m1",
        title="Old carved bangle",
        image_urls=["http://127.0.0.1:9/img/m1/1.jpg", "http://127.0.0.1:9/img/m1/2.jpg"],
        image_hashes=["8f3a00ff12c4e5d6", "0123456789abcdef"],
    )
    with database.session() as session:
        ListingStore(session).save(listing)
    with database.session() as session:
        stored = ListingStore(session).get(listing.id)
    assert stored is not None
    assert stored.image_hashes == listing.image_hashes
