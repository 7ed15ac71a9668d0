"""Podium's Scrapy project: spiders fetch, archive.platforms parses, pipelines store."""
