"""Podium's archive: records, normalizer, parsers, storage, search and export (no Scrapy here)."""
