"""BackoffRetryMiddleware: a 429 (or 5xx) is retried after Retry-After, then given up."""

from __future__ import annotations

import asyncio

from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawler.middlewares import BackoffRetryMiddleware


def _middleware(retry_times: int = 2) -> tuple[BackoffRetryMiddleware, Spider]:
    crawler = get_crawler(Spider, {"RETRY_TIMES": retry_times})
    spider = Spider.from_crawler(crawler, name="test")
    crawler.spider = spider
    return BackoffRetryMiddleware.from_crawler(crawler), spider


def _answer(
    mw: BackoffRetryMiddleware, spider: Spider, request: Request, status: int = 429
) -> Request | Response:
    response = Response(request.url, status=status, headers={"Retry-After": "0"}, request=request)
    return asyncio.run(mw.process_response(request, response, spider))


def test_429_is_retried_with_retry_times_incremented() -> None:
    mw, spider = _middleware()
    request = Request("http://127.0.0.1:8765/tiktok/@lottevandijk")
    retry = _answer(mw, spider, request)
    assert isinstance(retry, Request)
    assert retry.url == request.url
    assert retry.meta["retry_times"] == 1
    assert retry.dont_filter
    again = _answer(mw, spider, retry, status=503)
    assert isinstance(again, Request)
    assert again.meta["retry_times"] == 2


def test_gives_up_after_retry_times_and_hands_the_429_to_the_callback() -> None:
    mw, spider = _middleware(retry_times=2)
    request = Request("http://127.0.0.1:8765/tiktok/@lottevandijk", meta={"retry_times": 2})
    out = _answer(mw, spider, request)
    assert isinstance(out, Response)
    assert out.status == 429
    assert spider.crawler.stats.get_value("retry/max_reached") == 1


def test_other_statuses_and_dont_retry_pass_through() -> None:
    mw, spider = _middleware()
    request = Request("http://127.0.0.1:8765/x")
    assert isinstance(_answer(mw, spider, request, status=404), Response)
    assert isinstance(
        _answer(mw, spider, Request(request.url, meta={"dont_retry": True})), Response
    )


def test_retry_after_is_honoured_and_capped() -> None:
    mw, _ = _middleware()
    response = Response("http://127.0.0.1:8765/x", status=429, headers={"Retry-After": "7"})
    assert mw._delay(response, 0) == 7.0
    huge = Response("http://127.0.0.1:8765/x", status=429, headers={"Retry-After": "99999"})
    assert mw._delay(huge, 0) == mw.cap
