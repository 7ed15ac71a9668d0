"""Scrapy settings only; values that vary come from archive.config (config/podium.toml + env)."""

from __future__ import annotations

from archive import config as _config

_settings = _config.load()

BOT_NAME = "podium"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = _settings.crawl.user_agent
ROBOTSTXT_OBEY = False  # per spider from its platform's obey_robots (on for news in podium.toml)
COOKIES_ENABLED = False
# No crawl listens on any port. Scrapy's telnet console and (2.19+) its RemoteControl HTTP server
# both run arbitrary Python in the crawl, which holds the database URL with its password: both are
# off, and their extensions are removed from EXTENSIONS below, so turning a flag back on (a spider's
# custom_settings, a `-s` option) does not bring them back. tests/reliability/test_exposure.py
# checks a real crawl for listening sockets.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
DOWNLOAD_TIMEOUT = 30

# Politeness: per-platform delay, concurrency, AutoThrottle and retries come from
# config/podium.toml through AthleteSpider.update_settings; these are the shared parts.
DOWNLOAD_DELAY_JITTER = 0.5  # each delay varies by ±50%: jitter
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

RETRY_ENABLED = True
RETRY_TIMES = 4
# 429 and 5xx go to BackoffRetryMiddleware (it waits); Scrapy's own retry keeps network errors.
RETRY_HTTP_CODES = [408, 522, 524]
PODIUM_BACKOFF_HTTP_CODES = [429, 500, 502, 503, 504]
PODIUM_BACKOFF_BASE = 2.0
PODIUM_BACKOFF_MAX = 120.0
HTTPERROR_ALLOW_ALL = True  # callbacks see 404/410/429 and decide (deleted, blocked, problem)

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.BackoffRetryMiddleware": 540,
}
SPIDER_MIDDLEWARES = {
    "crawler.middlewares.EveryRequestAnswered": 950,
}
EXTENSIONS = {
    "crawler.extensions.ArchiveKnowledge": 100,
    "crawler.extensions.ProgressLines": 200,
    "crawler.extensions.ParentWatch": 300,
    # None removes an extension whatever its *_ENABLED flag says (see TELNETCONSOLE_ENABLED).
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ValidatePipeline": 100,
    "crawler.pipelines.NormalizePipeline": 200,
    "crawler.pipelines.StorePipeline": 300,
}

PODIUM_DATABASE_URL = _settings.database_url
PODIUM_BATCH_SIZE = _settings.crawl.batch_size
PODIUM_STOP_AFTER_KNOWN = _settings.crawl.stop_after_known

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
