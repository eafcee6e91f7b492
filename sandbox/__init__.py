"""Local stand-ins for real marketplaces, served over loopback HTTP for the demo and the tests.

`SandboxServer` serves the Bazaar marketplace (platform ``sandbox-bazaar``) over a
reproducible multilingual corpus (`build_corpus`) whose listings carry ground truth.
"""

from sandbox.corpus import (
    CATEGORIES,
    DEFAULT_SEED,
    DEFAULT_SIZE,
    EPOCH,
    NO_PRODUCT,
    PRODUCTS,
    Category,
    Corpus,
    SandboxListing,
    Seller,
    build_corpus,
    format_price,
    generate_corpus,
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

__all__ = [
    "CATEGORIES",
    "DEFAULT_SEED",
    "DEFAULT_SIZE",
    "EPOCH",
    "NO_PRODUCT",
    "PLATFORM",
    "PRODUCTS",
    "SITE_NAME",
    "Category",
    "Corpus",
    "MarketSite",
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
    "run_sandbox",
    "search_key",
]
