"""Model rows read and written with plain SQL, through Django's and psycopg's public APIs only.

Why not the ORM on this path: building a query costs the ORM more CPU than the query costs
PostgreSQL (a claim needs five statements; compiling them was most of a claim's CPU, measured in
the closing note of the "one claims engine" issue). The statements here are plain SQL text, built
once per model from ``Model._meta``; rows become instances through ``Model.from_db`` (the documented
hook for loading from the database) after each field's ``from_db_value``; new rows are prepared by
each field's ``pre_save`` and ``get_db_prep_save``, as ``Model.save`` prepares them (called only
for the fields whose class needs them: ``_row_maker``). So a model's new column needs nothing here
(one the database alone fills, by its ``db_default``, is left to it).
"""
from __future__ import annotations

from dataclasses import field as record_field
from dataclasses import make_dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from operator import attrgetter

import orjson

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import DEFERRED, NOT_PROVIDED, DateTimeField, Field, Model
from psycopg.adapt import Dumper
from psycopg.pq import Format
from psycopg.types.json import set_json_dumps

from config.sequences import ids_draw

# Above this many rows an insert goes by COPY (one stream) instead of one INSERT statement.
COPY_FROM_ROWS = 50


@cache
def columns(model: type[Model], alias: str, unread: frozenset[str] = frozenset()) -> str:
    """The model's columns under a table alias, in ``concrete_fields`` order (less the fields
    named in ``unread``: see ``model_from_row``)."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields if f.attname not in unread)


@cache
def _loaders(model: type[Model], unread: frozenset[str] = frozenset()):
    fields = model._meta.concrete_fields
    names = [f.attname for f in fields]
    read = [n for n, f in enumerate(fields) if f.attname not in unread]
    converters = [(n, f.from_db_value) for n, f in enumerate(fields) if hasattr(f, "from_db_value")
                  and f.attname not in unread]
    return names, converters, read


def model_from_row(model: type[Model], row, start: int = 0, db=None,
                   unread: frozenset[str] = frozenset()) -> Model | None:
    """The instance in ``row[start:]`` (laid out as ``columns(model, ..., unread)``); None for an
    outer join that found nothing (a NULL primary key). ``db``: the connection the row came from
    (the default one when not given; a caller building many rows passes it, each lookup of the
    thread's connection costing about a microsecond). ``unread``: fields left out of the row,
    deferred on the instance as ``QuerySet.only`` defers them (``DEFERRED`` in the constructor's
    place of the value: reading one would load it)."""
    names, converters, read = _loaders(model, unread)
    if unread:
        values = [DEFERRED] * len(names)
        for position, value in zip(read, row[start:start + len(read)]):
            values[position] = value
    else:
        values = list(row[start:start + len(names)])
    if values[0] is None:
        return None
    db = connections[DEFAULT_DB_ALIAS] if db is None else db
    for position, convert in converters:
        values[position] = convert(values[position], None, db)
    return model.from_db(db.alias, names, values)


@cache
def _attnames(model: type[Model]) -> list:
    return [(f.attname, f) for f in model._meta.concrete_fields]


@cache
def row_class(model: type[Model]) -> type:
    """A new row of ``model`` as a plain record, without the model instance: what the settle step
    builds for each claim and ``models_insert`` writes as it writes an instance (a file of visits
    built a ``Claim`` per visit, its constructor and foreign-key descriptors 12 % of the file's CPU).

    One attribute per concrete field, named by its ``attname`` and, when not given, holding the
    field's own default as the model's constructor would (a callable default made afresh for each
    row, any other computed once here): a new column is written with its default with nothing
    changed here or in the builder. Plus one attribute per forward relation (``member`` beside
    ``member_id``), the loaded row for ``row_instance``; never written. ``row_instance`` makes the
    model instance when a reader needs one (the API's answer)."""
    specs = []
    for f in model._meta.concrete_fields:
        if f.has_default() and callable(f.default):
            specs.append((f.attname, object, record_field(default_factory=f.default)))
        else:
            default = f.get_default()
            # An unhashable default (a dict given as a value) is made afresh too: rows never share it.
            specs.append((f.attname, object, record_field(default_factory=f.get_default)
                          if type(default).__hash__ is None else record_field(default=default)))
    specs += [(name, object, record_field(default=None)) for name in _relations(model)]
    return make_dataclass(f"{model.__name__}Row", specs, slots=True, eq=False)


@cache
def _relations(model: type[Model]) -> tuple[str, ...]:
    return tuple(f.name for f in model._meta.concrete_fields if f.is_relation)


def row_instance(model: type[Model], row) -> Model:
    """The model instance of a ``row_class`` record (its relations' loaded rows attached; saved
    already when the record has its primary key, as ``models_insert`` leaves an instance)."""
    names = _attnames(model)
    values = [getattr(row, name) for name, _ in names]
    # A saved row (its primary key drawn) comes back as the database would give it (``from_db``,
    # Django's documented constructor for loaded rows: not adding, on this connection).
    pk_name = model._meta.pk.attname
    instance = (model.from_db(connection.alias, [name for name, _ in names], values)
                if getattr(row, pk_name) is not None else model(*values))
    for name in _relations(model):
        related = getattr(row, name)
        if related is not None:
            setattr(instance, name, related)
    return instance


@cache
def width(model: type[Model], unread: frozenset[str] = frozenset()) -> int:
    """How many columns ``columns(model, alias, unread)`` names."""
    return sum(1 for f in model._meta.concrete_fields if f.attname not in unread)


def models_select(model: type[Model], sql: str, params: list, unread: frozenset[str] = frozenset()) -> list[Model]:
    """Run ``sql`` (selecting ``columns(model, alias, unread)`` first) and build the instances."""
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return [model_from_row(model, row, db=db, unread=unread) for row in cursor.fetchall()]


# Field types whose value prepared for PostgreSQL is the Python value itself (for these, Django's
# get_db_prep_save only re-validates a value the model already holds in the right type): sent as
# they are, which halves the writer's CPU for a file of visits. Every other type (JSON, date-times,
# any new kind of field) goes through get_db_prep_save.
PLAIN_TYPES = frozenset({"CharField", "TextField", "BooleanField", "DecimalField", "IntegerField", "BigIntegerField",
                         "SmallIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField", "ForeignKey",
                         "OneToOneField", "DateField"})


@cache
def _insert_fields(model: type[Model]):
    meta = model._meta
    # A field with a database default and no Python one (``Claim.written_xid``) is the database's to
    # fill: left out of the column list, the DEFAULT applies, to an INSERT and a COPY alike.
    fields = [f for f in meta.concrete_fields
              if not f.primary_key and (f.db_default is NOT_PROVIDED or f.default is not NOT_PROVIDED)]
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    plain = [f.get_internal_type() in PLAIN_TYPES for f in fields]
    return fields, plain, quote(meta.db_table), names, quote(meta.pk.column)


@cache
def _copy_plan(model: type[Model]):
    """For the binary COPY: each column's PostgreSQL type (``copy.set_types``), and which fields
    go as their Python value. JSON fields without an encoder of their own go as the value itself,
    written by the copy's JSON dumper (``_json_dumps``) instead of the ``Jsonb`` wrapper Django's
    ``get_db_prep_save`` makes around the standard library's encoder. None when a column's type is
    not one psycopg knows by name (the text COPY then goes as before)."""
    fields, plain, *_ = _insert_fields(model)
    registry = connection.connection.adapters.types
    types = []
    for field in (model._meta.pk, *fields):
        db_type = field.db_type(connection)
        name = db_type.split("(")[0].strip() if db_type else ""
        if not name or registry.get(name) is None:
            return None
        types.append(name)
    as_is = [is_plain or (f.get_internal_type() == "JSONField" and f.encoder is None)
             for f, is_plain in zip(fields, plain)]
    return types, as_is


@cache
def _row_maker(model: type[Model], binary: bool):
    """How an instance becomes its row of ``_insert_fields`` values, as ``Model.save`` prepares it
    (each field's ``pre_save``, then ``get_db_prep_save``), at a fraction of the CPU: one
    ``attrgetter`` reads every attribute at once, and only the fields that need it are called.
    ``Field.pre_save`` itself is the attribute's value, so only a field class that overrides it
    (the date and time fields: ``auto_now``) is asked; ``get_db_prep_save`` only for the fields that
    are not sent as they are (``PLAIN_TYPES``, or JSON to the binary COPY's own dumper). Calling
    pre_save and get_db_prep_save for all 41 fields of a claim was a sixth of a file's CPU."""
    fields, plain, *_ = _insert_fields(model)
    as_is = _copy_plan(model)[1] if binary else plain
    names = [f.attname for f in fields]
    # attrgetter answers a tuple for two names or more, the bare value for one.
    read = attrgetter(*names) if len(names) > 1 else (lambda obj: tuple(getattr(obj, n) for n in names))
    called = [(position, f, type(f).pre_save is not Field.pre_save, not is_plain, type(f) is DateTimeField)
              for position, (f, is_plain) in enumerate(zip(fields, as_is))
              if type(f).pre_save is not Field.pre_save or not is_plain]

    def row_of(obj: Model, wrapper) -> list:
        row = list(read(obj))
        for position, field, pre_save, prepare, date_time in called:
            value = field.pre_save(obj, True) if pre_save else row[position]
            if prepare and not (date_time and _aware(value)):
                value = field.get_db_prep_save(value, wrapper)
            row[position] = value
        return row
    return row_of


def _aware(value) -> bool:
    # Django's own DateTimeField (not a subclass) prepares an aware datetime for PostgreSQL as the
    # value itself (get_prep_value: to_python keeps a datetime, only a naive one is warned about and
    # made aware; postgresql's adapt_datetimefield_value returns its argument): sent as it is, which
    # was 4 of a claim's 10 µs of preparing (visit_at and created_at). Anything else is prepared.
    return type(value) is datetime and value.utcoffset() is not None


def _json_dumps(value) -> bytes:
    # The JSON the standard library's encoder would write (keys made text alike), in compact form:
    # jsonb stores the parsed value, so the spacing never reaches the table. Without the option for
    # keys that are not text first: it doubled the time of a claim's ``inputs`` (2.5 -> 1.2 µs;
    # 3.6 -> 2.1 µs for a claim's three JSON columns), and a claim's keys are text. A value with
    # another key raises and is written with the option, as before.
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


class _RepeatedNumericDumper(Dumper):
    """psycopg's binary numeric dumper, remembering what it made for each value within one COPY:
    a claim's 14 amounts are mostly values seen before in the same file (0.00 eight times a
    claim, the same deductibles, ratios and fees), and taking a Decimal apart for the binary
    format was a quarter of writing a claim's row (about 1 µs an amount, against a look-up).

    Two equal Decimals of different exponents (1.0 and 1.00) share one encoding: the same number,
    stored alike, since every numeric column a model writes is a ``DecimalField``, whose typmod
    (``numeric(p, s)``) brings any value to the column's scale as PostgreSQL reads it
    (``tests/claims/test_copy_rows.py``). Registered on the COPY's own cursor only (``_copy_rows``);
    one instance, so one memory, per COPY."""

    format = Format.BINARY

    def __init__(self, cls, context=None):
        super().__init__(cls, context)
        # ``dump`` on the instance is the memory's own look-up: a value seen before is found without
        # a call into Python (the COPY's row dumper calls the ``dump`` it finds on the dumper; 14
        # amounts a claim); a new one is made by ``_Encodings.__missing__``.
        self.dump = _Encodings(self.original(cls, context).dump).__getitem__

    def dump(self, obj: Decimal) -> bytes:   # the class's (abstract in psycopg): replaced on each instance
        return self.dump(obj)


class _Encodings(dict):
    """Decimal -> its binary encoding by psycopg's dumper, made on the first look-up of a value."""

    __slots__ = ("_dump",)

    def __init__(self, dump) -> None:
        super().__init__()
        self._dump = dump

    def __missing__(self, value: Decimal) -> bytes:
        made = self[value] = bytes(self._dump(value))
        return made


def _copy_rows(statement: str, ids, rows: list, types: list[str] | None) -> None:
    """COPY the rows, each after its id; binary when the columns' ``types`` (``_copy_plan``) are
    known: JSON by ``_json_dumps``, amounts by ``_RepeatedNumericDumper``."""
    with connection.connection.cursor() as raw:
        if types:
            set_json_dumps(_json_dumps, context=raw)
            numeric = raw.adapters.types.get("numeric").oid
            # A class of this COPY's cursor, over the dumper psycopg would use for the column.
            dumper = type("RepeatedNumericDumper", (_RepeatedNumericDumper,), {
                "oid": numeric, "original": raw.adapters.get_dumper_by_oid(numeric, Format.BINARY)})
            raw.adapters.register_dumper(Decimal, dumper)
        with raw.copy(statement + (" (FORMAT BINARY)" if types else "")) as copy:
            if types:
                copy.set_types(types)
            for pk_value, row in zip(ids, rows):
                copy.write_row([pk_value, *row])


def caches_clear() -> None:
    """Forget the per-process statements (a model's fields changed: tests that add a column)."""
    for cached in (columns, _loaders, _insert_fields, _copy_plan, _row_maker, _attnames, row_class, _relations, width):
        cached.cache_clear()


def models_insert(model: type[Model], objects: list) -> None:
    """Insert new instances, or ``row_class`` records, and give them their primary keys (an
    instance's ``_state.adding`` cleared). Both are read alike: by attribute, each field's
    ``pre_save`` and ``get_db_prep_save`` as ``Model.save`` calls them (``_row_maker``)."""
    if not objects:
        return
    fields, plain, table, names, pk = _insert_fields(model)
    # The wrapper itself, not the thread-local proxy ``connection``: every field reads it.
    wrapper = connections[connection.alias]
    plan = _copy_plan(model) if len(objects) > COPY_FROM_ROWS else None
    row_of = _row_maker(model, plan is not None)
    rows = [row_of(obj, wrapper) for obj in objects]
    with connection.cursor() as cursor:
        if len(objects) <= COPY_FROM_ROWS:
            values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rows))
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {values} RETURNING {pk}",
                           [value for row in rows for value in row])
            ids = [pk_value for (pk_value,) in cursor.fetchall()]
        else:
            # Ids drawn from the table's sequence first, so COPY (which returns nothing) can carry them.
            ids = ids_draw(cursor, table=model._meta.db_table, column=model._meta.pk.column, count=len(objects))
            _copy_rows(f"COPY {table} ({pk}, {names}) FROM STDIN", ids, rows, plan[0] if plan else None)
    if isinstance(objects[0], Model):
        for obj, pk_value in zip(objects, ids):
            obj.pk = pk_value
            obj._state.adding = False
            obj._state.db = connection.alias
    else:
        pk_name = model._meta.pk.attname
        for obj, pk_value in zip(objects, ids):
            setattr(obj, pk_name, pk_value)
