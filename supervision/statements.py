"""What every supervision statement builds on: the claim tables' names, the people statement, and
``fetch``, which runs a statement with the planner settings a month-sized aggregate needs.

``supervision.sql`` (the statements over any date range) uses these, and so does the former month
statement kept as the tests' reference (``tests/supervision/month_statement_reference.py``).
"""
from __future__ import annotations

from contextlib import contextmanager

from django.apps import apps
from django.db import connection, transaction


def claim_table() -> str:
    return apps.get_model("claims", "Claim")._meta.db_table


def claim_item_table() -> str | None:
    """The fee-detail table 费用明细, or None while ``claims.ClaimItem`` does not exist yet."""
    try:
        return apps.get_model("claims", "ClaimItem")._meta.db_table
    except LookupError:
        return None


def people_sql(where: str) -> str:
    """Distinct members and repeat-visit days per provider, from one GROUP BY (provider, member, day):
    nearly every such group is one visit, so the (provider, member) level would be as large again —
    COUNT(DISTINCT member_id) per provider sorts only the member ids of one provider at a time.
    Params: max_per_day, then those of ``where``."""
    return (f"SELECT d.provider_id, COUNT(DISTINCT d.member_id) AS members,"
            f" SUM(CASE WHEN d.n > %s THEN 1 ELSE 0 END) AS repeat_days FROM ("
            f" SELECT c.provider_id, c.member_id, c.visit_date, COUNT(*) AS n FROM {claim_table()} c"
            f" WHERE {where} GROUP BY c.provider_id, c.member_id, c.visit_date) d GROUP BY d.provider_id")


PG_SETTINGS = {"jit": "off", "work_mem": "256MB", "enable_mergejoin": "off", "plan_cache_mode": "force_custom_plan"}


@contextmanager
def _tuned(cursor, extra: dict[str, str] | None = None):
    """For the length of one statement: memory for a month-sized sort/hash, no JIT (a fixed ~0.5 s
    compile these one-off statements never win back), a hash anti-join against the reversals
    instead of a merge join that forces an ordered index scan (``supervision.sql.effective_where``),
    and a plan made for the statement's values every time (``force_custom_plan``; ``auto`` too would
    settle on the generic plan once a statement is prepared, its estimate looking cheaper): the
    connection forces generic plans for the claims' hot path (config/settings.py), and a generic
    plan guesses a region-month of claims at a few hundred rows — it then intersected each inpatient
    stay's or leaver's claims with a bitmap of the whole month (1.8 s instead of 1 ms on 300 000
    claims, bench/run.py indicators)."""
    settings = {**PG_SETTINGS, **(extra or {})}
    with transaction.atomic():
        for name, value in settings.items():
            cursor.execute(f"SET LOCAL {name} = '{value}'")
        yield
        for name in settings:   # inside an outer transaction, do not leak them to later statements
            cursor.execute(f"SET LOCAL {name} TO DEFAULT")


def fetch(sql: str, params: list, pg_settings: dict[str, str] | None = None) -> list[tuple]:
    with connection.cursor() as cursor, _tuned(cursor, pg_settings):
        cursor.execute(sql, params)
        return cursor.fetchall()
