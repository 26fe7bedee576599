"""Settlement ids 结算ID: region, visit day and 16 random hex digits (30 characters)."""
from __future__ import annotations

import secrets
from datetime import date


def setl_id_new(*, admdvs: str, day: date) -> str:
    """64 random bits from the OS: unique without asking the database, and not guessable from a
    neighbouring settlement's id (a sequence number would tell a clinic how many claims others made)."""
    # The date by its fields, not strftime: half the cost of an id, and a file makes one per visit.
    return f"{admdvs}{day.year:04d}{day.month:02d}{day.day:02d}{secrets.token_hex(8)}"
