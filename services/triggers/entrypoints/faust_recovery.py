"""faust's end of table recovery, with the stream partitions sought before they are resumed.

faust-streaming 0.15.3 (`Recovery.on_recovery_completed`) resumes the stream partitions and only
then seeks them to the committed offsets. After a restart that restored the table from its
changelog, its fetcher is already running (it read the changelog), so reports fetched from the
old positions are delivered while the seek is under way; `flow_control.resume()` then empties
the streams' queues of what was delivered (channels clear on resume), the read offsets the
fetcher set for those reports make faust drop them when they are fetched again, and the hole
they leave is later filled as a "gap" and committed: reports never applied, their offsets
committed. Seen as the worker-crash chaos scenario's missing trigger events (about one run in
five with two busy cores; each time reports were applied between faust's "Seek stream
partitions" and "Worker ready"). The fix the original faust made in 2018 (robinhood/faust#69:
seek before resuming) is the order here; the rest of the method is faust's own, plus a seek
for the partitions the group never committed (see `seek_uncommitted_to_start`). The transport
(`transport.py`) keeps paused partitions from being fetched at all.
"""

import asyncio
from typing import Any

from faust.tables.recovery import Recovery

# faust's own method, as replaced (tests/unit/test_faust_recovery.py notices when an upgrade of
# faust changes it, so that the copy below is reviewed against it).
FAUST_ON_RECOVERY_COMPLETED = Recovery.on_recovery_completed


async def on_recovery_completed(self: Recovery, generation_id: int = 0) -> None:
    """faust's `Recovery.on_recovery_completed`, seeking before resuming."""
    consumer = self.app.consumer
    self.log.info("Restore complete!")
    await self.app.on_rebalance_complete.send()
    self._set_recovery_ended()
    callback_coros = [
        asyncio.ensure_future(
            table.on_recovery_completed(
                self.actives_for_table[table], self.standbys_for_table[table]
            )
        )
        for table in self.tables.values()
    ]
    if callback_coros:
        await asyncio.wait(callback_coros)
    assignment = consumer.assignment()
    if self.app.consumer_generation_id != generation_id:
        self.log.warning(
            f"Recovery rebalancing again app id {self.app.consumer_generation_id} "
            f"param {generation_id}"
        )
        return
    streams = {tp for tp in assignment if not self._is_changelog_tp(tp)}
    if assignment:
        self.log.info("Seek stream partitions to committed offsets.")
        await self._wait(consumer.perform_seek(), timeout=self.app.conf.broker_request_timeout)
        await self._wait(
            seek_uncommitted_to_start(consumer, streams),
            timeout=self.app.conf.broker_request_timeout,
        )
    # From here to the flow's resumption nothing awaits: no report is delivered in between.
    consumer.resume_partitions(streams)
    self.completed.set()
    self.app.flow_control.resume()
    consumer.resume_flow()
    app: Any = self.app
    await app._fetcher.maybe_start()
    self.tables.on_actives_ready()
    if not self.app.assignor.assigned_standbys():
        self.tables.on_standbys_ready()
    self.app.on_rebalance_end()
    self.log.info("Worker ready")


async def seek_uncommitted_to_start(consumer: Any, streams: set[Any]) -> None:
    """aiokafka's `seek_to_committed` leaves a partition with no committed offset (or 0) where
    its fetcher got to, which may be past records faust fetched and dropped while the partition
    was paused: such a partition is read from its start (the worker's offset reset is
    `earliest`; what is read again is decided again with the same ids)."""
    uncommitted = [tp for tp in streams if not consumer._committed_offset.get(tp)]
    if not uncommitted:
        return
    starts = await consumer.earliest_offsets(*uncommitted)
    for tp in uncommitted:
        await consumer.seek(tp, starts[tp])


def seek_before_resuming() -> None:
    """Install the order above in faust's Recovery (idempotent)."""
    Recovery.on_recovery_completed = on_recovery_completed  # type: ignore[method-assign]
