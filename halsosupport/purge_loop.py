"""The scheduled purge: a background task of a service's app that runs its purge now and then."""

import asyncio
from collections.abc import Callable

import structlog

log = structlog.get_logger("halsosupport.purge")


async def purge_periodically(purge: Callable[[], dict[str, int]], interval_s: float) -> None:
    """Run `purge` (blocking, in a thread) every `interval_s` until cancelled; a failed run is
    logged as an error and tried again at the next interval."""
    while True:
        try:
            purged = await asyncio.to_thread(purge)
            log.info("purged", **purged)
        except Exception as error:  # the next run tries again; nothing is lost by waiting
            log.error("purge_failed", error=str(error))
        await asyncio.sleep(interval_s)
