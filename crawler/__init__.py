"""Fetching stage: spiders, middlewares and the `Listing` record.

Importing this package does not import Scrapy; spiders live in submodules.
"""

from crawler.listing import Classification, CrawlInfo, Evidence, Listing, Reason, Seller

__all__ = ["Classification", "CrawlInfo", "Evidence", "Listing", "Reason", "Seller"]
