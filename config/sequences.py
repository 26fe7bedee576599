"""Ids drawn ahead from a table's sequence (PostgreSQL), for rows written by COPY: the claims writer
(claims/rows.py) and the members import give their rows ids before sending them."""
from __future__ import annotations

from collections.abc import Sequence

_SEQUENCES: dict[tuple[str, str, str], str] = {}


def ids_draw(cursor, *, table: str, column: str, count: int) -> Sequence[int]:
    """``count`` fresh ids from the sequence of ``table.column``, increasing: a ``range`` when no other
    session drew from the sequence meanwhile, else the list. ``cursor`` is a Django cursor.

    One row comes back, not one per id: the ids of one nextval() sweep are increasing, so when the last
    minus the first is count - 1 they are exactly that range; otherwise they come back spelled out."""
    if count == 0:
        return []
    key = (cursor.db.alias, table, column)
    sequence = _SEQUENCES.get(key)
    if sequence is None:
        # Resolved once: pg_get_serial_sequence() inside the generate_series below would be evaluated
        # per row (a catalogue lookup each).
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        sequence = _SEQUENCES[key] = cursor.fetchone()[0]
    cursor.execute("SELECT min(id), max(id), CASE WHEN max(id) - min(id) = count(*) - 1 THEN NULL "
                   "ELSE string_agg(id::text, ',' ORDER BY id) END "
                   "FROM (SELECT nextval(%s::regclass) AS id FROM generate_series(1, %s)) AS drawn",
                   [sequence, count])
    first, last, spelled = cursor.fetchone()
    if spelled is None:
        return range(first, last + 1)
    return [int(i) for i in spelled.split(",")]
