"""faust's Kafka transport with the consumer's fetch wait as a setting, and fetches that only
ever return the partitions that were active when they were asked for.

faust-streaming builds its worker consumer with `fetch_max_wait_ms=1500`, fixed. tansu holds a
waiting fetch for the whole wait even when a record arrives, so every report waited up to 1.5 s
before the worker saw it: most of the time from a report to its trigger event. Here the wait is
`HALSOSUPPORT_KAFKA_FETCH_MAX_WAIT_MS`, as for the notifier's and stats' consumers.

faust hands aiokafka its live set of active partitions. When recovery pauses the last of them
(the changelogs, once read) while a fetch waits, aiokafka sees an empty set, which it reads as
"every partition", and returns the paused reports too; faust drops them as not active, and
aiokafka's position has moved past them: reports never applied (the worker-crash chaos
scenario's stalls). A snapshot taken when the fetch is asked for cannot empty itself.
"""

from typing import Any

from faust.transport import drivers
from faust.transport.drivers import aiokafka as faust_aiokafka

SCHEME = "halsosupport-kafka"
_fetch_max_wait_ms = {"value": 1500}  # faust's own, until `register` sets ours


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    async def getmany(self, active_partitions: Any, timeout: float) -> Any:
        if active_partitions is None:  # a client-only app: everything, by design
            return await super().getmany(None, timeout)
        snapshot = set(active_partitions)
        if not snapshot:
            return {}
        return await super().getmany(snapshot, timeout)

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka's own field, read when the consumer starts its fetcher
        consumer._fetch_max_wait_ms = _fetch_max_wait_ms["value"]
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


def register(fetch_max_wait_ms: int) -> str:
    """Make `halsosupport-kafka://` a faust broker URL scheme; returns the scheme."""
    _fetch_max_wait_ms["value"] = fetch_max_wait_ms
    drivers.TRANSPORTS[SCHEME] = f"{__name__}:Transport"
    return SCHEME
