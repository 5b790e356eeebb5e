"""The process heap after start-up: what exists then is frozen out of the cyclic collector's
sight, and full collections are spaced so that a burst of allocations does not trigger them
again and again."""

from __future__ import annotations

import gc

#: Young collections between full ones (CPython's default is 10). After a freeze the collector
#: counts almost nothing as long-lived, so its "25% growth" rule for a full collection holds at
#: every chance: a 500-channel digest or a batch of summaries ran dozens of full collections
#: (a third of its time). Requests allocate little that lives long; spacing them costs nothing.
FULL_EVERY = 100


def settle_after_startup() -> None:
    """Collect once, freeze the survivors (libraries, settings, apps), space full collections."""
    gc.collect()
    gc.freeze()
    young, middle, _full = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_EVERY)
