"""scrapy-redis' duplicate filter, per queued crawl run: the next run fetches a listing again."""

from __future__ import annotations

from typing import Any

from scrapy import Request, Spider
from scrapy_redis.dupefilter import RFPDupeFilter

from archive.queue_keys import run_part_key
from crawler.queued import RUN

#: A run's fingerprints outlive its last request by this much at most.
_TTL_SECONDS = 7 * 24 * 3600


class RunDupeFilter(RFPDupeFilter):  # type: ignore[misc]  # scrapy-redis ships no types
    """Fingerprints of a run's requests in ``{prefix}:run:{id}:dupefilter`` (removed with the
    run); requests outside any run in the spider's ``{prefix}:{spider}:dupefilter``."""

    prefix = "podium"

    @classmethod
    def from_spider(cls, spider: Spider) -> Any:
        df = super().from_spider(spider)
        df.prefix = spider.settings.get("PODIUM_REDIS_PREFIX") or "podium"
        return df

    def request_seen(self, request: Request) -> bool:
        run = request.meta.get(RUN)
        if run is None:
            return bool(super().request_seen(request))
        key = run_part_key(self.prefix, int(run), "dupefilter")
        with self.server.pipeline() as pipe:
            pipe.sadd(key, self.request_fingerprint(request))
            pipe.expire(key, _TTL_SECONDS)
            added, _ = pipe.execute()
        return bool(added == 0)
