"""The recorder internals recorder_compat.py relies on are still there, with the shape it uses.

Home Assistant does not promise these stay; when one changes, this fails before a user's purge
or import wait silently breaks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import dataclasses
import inspect
from typing import Any

import annotationlib
from homeassistant.components.recorder import db_schema, tasks
from homeassistant.components.recorder.core import Recorder
from homeassistant.components.recorder.table_managers.statistics_meta import (
    StatisticsMetaManager,
)
from homeassistant.helpers import recorder as recorder_helper

from custom_components.fluvius import recorder_compat


def _parameters(function: Callable[..., Any]) -> list[str]:
    """The parameter names (annotations are not evaluated: some are TYPE_CHECKING-only)."""
    signature = inspect.signature(function, annotation_format=annotationlib.Format.FORWARDREF)
    return list(signature.parameters)


def test_synchronize_task_takes_a_future() -> None:
    """SynchronizeTask(future) is a recorder task that sets the future once reached."""
    assert issubclass(tasks.SynchronizeTask, tasks.RecorderTask)
    fields = [field.name for field in dataclasses.fields(tasks.SynchronizeTask)]
    assert fields == ["future"]
    assert _parameters(tasks.SynchronizeTask.run) == ["self", "instance"]
    loop = asyncio.new_event_loop()
    try:
        future = loop.create_future()
        task = tasks.SynchronizeTask(future)
        assert task.future is future
    finally:
        loop.close()


def test_recorder_task_runs_with_the_instance() -> None:
    """A RecorderTask subclass implements run(instance) and is a dataclass we can extend."""
    assert "run" in vars(tasks.RecorderTask)
    assert _parameters(tasks.RecorderTask.run) == ["self", "instance"]
    delete = recorder_compat._DeleteStatisticsAfterTask(["fluvius:x_offtake"], None)
    assert isinstance(delete, tasks.RecorderTask)
    assert not inspect.isabstract(recorder_compat._DeleteStatisticsAfterTask)


def test_statistics_tables_have_the_columns_deleted_on() -> None:
    """Both statistics tables keep metadata_id and start_ts, which the delete filters on."""
    for table in (db_schema.Statistics, db_schema.StatisticsShortTerm):
        columns = table.__table__.columns  # type: ignore[attr-defined]
        assert "metadata_id" in columns
        assert "start_ts" in columns


def test_recorder_gives_a_session_and_the_metadata_manager() -> None:
    """Recorder.get_session(), Recorder.statistics_meta_manager.get_many(session, statistic_ids=)
    and session_scope(session=) are what the delete runs on."""
    assert callable(Recorder.get_session)
    init = inspect.getsource(Recorder.__init__)
    assert "self.statistics_meta_manager" in init
    get_many = _parameters(StatisticsMetaManager.get_many)
    assert "session" in get_many
    assert "statistic_ids" in get_many
    # the test harness wraps session_scope; the real one takes session= (the delete's run
    # itself is exercised against a real recorder by tests/reliability/test_data_period.py)
    assert callable(recorder_helper.session_scope)
    assert callable(recorder_helper.get_instance)
    assert callable(Recorder.queue_task)
