"""Settlement ids 结算ID: region, visit day and 16 random hex digits (30 characters)."""
from __future__ import annotations

import os
import threading
from datetime import date
from functools import lru_cache

# Random bytes drawn from the OS this many ids at a time, per thread: one system call per id was a
# third of an id's cost, and a file draws one per visit.
_IDS_PER_DRAW = 256
_random = threading.local()


def _forget_drawn() -> None:
    # A forked process (a prefork worker) must not use the digits its parent drew: two processes
    # would hand out the same ids.
    _random.__dict__.clear()


os.register_at_fork(after_in_child=_forget_drawn)


def setl_id_new(*, admdvs: str, day: date) -> str:
    """64 random bits from the OS: unique without asking the database, and not guessable from a
    neighbouring settlement's id (a sequence number would tell a clinic how many claims others made)."""
    return _setl_prefix(admdvs, day) + _random_hex16()


@lru_cache(maxsize=4096)
def _setl_prefix(admdvs: str, day: date) -> str:
    # The region and day as text, remembered: a file's visits share a few days, and formatting the
    # date was two thirds of an id's cost.
    return f"{admdvs}{day.year:04d}{day.month:02d}{day.day:02d}"


def _random_hex16() -> str:
    """16 hex digits (64 bits) of ``os.urandom`` (what ``secrets.token_hex(8)`` reads), cut from a
    block this thread drew; each block's digits are used once."""
    state = _random.__dict__
    block, position = state.get("block", ""), state.get("position", 0)
    if position >= len(block):
        block, position = os.urandom(8 * _IDS_PER_DRAW).hex(), 0
        state["block"] = block
    state["position"] = position + 16
    return block[position:position + 16]
