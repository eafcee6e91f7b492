"""Sandbox photos and the planted repost: decodable JPEGs, the same for the same listing,
each site's own encoding, and one offer posted twice by two accounts."""

from __future__ import annotations

import io
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import pytest
from PIL import Image

from crawler.imagehash import hamming, perceptual_hash
from sandbox import (
    REPOST_MIN_SIZE,
    Corpus,
    MarketSite,
    RepostPair,
    SandboxServer,
    build_corpus,
    plant_reposts,
)
from sandbox.photos import (
    BAZAAR_FORMAT,
    MERCADO_FORMAT,
    PhotoCache,
    PhotoFormat,
    draw_photo,
    encode_photo,
)
from sandbox.shop import MercadoSite

SEED = 20261121


@dataclass(frozen=True)
class Photo:
    status: int
    content_type: str
    body: bytes

    def image(self) -> Image.Image:
        with Image.open(io.BytesIO(self.body)) as image:
            assert image.format == "JPEG"
            image.load()
            return image.copy()


def fetch(url: str) -> Photo:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return Photo(response.status, response.headers["Content-Type"], response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Photo(error.code, error.headers["Content-Type"], error.read())


@dataclass(frozen=True)
class Sites:
    corpus: Corpus
    bazaar: SandboxServer
    mercado: SandboxServer


@pytest.fixture(scope="module")
def sites() -> Iterator[Sites]:
    corpus = build_corpus(SEED)
    with (
        SandboxServer(corpus=corpus) as bazaar,
        SandboxServer(corpus=corpus, site_factory=MercadoSite) as mercado,
    ):
        yield Sites(corpus, bazaar, mercado)


def with_photos(corpus: Corpus, count: int = 2) -> list[str]:
    return [x.listing_id for x in corpus.listings if x.image_count >= count]


# -- photos


@pytest.mark.parametrize(("site", "fmt"), [("bazaar", BAZAAR_FORMAT), ("mercado", MERCADO_FORMAT)])
def test_each_site_serves_decodable_jpegs_in_its_own_format(
    sites: Sites, site: str, fmt: PhotoFormat
) -> None:
    server: SandboxServer = getattr(sites, site)
    for listing_id in with_photos(sites.corpus, 1)[:10]:
        photo = fetch(f"{server.url}/img/{listing_id}/1.jpg")
        assert photo.status == 200
        assert photo.content_type == "image/jpeg"
        image = photo.image()
        assert image.size == (fmt.width, fmt.height)
        assert image.mode == "RGB"


def test_photos_look_like_photos_not_flat_placeholders(sites: Sites) -> None:
    listing_id = with_photos(sites.corpus)[0]
    image = fetch(f"{sites.bazaar.url}/img/{listing_id}/1.jpg").image()
    pixels = np.asarray(image, dtype=np.float64)
    assert pixels.std() > 20  # shapes on a gradient, not one colour
    assert len(image.getcolors(maxcolors=1 << 20) or []) > 5_000  # noise: many shades
    # Neighbouring pixels differ a little everywhere (sensor noise), not only at edges.
    assert np.median(np.abs(np.diff(pixels, axis=1))) >= 1


def test_photos_are_deterministic_per_listing_and_differ_between_listings(sites: Sites) -> None:
    first, second = with_photos(sites.corpus)[:2]
    photo = fetch(f"{sites.bazaar.url}/img/{first}/1.jpg").body
    assert fetch(f"{sites.bazaar.url}/img/{first}/1.jpg").body == photo
    assert fetch(f"{sites.bazaar.url}/img/{first}/2.jpg").body != photo
    assert fetch(f"{sites.bazaar.url}/img/{second}/1.jpg").body != photo
    # Another server over the same corpus draws the very same file.
    with SandboxServer(corpus=sites.corpus) as again:
        assert fetch(f"{again.url}/img/{first}/1.jpg").body == photo


def test_missing_photos_are_404(sites: Sites) -> None:
    listing = next(x for x in sites.corpus.listings if x.image_count >= 1)
    bare = next(x for x in sites.corpus.listings if x.image_count == 0)
    for server in (sites.bazaar, sites.mercado):
        for path in [
            f"/img/{listing.listing_id}/0.jpg",
            f"/img/{listing.listing_id}/{listing.image_count + 1}.jpg",
            f"/img/{listing.listing_id}/01.jpg",
            f"/img/{bare.listing_id}/1.jpg",
            "/img/nope/1.jpg",
            f"/img/{listing.listing_id}/1.svg",
        ]:
            assert fetch(f"{server.url}{path}").status == 404, path


def test_one_listing_on_two_sites_is_two_files_of_one_picture(sites: Sites) -> None:
    for listing_id in with_photos(sites.corpus, 1)[:20]:
        on_bazaar = fetch(f"{sites.bazaar.url}/img/{listing_id}/1.jpg").body
        on_mercado = fetch(f"{sites.mercado.url}/img/{listing_id}/1.jpg").body
        assert on_bazaar != on_mercado
        assert len(on_mercado) < len(on_bazaar)  # smaller and more compressed
        assert hamming(perceptual_hash(on_bazaar), perceptual_hash(on_mercado)) <= 6


def test_the_photo_cache_keeps_at_most_its_capacity() -> None:
    cache = PhotoCache(BAZAAR_FORMAT, capacity=3)
    bodies = {key: cache.jpeg(key) for key in ["a/1", "b/1", "c/1", "d/1", "e/1"]}
    assert len(cache) == 3
    assert cache.jpeg("a/1") == bodies["a/1"]  # dropped, drawn again: the same bytes
    assert cache.jpeg("a/1") == encode_photo(draw_photo("a/1"), BAZAAR_FORMAT)
    with pytest.raises(ValueError, match="at least one"):
        PhotoCache(BAZAAR_FORMAT, capacity=0)
    with pytest.raises(ValueError, match="quality"):
        PhotoFormat(320, 240, 0)


def test_a_site_can_be_given_its_own_photo_cache() -> None:
    corpus = build_corpus(7, 12)
    cache = PhotoCache(MERCADO_FORMAT, capacity=4)
    listing = next(x for x in corpus.listings if x.image_count >= 1)
    with SandboxServer(corpus=corpus, site_factory=lambda c: MarketSite(c, photos=cache)) as own:
        image = fetch(f"{own.url}/img/{listing.listing_id}/1.jpg").image()
    assert image.size == (MERCADO_FORMAT.width, MERCADO_FORMAT.height)
    assert len(cache) == 1


# -- the planted repost


def the_pair(corpus: Corpus) -> RepostPair:
    assert len(corpus.reposts) == 1
    return corpus.reposts[0]


def sentences(text: str) -> set[str]:
    return {s.strip().casefold() for s in re.split(r"[.!?。]", text) if s.strip()}


def test_the_default_corpus_plants_one_offer_posted_by_two_accounts(sites: Sites) -> None:
    corpus = sites.corpus
    pair = the_pair(corpus)
    on_bazaar, on_mercado = (corpus.by_id[i] for i in pair.listing_ids)
    assert on_bazaar.listing_id != on_mercado.listing_id
    assert pair.bazaar_seller_id == on_bazaar.seller_id != on_mercado.seller_id
    assert pair.mercado_seller_id == on_mercado.seller_id
    # The same offer...
    assert (on_bazaar.category, on_bazaar.product) == (on_mercado.category, on_mercado.product)
    assert on_bazaar.category == "illegal"
    assert (on_bazaar.price, on_bazaar.currency) == (on_mercado.price, on_mercado.currency)
    assert on_bazaar.language == on_mercado.language
    # ...reworded: no sentence and not the title in common.
    assert on_bazaar.title != on_mercado.title
    assert not sentences(on_bazaar.description) & sentences(on_mercado.description)
    # One WeChat handle, written two ways, in the texts and on the seller pages.
    handle = pair.contact.split(":", 1)[1]
    assert pair.contact.startswith("wechat:")
    assert pair.bazaar_contact != pair.mercado_contact
    assert pair.bazaar_contact in on_bazaar.description
    assert pair.mercado_contact in on_mercado.description
    assert handle in pair.bazaar_contact and handle in pair.mercado_contact
    assert pair.bazaar_contact in corpus.sellers_by_id[on_bazaar.seller_id].contacts
    assert pair.mercado_contact in corpus.sellers_by_id[on_mercado.seller_id].contacts
    # The same photos.
    assert on_bazaar.image_count == on_mercado.image_count >= 1
    assert on_bazaar.photo_seed == on_mercado.photo_seed


def test_the_repost_photos_are_reencoded_copies(sites: Sites) -> None:
    pair = the_pair(sites.corpus)
    listing = sites.corpus.by_id[pair.bazaar_listing_id]
    for n in range(1, listing.image_count + 1):
        posted = fetch(f"{sites.bazaar.url}/img/{pair.bazaar_listing_id}/{n}.jpg")
        reposted = fetch(f"{sites.mercado.url}/img/{pair.mercado_listing_id}/{n}.jpg")
        assert posted.body != reposted.body
        assert posted.image().size != reposted.image().size
        assert hamming(perceptual_hash(posted.body), perceptual_hash(reposted.body)) <= 6


def test_the_repost_pages_show_the_reworded_texts(sites: Sites) -> None:
    pair = the_pair(sites.corpus)
    bazaar_page = urllib.request.urlopen(
        f"{sites.bazaar.url}/listing/{pair.bazaar_listing_id}", timeout=10
    ).read()
    mercado_page = urllib.request.urlopen(
        f"{sites.mercado.url}/item/{pair.mercado_listing_id}", timeout=10
    ).read()
    assert pair.bazaar_contact.encode() in bazaar_page
    assert pair.mercado_contact.encode() in mercado_page
    assert f"/img/{pair.mercado_listing_id}/1.jpg".encode() in mercado_page


def test_planting_keeps_the_corpus_shape() -> None:
    plain = build_corpus(SEED, REPOST_MIN_SIZE - 1)
    assert plain.reposts == ()
    assert all(x.photo_key == "" and x.photo_seed == x.listing_id for x in plain.listings)
    planted = plant_reposts(plain)
    assert len(planted.reposts) == 1
    assert len(planted.listings) == len(plain.listings)
    assert len(planted.sellers) == len(plain.sellers)

    def shape(corpus: Corpus) -> list[tuple[str, str, str]]:
        return [(x.listing_id, x.seller_id, x.language + x.category) for x in corpus.listings]

    assert shape(planted) == shape(plain)
    changed = [
        x.listing_id for x, y in zip(plain.listings, planted.listings, strict=True) if x != y
    ]
    assert sorted(changed) == sorted(planted.reposts[0].listing_ids)
    assert plant_reposts(planted) == planted  # planted once only


def test_a_corpus_without_two_such_sellers_is_left_alone() -> None:
    corpus = build_corpus(SEED)
    offer = next(x for x in corpus.listings if (x.language, x.category) == ("en", "illegal"))
    other = next(x for x in corpus.listings if x.seller_id != offer.seller_id)
    sellers = tuple(corpus.sellers_by_id[x.seller_id] for x in (offer, other))
    lone = Corpus((replace(offer, photo_key=""), replace(other, category="ordinary")), sellers)
    assert plant_reposts(lone) == lone


def test_a_repost_must_name_listings_of_the_corpus() -> None:
    corpus = build_corpus(SEED)
    pair = replace(the_pair(corpus), mercado_listing_id="nope")
    with pytest.raises(ValueError, match="not in the corpus"):
        Corpus(corpus.listings, corpus.sellers, reposts=(pair,))
