"""The periodic check that notices target dates passing: no request announces that a joint
KPI's target date went by unmet, so `raci serve` looks every `RACI_REVIEW_CHECK_SECONDS`.

Every worker runs it; the unique open review per KPI (app.reviews.models) makes running it on
many workers at once open nothing twice."""

import asyncio
import logging

from starlette.concurrency import run_in_threadpool

from app.db.base import utcnow
from app.db.engine import Database
from app.reviews.service import open_due_reviews

log = logging.getLogger("raci.reviews")


def check_once(database: Database) -> list[str]:
    """Open the reviews due today in one transaction (audited as `system`); their keys."""
    with database.transaction() as session:
        return [review.key for review in open_due_reviews(session, utcnow().date())]


async def check_periodically(database: Database, interval_seconds: float) -> None:
    """Run `check_once` every `interval_seconds`, first after one interval, until cancelled.
    A failed check (the database away for a moment) is logged and tried again next time."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            opened = await run_in_threadpool(check_once, database)
        except Exception:
            log.exception("the periodic governance review check failed; retrying next time")
            continue
        if opened:
            log.info("governance reviews opened: %s", ", ".join(opened))
