"""The only place that uses the recorder's internals; everywhere else uses its public API.

The recorder has no public call to wait until our queued imports are committed, nor to delete
the rows of a statistic from a moment on. Both are done here with the recorder's own task
types, which run in its thread in queue order with our imports, so they never race them.
tests/validation/test_recorder_compat.py fails loudly when Home Assistant changes any name or
signature used here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, override

from homeassistant.components.recorder.db_schema import Statistics, StatisticsShortTerm
from homeassistant.components.recorder.tasks import RecorderTask, SynchronizeTask
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance, session_scope

if TYPE_CHECKING:
    from homeassistant.components.recorder.core import Recorder


async def async_wait_committed(hass: HomeAssistant) -> None:
    """Wait until every task queued in the recorder so far has run and been committed.

    ``Recorder.async_block_till_done`` returns at once when the queue is momentarily empty while
    our import task is still running; a SynchronizeTask queued behind our tasks does not.
    """
    instance = get_instance(hass)
    future = hass.loop.create_future()
    instance.queue_task(SynchronizeTask(future))
    await future


@dataclass(slots=True)
class _DeleteStatisticsAfterTask(RecorderTask):
    """Delete the rows of some statistics from a moment on (data period end moved back)."""

    statistic_ids: list[str]
    start: datetime

    @override
    def run(self, instance: Recorder) -> None:
        start_ts = self.start.timestamp()
        with session_scope(session=instance.get_session()) as session:
            metadata = instance.statistics_meta_manager.get_many(
                session, statistic_ids=set(self.statistic_ids)
            )
            metadata_ids = [metadata_id for metadata_id, _ in metadata.values()]
            if not metadata_ids:
                return
            for table in (Statistics, StatisticsShortTerm):
                session.query(table).filter(
                    table.metadata_id.in_(metadata_ids), table.start_ts >= start_ts
                ).delete(synchronize_session=False)


async def async_delete_rows_after(
    hass: HomeAssistant, statistic_ids: list[str], start: datetime
) -> None:
    """Delete every row (hourly and short-term) of these statistics starting at or after
    ``start``, and wait until that is committed."""
    get_instance(hass).queue_task(_DeleteStatisticsAfterTask(statistic_ids, start))
    await async_wait_committed(hass)
