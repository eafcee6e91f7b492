"""Local stand-ins for real marketplaces, served over loopback HTTP for the demo and the tests.

`SandboxServer` serves the Bazaar marketplace (platform ``sandbox-bazaar``) over a
reproducible multilingual corpus (`build_corpus`) whose listings carry ground truth;
`Corpus.reposts` names the offers planted on Bazaar and Mercado by two accounts.
"""

from sandbox.corpus import (
    CATEGORIES,
    DEFAULT_SEED,
    DEFAULT_SIZE,
    EPOCH,
    NO_PRODUCT,
    PRODUCTS,
    REPOST_MIN_SIZE,
    Category,
    Corpus,
    RepostPair,
    SandboxListing,
    Seller,
    build_corpus,
    format_price,
    generate_corpus,
    plant_reposts,
    search_key,
)
from sandbox.market import PLATFORM, SITE_NAME, MarketSite
from sandbox.server import (
    Request,
    RequestRecord,
    Response,
    Router,
    SandboxServer,
    Site,
    SiteFactory,
    run_sandbox,
)

#: The sandbox sites by name ("module:Class"), each a stand-in for one kind of source.
SITES = {
    "bazaar": "sandbox.market:MarketSite",  # HTML marketplace with field rules
    "mercado": "sandbox.shop:MercadoSite",  # marketplace read by the generic extractor
    "apis": "sandbox.apis:ApiSandboxSite",  # Mastodon, Shopify, RSS/Atom, Telegram
    "den": "sandbox.forum:ForumSite",  # login-walled forum
    "chirp": "sandbox.social:ChirpSite",  # JavaScript social feed
    "guarded": "sandbox.guarded:GuardedSite",  # a marketplace behind a bot wall
}


def site_factory(name: str) -> SiteFactory:
    """The factory of the sandbox site called `name` (one of `SITES`)."""
    from importlib import import_module

    module, _, cls = SITES[name].partition(":")
    factory: SiteFactory = getattr(import_module(module), cls)
    return factory


__all__ = [
    "CATEGORIES",
    "DEFAULT_SEED",
    "DEFAULT_SIZE",
    "EPOCH",
    "NO_PRODUCT",
    "PLATFORM",
    "PRODUCTS",
    "REPOST_MIN_SIZE",
    "SITES",
    "SITE_NAME",
    "Category",
    "Corpus",
    "MarketSite",
    "RepostPair",
    "Request",
    "RequestRecord",
    "Response",
    "Router",
    "SandboxListing",
    "SandboxServer",
    "Seller",
    "Site",
    "SiteFactory",
    "build_corpus",
    "format_price",
    "generate_corpus",
    "plant_reposts",
    "run_sandbox",
    "search_key",
    "site_factory",
]
