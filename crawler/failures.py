"""What went wrong with a request, in words a person understands.

``unreachable`` is our side or the network (DNS, refused, timeout, reset); a platform that
answers and refuses is ``blocked``, which the spiders tell from the response itself.
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from twisted.internet import error as net
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

_NETWORK = (
    (net.DNSLookupError, "DNS lookup failed"),
    (net.ConnectionRefusedError, "connection refused"),
    ((net.TimeoutError, net.TCPTimedOutError), "timed out"),
    ((net.ConnectionLost, net.ConnectionDone, ResponseNeverReceived), "connection reset"),
    (ResponseFailed, "connection reset"),
    ((net.NoRouteError, net.ConnectError), "cannot connect"),
)


def describe_failure(failure: Failure) -> str:
    """One line: ``unreachable: connection refused (…)``, ``refused by robots.txt``, …"""
    detail = failure.getErrorMessage().strip().splitlines()
    message = detail[0][:200] if detail else failure.type.__name__  # type: ignore[union-attr]
    for kinds, words in _NETWORK:
        if failure.check(*(kinds if isinstance(kinds, tuple) else (kinds,))):
            return f"unreachable: {words} ({message})"
    if failure.check(IgnoreRequest):
        if "robots.txt" in message:
            return "refused by robots.txt"
        return f"request dropped: {message}"
    return f"request failed: {failure.type.__name__}: {message}"  # type: ignore[union-attr]
