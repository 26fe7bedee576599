"""Model rows read and written with plain SQL, through Django's and psycopg's public APIs only.

Why not the ORM on this path: building a query costs the ORM more CPU than the query costs
PostgreSQL (a claim needs five statements; compiling them was most of a claim's CPU, measured in
the closing note of the "one claims engine" issue). The statements here are plain SQL text, built
once per model from ``Model._meta``; rows become instances through ``Model.from_db`` (the documented
hook for loading from the database) after each field's ``from_db_value``; new rows are prepared by
each field's ``pre_save`` and ``get_db_prep_save``, as ``Model.save`` prepares them. So a model's
new column needs nothing here.
"""
from __future__ import annotations

from functools import cache

from django.db import connection, connections
from django.db.models import Model

from config.sequences import ids_draw

# Above this many rows an insert goes by COPY (one stream) instead of one INSERT statement.
COPY_FROM_ROWS = 50


@cache
def columns(model: type[Model], alias: str) -> str:
    """The model's columns under a table alias, in ``concrete_fields`` order."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


@cache
def _loaders(model: type[Model]):
    fields = model._meta.concrete_fields
    names = [f.attname for f in fields]
    converters = [(n, f.from_db_value) for n, f in enumerate(fields) if hasattr(f, "from_db_value")]
    return names, converters


def model_from_row(model: type[Model], row, start: int = 0) -> Model | None:
    """The instance in ``row[start:]`` (laid out as ``columns(model, ...)``); None for an outer
    join that found nothing (a NULL primary key)."""
    names, converters = _loaders(model)
    values = list(row[start:start + len(names)])
    if values[0] is None:
        return None
    wrapper = connections[connection.alias]
    for position, convert in converters:
        values[position] = convert(values[position], None, wrapper)
    return model.from_db(connection.alias, names, values)


def model_new(model: type[Model], values: dict) -> Model:
    """``model(**values)`` through the constructor's positional path: every concrete field in order,
    a field ``values`` does not name taking its own default. The keyword path costs twice the CPU
    (160 against 78 µs for a Claim, measured), and a file of visits builds one per visit."""
    return model(*[values[f.attname] if f.attname in values else f.get_default()
                   for f in model._meta.concrete_fields])


def width(model: type[Model]) -> int:
    return len(model._meta.concrete_fields)


def models_select(model: type[Model], sql: str, params: list) -> list[Model]:
    """Run ``sql`` (selecting ``columns(model, alias)`` first) and build the instances."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [model_from_row(model, row) for row in cursor.fetchall()]


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
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    plain = [f.get_internal_type() in PLAIN_TYPES for f in fields]
    return fields, plain, quote(meta.db_table), names, quote(meta.pk.column)


def caches_clear() -> None:
    """Forget the per-process statements (a model's fields changed: tests that add a column)."""
    for cached in (columns, _loaders, _insert_fields):
        cached.cache_clear()


def models_insert(model: type[Model], objects: list[Model]) -> None:
    """Insert new instances and give them their primary keys (``_state.adding`` cleared)."""
    if not objects:
        return
    fields, plain, table, names, pk = _insert_fields(model)
    # The wrapper itself, not the thread-local proxy ``connection``: every field reads it.
    wrapper = connections[connection.alias]
    prepared = list(zip(fields, plain))
    rows = [[f.pre_save(obj, True) if is_plain else f.get_db_prep_save(f.pre_save(obj, True), wrapper)
             for f, is_plain in prepared] for obj in objects]
    with connection.cursor() as cursor:
        if len(objects) <= COPY_FROM_ROWS:
            values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rows))
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {values} RETURNING {pk}",
                           [value for row in rows for value in row])
            ids = [pk_value for (pk_value,) in cursor.fetchall()]
        else:
            # Ids drawn from the table's sequence first, so COPY (which returns nothing) can carry them.
            ids = ids_draw(cursor, table=model._meta.db_table, column=model._meta.pk.column, count=len(objects))
            with connection.connection.cursor() as raw, raw.copy(f"COPY {table} ({pk}, {names}) FROM STDIN") as copy:
                for pk_value, row in zip(ids, rows):
                    copy.write_row([pk_value, *row])
    for obj, pk_value in zip(objects, ids):
        obj.pk = pk_value
        obj._state.adding = False
        obj._state.db = connection.alias
