"""Everything a claim reads, in one statement: the member's locked accumulator row, the member, the
treating provider (and the centre it belongs to) and, in sign-up regions, the member's sign-up
history with each signed provider.

Why one statement: on the hot path a round trip to the database, with the driver's and Django's
per-statement work, costs more than the rule core's whole decision. A claim used to read in three or
four statements (provider, member with its locked row, sign-ups); now it reads in one, so a settled
claim is BEGIN, this read, the insert/update (claims/prepared.py), COMMIT. (Sending BEGIN with the
read in psycopg's pipeline mode was measured slower: entering and leaving the pipeline syncs.)

The statement only answers when the member's row for the year exists (every claim after the member's
first of the year); otherwise ``claim_context_lock`` returns None and the service takes the general
path (look up, create the row, lock). Rows come back as model instances, converted by the same
per-field converters the ORM would use, so every backend reads the same values.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from django.db import connections
from django.db.models import Model
from django.db.models.base import ModelState

from members.models import Member, SignUp
from providers.models import Provider

from .models import Accumulator
from .prepared import init_signals_quiet, run_statement


@dataclass
class ClaimContext:
    accumulator: Accumulator
    member: Member
    provider: Provider | None  # None: no provider with the requested code
    signups: list[SignUp]      # the member's history by (effective_from, id); [] outside sign-up regions


class ModelColumns:
    """One model's columns under a table alias, and how to turn them back into an instance."""

    def __init__(self, model: type[Model], alias: str, connection):
        quote = connection.ops.quote_name
        # Bookkeeping stamps (auto_now / auto_now_add) are left out: no rule reads them, and parsing
        # five timestamps per claim is measurable. They stay deferred fields of the instances (read
        # from the database if anything ever asks for one).
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields
                       if not (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))]
        self.sql = ", ".join(f"{alias}.{quote(f.column)}" for f in self.fields)
        self.attnames = [f.attname for f in self.fields]
        self.converters = []
        for position, field in enumerate(self.fields):
            column = field.get_col(alias)
            chain = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if chain:
                self.converters.append((position, column, chain))

    def build(self, row: tuple, start: int, using: str, connection, plain: bool) -> Model | None:
        values = list(row[start:start + len(self.fields)])
        if values[0] is None:  # the primary key: an outer join that found nothing
            return None
        for position, column, chain in self.converters:
            value = values[position]
            for converter in chain:
                value = converter(value, column, connection)
            values[position] = value
        if plain:
            # Model.from_db without Model.__init__'s per-field descriptor work (nothing listens to
            # these models' init signals): the same instance state.
            instance = self.model.__new__(self.model)
            instance._state = ModelState()
            instance._state.adding, instance._state.db = False, using
            instance.__dict__.update(zip(self.attnames, values))
            return instance
        return self.model.from_db(using, self.attnames, values)


class _Statement:
    def __init__(self, connection, *, signups: bool, lock: bool):
        quote = connection.ops.quote_name
        table = {m: quote(m._meta.db_table) for m in (Accumulator, Member, Provider, SignUp)}
        self.parts = [ModelColumns(Accumulator, "a", connection), ModelColumns(Member, "m", connection),
                      ModelColumns(Provider, "p", connection), ModelColumns(Provider, "pp", connection)]
        joins = (f"FROM {table[Accumulator]} a INNER JOIN {table[Member]} m ON m.id = a.member_id "
                 f"LEFT JOIN {table[Provider]} p ON p.fixmedins_code = %s "
                 f"LEFT JOIN {table[Provider]} pp ON pp.fixmedins_code = p.parent_code ")
        order = ""
        if signups:
            self.parts += [ModelColumns(SignUp, "s", connection), ModelColumns(Provider, "sp", connection)]
            joins += (f"LEFT JOIN {table[SignUp]} s ON s.member_id = m.id "
                      f"LEFT JOIN {table[Provider]} sp ON sp.id = s.provider_id ")
            order = " ORDER BY s.effective_from, s.id"
        columns = ", ".join(part.sql for part in self.parts)
        # FOR UPDATE OF a: only the accumulator row is locked; members and providers stay readable
        # and writable by everyone else (SQLite has no row locks: its IMMEDIATE write transaction
        # serialises the claim instead).
        locking = " FOR UPDATE OF a" if lock and connection.features.has_select_for_update_of else ""
        self.sql = (f"SELECT {columns} {joins}WHERE m.admdvs = %s AND m.certno = %s AND a.year = %s"
                    f"{order}{locking}")
        self.signups = signups

    def fetch(self, connection, using: str, *, code: str, admdvs: str, certno: str, year: int):
        rows = run_statement(connection, self.sql, [code, admdvs, certno, year], fetch="all")
        if not rows:
            return None
        accumulator_part, member_part, provider_part, parent_part = self.parts[:4]
        # Without init-signal listeners (the normal case) instances skip Model.__init__.
        plain = plain_models()
        first = rows[0]
        offsets, start = [], 0
        for part in self.parts:
            offsets.append(start)
            start += len(part.fields)
        accumulator = accumulator_part.build(first, offsets[0], using, connection, plain)
        member = member_part.build(first, offsets[1], using, connection, plain)
        Accumulator.member.field.set_cached_value(accumulator, member)
        provider = provider_part.build(first, offsets[2], using, connection, plain)
        if provider is not None:
            parent = parent_part.build(first, offsets[3], using, connection, plain)
            Provider.parent.field.set_cached_value(provider, parent)
        signups = []
        if self.signups:
            signup_part, signup_provider_part = self.parts[4:]
            for row in rows:
                signup = signup_part.build(row, offsets[4], using, connection, plain)
                if signup is not None:
                    SignUp.provider.field.set_cached_value(
                        signup, signup_provider_part.build(row, offsets[5], using, connection, plain))
                    signups.append(signup)
        return ClaimContext(accumulator=accumulator, member=member, provider=provider, signups=signups)


def plain_models() -> bool:
    """True when nothing listens to the init signals of the models read here (the normal case):
    instances may then skip Model.__init__."""
    return init_signals_quiet(_MODELS)


_MODELS = (Accumulator, Member, Provider, SignUp)
_STATEMENTS: dict[tuple, _Statement] = {}
_BUILDING = threading.Lock()


def claim_context_lock(*, code: str, admdvs: str, certno: str, year: int, signups: bool, lock: bool = True,
                       using: str = "default") -> ClaimContext | None:
    """The claim's context with the member's accumulator row for ``year`` locked until the
    transaction ends, or None when that row (or the member) does not exist. Call inside
    ``transaction.atomic()``."""
    key = (using, signups, lock)
    statement = _STATEMENTS.get(key)
    connection = connections[using]
    if statement is None:
        with _BUILDING:
            statement = _STATEMENTS.setdefault(key, _Statement(connection, signups=signups, lock=lock))
    return statement.fetch(connection, using, code=code, admdvs=admdvs, certno=certno, year=year)
