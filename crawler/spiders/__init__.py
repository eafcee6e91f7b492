"""Spiders, one per kind of source."""

from crawler.spiders.marketplace import MarketplaceSpider

__all__ = ["MarketplaceSpider"]
