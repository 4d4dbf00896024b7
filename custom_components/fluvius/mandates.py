"""Mandate policy: which meters an entry follows, which mandate counts, when a meter's data ends.

* The selection (``entry.options["eans"]``) is what the user chose: an empty selection follows
  no meter. Every flow has stored the key since the first version (config entry 1.1), so a
  missing key only comes from a hand-edited entry; it is read as an empty selection too, never
  as "every mandate" (that would import meters the user never chose, ended ones included).
* One mandate per EAN: an Approved one that still runs over an expired or Finished one (a
  renewed grant is listed next to the old one), then quarter-hour over day level, then the one
  that runs longest.
* A meter's data ends at the earliest of its data period end, its mandate's expiry and, for a
  Finished or expired mandate, the moment that was first seen (kept in the cursor, so a restart
  does not move it). Values measured before the end keep arriving for a while (late days,
  corrected estimates, the gas month's definitive factor), so the coordinator polls a meter
  until a grace period after that end (:data:`ENDED_POLL_GRACE`), then not any more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from .api.models import DataServiceType, Mandate, MandateStatus, RenewalStatus, parse_renewal_status
from .const import CONF_EANS
from .cursors import EanCursor

# After a data period ends, values measured before the end keep arriving for a while: late days
# (up to 72 h), corrected estimates (up to 6 days) and the gas month's definitive conversion
# factor (2-5 days after the month). A meter whose period ended is polled this long, then not.
ENDED_POLL_GRACE: Final = timedelta(days=40)


def selected_eans(options: Mapping[str, Any]) -> list[str]:
    """The meters the user selected; none when the selection is empty or missing."""
    return list(options.get(CONF_EANS) or [])


def expired(mandate: Mandate, now: datetime) -> bool:
    """Whether Fluvius releases no new data under this mandate: its expiry has passed, or it
    says ``Expired`` (accepted at any time, A25)."""
    if mandate.renewal_status is not None and (
        parse_renewal_status(str(mandate.renewal_status)) == RenewalStatus.EXPIRED
    ):
        return True
    expiry = mandate.mandate_expiration_date
    return expiry is not None and expiry <= now


def ended(mandate: Mandate, now: datetime) -> bool:
    """Finished by the grid user, or expired."""
    return mandate.status == MandateStatus.FINISHED or expired(mandate, now)


def _preference(mandate: Mandate, now: datetime) -> tuple[bool, bool, bool, datetime]:
    expiry = mandate.mandate_expiration_date or datetime.max.replace(tzinfo=now.tzinfo)
    return (
        mandate.status == MandateStatus.APPROVED,
        not expired(mandate, now),
        mandate.data_service_type == DataServiceType.QUARTER_HOURLY,
        expiry,
    )


def choose_mandates(mandates: Sequence[Mandate], now: datetime) -> dict[str, Mandate]:
    """One mandate per EAN, of the usable ones (Approved, Finished)."""
    result: dict[str, Mandate] = {}
    for mandate in mandates:
        if not mandate.usable or mandate.ean is None:
            continue
        current = result.get(mandate.ean)
        if current is None or _preference(mandate, now) > _preference(current, now):
            result[mandate.ean] = mandate
    return result


def note_mandate(cursor: EanCursor, mandate: Mandate, now: datetime) -> None:
    """Remember when the meter's mandate was first seen ended, and whether it was being
    imported then (a window exists); forget it once a running mandate is back."""
    if not ended(mandate, now):
        cursor.ended_seen = None
        cursor.ended_followed = False
    elif cursor.ended_seen is None:
        cursor.ended_seen = now
        cursor.ended_followed = cursor.backfill_to is not None


def data_end(mandate: Mandate, cursor: EanCursor) -> datetime | None:
    """When the meter's data ends (exclusive), or None while it runs."""
    ends = [
        moment
        for moment in (mandate.data_period_to, mandate.mandate_expiration_date, cursor.ended_seen)
        if moment is not None
    ]
    return min(ends, default=None)


def finished_while_followed(mandate: Mandate, cursor: EanCursor) -> bool:
    """Whether the grid user ended (Finished) a mandate the entry was importing under.

    A meter selected when its mandate had already finished (history only, offered so in the
    config flow) is no surprise: its backfill window ends at the data period end.
    """
    if mandate.status != MandateStatus.FINISHED:
        return False
    end = mandate.data_period_to
    if end is None:
        return cursor.ended_followed
    return cursor.backfill_to is not None and end > cursor.backfill_to


def meter_data_end(mandate: Mandate | None, cursor: EanCursor, now: datetime) -> datetime | None:
    """When the meter's data ends (data period end, mandate expiry, first seen Finished or
    expired), or None while it runs. Without a mandate: the data period end last known."""
    if mandate is None:
        return cursor.data_period_to
    note_mandate(cursor, mandate, now)
    return data_end(mandate, cursor)


def polled(mandate: Mandate | None, cursor: EanCursor, now: datetime) -> bool:
    """Whether a poll asks for this meter: it has a mandate, and its data did not end more
    than :data:`ENDED_POLL_GRACE` ago (late values of what was measured before the end: late
    days, corrected estimates, the gas month's definitive factor)."""
    if mandate is None:
        return False
    end = meter_data_end(mandate, cursor, now)
    return end is None or now < end + ENDED_POLL_GRACE
