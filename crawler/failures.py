"""What went wrong with a request, in words a person understands.

``unreachable`` is our side or the network (DNS, refused, timeout, reset); a platform that
answers and refuses is ``blocked``, which the spiders tell from the response itself.
"""

from __future__ import annotations

from scrapy import exceptions as scrapy_errors
from scrapy.exceptions import IgnoreRequest
from twisted.internet import error as net
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

#: Scrapy 2.13+ wraps the download handlers' errors in its own classes; Twisted's own are
#: kept for handlers that pass them through.
_NETWORK: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((scrapy_errors.CannotResolveHostError, net.DNSLookupError), "DNS lookup failed"),
    (
        (scrapy_errors.DownloadConnectionRefusedError, net.ConnectionRefusedError),
        "connection refused",
    ),
    ((scrapy_errors.DownloadTimeoutError, net.TimeoutError, net.TCPTimedOutError), "timed out"),
    (
        (
            scrapy_errors.ResponseDataLossError,
            net.ConnectionLost,
            net.ConnectionDone,
            ResponseNeverReceived,
            ResponseFailed,
        ),
        "connection reset",
    ),
    ((scrapy_errors.DownloadFailedError, net.NoRouteError, net.ConnectError), "cannot connect"),
)


def describe_failure(failure: Failure) -> str:
    """One line: ``unreachable: connection refused (…)``, ``refused by robots.txt``, …"""
    detail = failure.getErrorMessage().strip().splitlines()
    message = detail[0][:200] if detail else failure.type.__name__  # type: ignore[union-attr]
    for kinds, words in _NETWORK:
        if failure.check(*kinds):  # type: ignore[no-untyped-call]
            return f"unreachable: {words} ({message})"
    if failure.check(IgnoreRequest):  # type: ignore[no-untyped-call]
        if "robots.txt" in message:
            return "refused by robots.txt"
        return f"request dropped: {message}"
    return f"request failed: {failure.type.__name__}: {message}"  # type: ignore[union-attr]
