"""A sandbox host that rate-limits: some requests get 429 with ``Retry-After``.

`ThrottledSite` wraps another site. The first request to each path matching
`pattern` is answered 429 with ``Retry-After: <seconds>``; from then on, until the
wait is over, every request to the host is answered 429 again and noted as a
violation. A polite crawler therefore shows no violations and still gets every page.
"""

from __future__ import annotations

import re
import threading
import time

from sandbox.server import Request, Response, Site

__all__ = ["ThrottledSite"]


class ThrottledSite:
    """Answers 429 + ``Retry-After`` to the first request of each matching path."""

    def __init__(
        self,
        inner: Site,
        *,
        retry_after: int = 2,
        pattern: str = r"/listing/",
        limit: int | None = None,
    ) -> None:
        self.inner = inner
        self.name = f"{inner.name} (throttled)"
        self.retry_after = retry_after
        self.pattern = re.compile(pattern)
        self.limit = limit  # at most this many paths are throttled (None: all)
        self.violations: list[str] = []  # paths requested while told to wait
        self.throttled: list[str] = []  # paths answered 429
        self._asked: set[str] = set()
        self._wait_until = 0.0
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        now = time.monotonic()
        with self._lock:
            if now < self._wait_until:
                self.violations.append(request.path)
                return self._too_many(max(1, round(self._wait_until - now)))
            if (
                self.pattern.search(request.path)
                and request.path not in self._asked
                and (self.limit is None or len(self.throttled) < self.limit)
            ):
                self._asked.add(request.path)
                self._wait_until = now + self.retry_after
                self.throttled.append(request.path)
                return self._too_many(self.retry_after)
        return self.inner.handle(request)

    @staticmethod
    def _too_many(seconds: int) -> Response:
        return Response.text(
            "429 Too Many Requests\n", 429, headers=(("Retry-After", str(seconds)),)
        )
