"""Settings shared by every test package.

Property tests are repeatable by default: the same examples on every machine and every run, so
the project's CI never fails on a draw nobody can reproduce. ``HYPOTHESIS_PROFILE=explore``
searches fresh random examples (and more of them) when looking for new counterexamples.

Two checks run around every test:

* logger levels: a test that changes a logger's level (or disables it) and does not put it back
  fails, and the level is restored, so that it cannot make every later test log (and slow down);
* on PostgreSQL (``--dburl postgresql://...``): once Home Assistant is stopped, no session is
  left on the test database. A session left open makes the harness's ``DROP DATABASE`` fail,
  and with it every later test; here it fails the test that left it, and is ended.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
import gc
import logging
import os
import time
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant
from hypothesis import settings
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
import sqlalchemy as sa

if TYPE_CHECKING:
    from homeassistant.components.recorder import Recorder

settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=400, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

# The test harness logs every SQL statement of the recorder (sqlalchemy.engine at INFO); the
# statistics tests run hundreds of thousands of them, and the records only slow the run down.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
# The harness also prints every record to the console (logging.basicConfig). pytest captures
# that while a test runs, but a recorder thread that logs in the moment between two tests
# writes straight into the run's output: the console shows warnings and errors only. Captured
# logs (caplog, the report of a failing test) keep every level.
for _handler in logging.root.handlers:
    if type(_handler) is logging.StreamHandler:
        _handler.setLevel(logging.WARNING)


@pytest.fixture
async def recorder_mock(recorder_mock: Recorder, hass: HomeAssistant) -> AsyncGenerator[Recorder]:
    """The harness's real recorder, stopped only once the test's tasks have finished.

    Home Assistant waits for its running tasks (a daily poll, say) before the final write stops
    the recorder. The harness stops the recorder first, before it stops Home Assistant: a poll
    that the test's clock jump started would still be reading statistics while the recorder
    disposes of its engine, and the connection it then returns would stay open on the test
    database (PostgreSQL then refuses to drop it, and every later test errors).
    """
    yield recorder_mock
    await hass.async_block_till_done()
    if recorder_mock.is_alive():
        await async_wait_recording_done(hass)


type _LoggerState = tuple[int, bool]


def _logger_states() -> dict[str, _LoggerState]:
    states = {"": (logging.root.level, logging.root.disabled)}
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            states[name] = (logger.level, logger.disabled)
    return states


def _logger(name: str) -> logging.Logger:
    return logging.getLogger(name) if name else logging.root


@pytest.fixture(autouse=True)
def _logger_levels_kept() -> Generator[None]:
    """Fail a test that leaves a logger at another level than it found it (restoring it).

    Loggers created during the test may keep the level they were given, unless it is below
    INFO: a module setting its own logger's level on import is no leak; DEBUG is.
    """
    before = _logger_states()
    yield
    changed: list[str] = []
    for name, (level, disabled) in _logger_states().items():
        if name in before:
            if (level, disabled) == before[name]:
                continue
            old_level, old_disabled = before[name]
        elif logging.NOTSET < level < logging.INFO:
            old_level, old_disabled = logging.NOTSET, disabled
        else:
            continue
        logger = _logger(name)
        changed.append(
            f"{name or 'root'}: {logging.getLevelName(old_level)} -> {logging.getLevelName(level)}"
        )
        logger.setLevel(old_level)
        logger.disabled = old_disabled
    if changed:
        pytest.fail(
            f"the test left {len(changed)} logger level(s) changed (restored now; use "
            f"caplog.set_level or caplog.at_level): {', '.join(sorted(changed)[:10])}",
            pytrace=False,
        )


# How long PostgreSQL's DROP DATABASE itself waits for other sessions to go away.
_PG_DROP_PATIENCE = 5.0


def _open_connections(database: str) -> list[str]:
    """This process's PostgreSQL connections to ``database`` that are still open, closed now
    (found among every live object, garbage not yet collected included: a connection returned
    to a pool the recorder has already disposed of stays open until the collector runs).

    psycopg2 is imported here: only the PostgreSQL runs have it (the version matrix runs on
    SQLite, in environments without it)."""
    import psycopg2.extensions

    left = [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, psycopg2.extensions.connection)
        and not obj.closed
        and obj.get_dsn_parameters().get("dbname") == database
    ]
    for connection in left:
        connection.close()  # reported once, by the test that left it
    return [f"connection {id(connection):#x} of this process" for connection in left]


def _sessions_on(db_url: str) -> list[str]:
    """The sessions connected to the test database (other than ours), described; they are
    ended when they are still there after PostgreSQL's own patience."""
    url = sa.make_url(db_url)
    engine = sa.create_engine(
        url.set(database="postgres"), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT"
    )
    query = sa.text(
        "SELECT pid, application_name, client_port, state, backend_start, query"
        " FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"
    )
    try:
        with engine.connect() as connection:
            deadline = time.monotonic() + _PG_DROP_PATIENCE
            while rows := connection.execute(query, {"db": url.database}).all():
                if time.monotonic() >= deadline:
                    for row in rows:
                        connection.execute(
                            sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": row.pid}
                        )
                    return [
                        f"pid {row.pid} (port {row.client_port}, {row.state}, since "
                        f"{row.backend_start:%H:%M:%S.%f}): {row.query[:200]!r}"
                        for row in rows
                    ]
                time.sleep(0.1)  # a closed session's server process exits on its own
    finally:
        engine.dispose()
    return []


@pytest.fixture(autouse=True)
def _no_session_left_on_the_test_database(
    request: pytest.FixtureRequest,
) -> Generator[None]:
    """On PostgreSQL, after Home Assistant stopped: nothing holds the test database open.

    Requested before ``hass``, so that its check runs after Home Assistant's shutdown and
    before the harness drops the database.
    """
    db_url = str(request.config.getoption("dburl", "sqlite://"))
    if not db_url.startswith("postgresql://") or "recorder_db_url" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("recorder_db_url")
    yield
    left = _open_connections(str(sa.make_url(db_url).database))
    left += _sessions_on(db_url)
    if left:
        pytest.fail(
            "sessions left on the test database after Home Assistant stopped (ended now): "
            + "; ".join(left),
            pytrace=False,
        )
