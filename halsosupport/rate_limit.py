"""Rate limits on the endpoints anyone can reach: the Twilio webhooks.

They are checked by signature, but checking costs an HMAC per request and a flood still reaches
the database; a moving window per client address (the `limits` library) answers 429 with
`Retry-After` before any of that. The window lives in each process's memory: behind a load
balancer every instance counts its own share, which is what the limit guards (that process).
Behind a reverse proxy the address is the proxy's unless uvicorn is told to trust its
forwarded headers (`--forwarded-allow-ips`).
"""

import math
import time
from collections.abc import Callable

from fastapi import HTTPException, Request, status
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class RateLimit:
    """One limit (e.g. "120/minute") counted per client address."""

    def __init__(self, rule: str) -> None:
        self.item: RateLimitItem = parse(rule)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after_s(self, client: str) -> int | None:
        """None if the request may go on, else how many seconds until it may."""
        if self._limiter.hit(self.item, client):
            return None
        reset_at = self._limiter.get_window_stats(self.item, client).reset_time
        return max(1, math.ceil(reset_at - time.time()))


def limited(name: str) -> Callable[[Request], None]:
    """A dependency counting requests against the app's `public_rate_limit`; `name` keeps the
    counts of different endpoints apart."""

    def dependency(request: Request) -> None:
        limits: dict[str, RateLimit] | None = getattr(request.app.state, "rate_limits", None)
        if limits is None:
            limits = request.app.state.rate_limits = {}
        limit = limits.get(name)
        if limit is None:
            limit = limits[name] = RateLimit(request.app.state.settings.public_rate_limit)
        client = request.client.host if request.client else "unknown"
        wait = limit.retry_after_s(client)
        if wait is not None:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                detail=f"too many requests; try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )

    return dependency
