"""CPython's cyclic garbage collector, set for a server that builds large reports.

A full collection walks every container object the process holds. CPython runs one after
every ten collections of the middle generation (once enough new objects have survived),
and while a report of a large portfolio is built, its own facts and findings are most of
those objects: at 100,000 initiatives three full collections took 0.41 s of a 2.2 s
findings report, and they grow with the portfolio, so the report cost more than ten times
as much at ten times the size. Full collections a tenth as often: 2.2 s -> 1.8 s there,
and no change at 10,000 initiatives (docs/performance.md). The younger generations keep
CPython's defaults, so short-lived cycles are collected as promptly as before.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Middle-generation collections between two full ones (CPython's default: 10).
FULL_COLLECTION_EVERY = 100


@contextmanager
def tuned_for_reports() -> Iterator[None]:
    """The tuned thresholds until the block ends, then the ones it found."""
    found = gc.get_threshold()
    gc.set_threshold(found[0], found[1], FULL_COLLECTION_EVERY)
    try:
        yield
    finally:
        gc.set_threshold(*found)
