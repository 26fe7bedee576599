"""The claim hot path's SQL, compiled once per process instead of once per claim.

Building a query with the ORM costs more CPU than the query itself costs the database (about
0.3–0.7 ms per statement here, against a one-row index lookup); a claim needs six statements. So
the few statements of ``claim_settle`` are compiled by the ORM once (same SQL, same converters,
same value preparation, so every backend behaves as with the ORM) and then executed with new
parameters. Rows come back as model instances (``Model.from_db``). No model signals are sent for
claims — the batch path cannot send them either, so nothing may rely on them.
"""
from __future__ import annotations

import json
import threading
from datetime import date
from decimal import Decimal
from typing import Callable

import orjson
import psycopg
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.signals import post_init, pre_init
from django.utils import timezone
from psycopg.types.json import Jsonb


def _run(connection, sql: str, params: list, *, fetch: str | None):
    """Execute on the connection. PostgreSQL: through a server-side-binding psycopg cursor (values
    travel apart from the SQL text; Django's cursor quotes every value into the text, which costs
    more CPU than the statement). Errors are Django's either way."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return _fetch(cursor, fetch)
    pipeline = getattr(connection, "_claims_pipeline", None)
    if pipeline is not None:  # inside claims.pipeline.claim_pipeline: a read, answered now
        with connection.wrap_database_errors:
            rows = pipeline.fetch(sql, params)
        return rows if fetch == "all" else (rows[0] if rows else None) if fetch == "one" else None
    cursor = _hot_cursor(connection)
    if connection.queries_logged or connection.execute_wrappers:
        # DEBUG, CaptureQueriesContext, execute_wrapper(): through Django's wrapper, which logs the
        # query and calls the wrappers (the cursor is ours and stays open).
        wrapper = connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)
        wrapper.execute(sql, params)
        return _fetch(cursor, fetch)
    # What Django's CursorWrapper.execute does, without building a wrapper per statement.
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        cursor.execute(sql, params)
        return _fetch(cursor, fetch)


def _fetch(cursor, fetch: str | None):
    return cursor.fetchall() if fetch == "all" else cursor.fetchone() if fetch == "one" else None


def run_statement(connection, sql: str, params: list, *, fetch: str | None):
    """Execute a statement compiled elsewhere (claims/context.py) the way this module does."""
    return _run(connection, sql, params, fetch=fetch)


def _hot_cursor(connection):
    """One server-side-binding, statement-preparing psycopg cursor per open connection, kept for
    the hot path's statements (a new cursor per statement, and Django's wrapper around it, cost
    about as much CPU as sending the statement). Made again when Django reconnects."""
    connection.ensure_connection()
    raw = connection.connection
    cursor = getattr(connection, "_claims_hot_cursor", None)
    if cursor is None or cursor.connection is not raw or cursor.closed:
        if raw.prepare_threshold is None:
            # Django's "never prepare" is psycopg's threshold None, which also refuses an explicit
            # prepare=True; an unreachable threshold keeps other statements unprepared and lets ours be.
            raw.prepare_threshold = 2**31
        cursor = connection._claims_hot_cursor = _preparing_cursor_class()(raw)
    return cursor


_PREPARING = None


def _preparing_cursor_class():
    """A psycopg cursor that prepares its statements on the server (``prepare=True``).

    Django turns psycopg's automatic preparation off for every connection (it breaks connection
    poolers in transaction mode), so without this the hot path's statements would be parsed and
    planned on every claim — for the claim's one read, a six-table join, planning costs more than
    running it. Only this module's handful of fixed statements are prepared, once per connection.
    Behind PgBouncer in transaction mode, set its ``max_prepared_statements`` (1.21+)."""
    global _PREPARING
    if _PREPARING is None:
        import psycopg

        class PreparingCursor(psycopg.Cursor):
            def execute(self, query, params=None, *, prepare=None, binary=None):
                result = super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)
                if self._query is None:
                    # psycopg records no query text when it runs an already prepared statement;
                    # Django's query log (DEBUG, CaptureQueriesContext) reads it from here.
                    self._query = _QueryText(query.encode() if isinstance(query, str) else query)
                return result

        _PREPARING = PreparingCursor
    return _PREPARING


class _QueryText:
    __slots__ = ("query",)

    def __init__(self, query: bytes):
        self.query = query


class PreparedGet:
    """A ``QuerySet`` compiled on first use, then run with new parameters: ``get`` (its first row,
    LIMIT 1) or, built with ``many=True``, ``all``.

    ``build(**samples)`` returns the queryset; each sample value must reach the SQL as exactly one
    parameter, distinct from every other parameter (it is how the positions are found), e.g.
    ``PreparedGet(lambda certno: Member.objects.filter(certno=certno), certno="\x00certno")``.
    """

    def __init__(self, build: Callable[..., QuerySet], *, many: bool = False, **samples):
        self.build, self.samples, self.many = build, samples, many
        self._compiled: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str):
        queryset = self.build(**self.samples).using(alias)
        if not self.many:
            queryset = queryset[:1]
        compiler = queryset.query.get_compiler(alias)
        sql, params = compiler.as_sql()
        by_value = {value: name for name, value in self.samples.items()}
        order = [by_value[p] for p in params]  # KeyError: a parameter that is not a sample
        columns = [col for col, _, _ in compiler.select]
        converters = compiler.get_converters(columns)
        info = compiler.klass_info
        main = info["select_fields"]
        fields = [columns[i].target.attname for i in main]
        related = [(ri["field"], ri["select_fields"], [columns[i].target.attname for i in ri["select_fields"]],
                    ri["model"]) for ri in info.get("related_klass_infos", [])]
        return sql, order, converters, compiler, (main, fields), related, queryset.model

    def get(self, *, using: str = "default", **values) -> Model | None:
        rows = self.all(using=using, **values)
        return rows[0] if rows else None

    def all(self, *, using: str = "default", **values) -> list[Model]:
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.setdefault(using, self._compile(using))
        sql, order, converters, compiler, fields, related, model = compiled
        rows = _run(connections[using], sql, [values[name] for name in order], fetch="all")
        if rows and converters:
            rows = list(compiler.apply_converters(rows, converters))
        main, names = fields
        instances = []
        for row in rows:
            instance = model.from_db(using, names, [row[i] for i in main])
            for field, positions, attnames, related_model in related:
                values_ = [row[i] for i in positions]
                obj = None if values_[0] is None else related_model.from_db(using, attnames, values_)
                field.set_cached_value(instance, obj)
            instances.append(instance)
        return instances


def init_signals_quiet(models) -> bool:
    """True when nothing listens to the init signals of ``models`` (the normal case): their
    instances may then be made without ``Model.__init__``. Nothing listens to them at all in this
    project, which is answered without the per-model look-up (10 a claim cost about 10 µs)."""
    if not pre_init.receivers and not post_init.receivers:
        return True
    return not any(pre_init.has_listeners(m) or post_init.has_listeners(m) for m in models)


_SQL: dict[tuple, tuple[str, list]] = {}


def _statement(kind: str, model: type[Model], connection, names: tuple[str, ...] = ()) -> tuple[str, list]:
    """(SQL, fields) of an INSERT of all concrete fields returning the id, or an UPDATE of
    ``names`` by primary key; built once per model, connection and field list."""
    key = (kind, model, connection.alias, names)
    cached = _SQL.get(key)
    if cached is None:
        meta, quote = model._meta, connection.ops.quote_name
        if kind == "insert":
            fields = [f for f in meta.concrete_fields if not f.primary_key]
            sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
                   f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(meta.pk.column)}")
        else:
            fields = [meta.get_field(name) for name in names]
            sql = (f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)} "
                   f"WHERE {quote(meta.pk.column)} = %s")
        cached = _SQL[key] = (sql, fields)
    return cached


# Field types whose ``get_db_prep_save`` on PostgreSQL hands a value of the field's own Python type
# to the driver unchanged (to_python of a str/bool/int/Decimal/date is the value itself; psycopg
# adapts it). For these the insert passes the attribute as is; any other field (JSON, datetimes,
# auto_now...) or a value of another type goes through Django's preparation as before.
_AS_IS = {"CharField": str, "BooleanField": bool, "DecimalField": Decimal, "DateField": date,
          "BigIntegerField": int, "IntegerField": int, "PositiveSmallIntegerField": int, "BigAutoField": int,
          "AutoField": int}
_PLAN: dict[tuple, list] = {}


def _insert_plan(model: type[Model], connection, fields: list) -> list:
    """Per field: (attname, the type passed as is, or None; the field)."""
    key = (model, connection.alias)
    plan = _PLAN.get(key)
    if plan is None:
        plan = []
        for field in fields:
            target = field.target_field if field.is_relation else field
            kind = _AS_IS.get(target.get_internal_type()) if connection.vendor == "postgresql" else None
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                kind = None
            if kind is date and target.get_internal_type() != "DateField":
                kind = None
            if (connection.vendor == "postgresql" and target.get_internal_type() == "JSONField"
                    and getattr(target, "encoder", None) is None):
                kind = _JSON
            plan.append((field.attname, kind, field))
        _PLAN[key] = plan
    return plan


def _insert_sql(obj: Model, connection) -> tuple[str, list]:
    sql, fields = _statement("insert", type(obj), connection)
    values = obj.__dict__
    params = []
    for attname, kind, field in _insert_plan(type(obj), connection, fields):
        value = values.get(attname, _MISSING)
        if kind is not None and (value is None or type(value) is kind):
            params.append(value)
        elif kind is _JSON and value is not _MISSING:
            params.append(Jsonb(value, dumps=json_bytes))
        else:
            params.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
    return sql, params


class _JSON:
    """Marks a JSONField without a custom encoder: its value goes to psycopg as ``Jsonb`` written by
    orjson (the record's inputs and steps were the largest parameters to serialise)."""


def json_bytes(value) -> bytes:
    """A JSON column's value as the database receives it (this hot path and the batch's COPY): written
    by orjson, several times faster than json on the record's inputs and steps."""
    try:
        return orjson.dumps(value)
    except TypeError:  # what orjson does not take (non-str keys, ...): as Django would write it
        return json.dumps(value).encode()


_MISSING = object()


def _update_sql(obj: Model, names: tuple[str, ...], connection) -> tuple[str, list]:
    """``auto_now`` fields among ``names`` are stamped."""
    sql, fields = _statement("update", type(obj), connection, names)
    now = timezone.now()
    for field in fields:
        if getattr(field, "auto_now", False):
            setattr(obj, field.attname, now)
    return sql, [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk]


def insert_and_update(new: Model, changed: Model | None, names: tuple[str, ...] = (), *,
                      using: str = "default") -> None:
    """Insert ``new`` and update ``names`` of ``changed`` (if given): one statement on PostgreSQL
    (two data-modifying CTEs), two elsewhere. ``new`` gets its id."""
    connection = connections[using]
    insert_sql, insert_params = _insert_sql(new, connection)
    if changed is None:
        sql, params = insert_sql, insert_params
    elif connection.vendor == "postgresql":
        update_sql, update_params = _update_sql(changed, names, connection)
        sql = f"WITH inserted AS ({insert_sql}), updated AS ({update_sql}) SELECT * FROM inserted"
        params = insert_params + update_params
    else:
        new.pk = _run(connection, insert_sql, insert_params, fetch="one")[0]
        _run(connection, *_update_sql(changed, names, connection), fetch=None)
        sql = None
    pipeline = getattr(connection, "_claims_pipeline", None)
    if sql is not None and pipeline is not None:
        # Inside claims.pipeline.claim_pipeline: sent with the commit; the id comes with its answer
        # (reading it now would cost a round trip of its own).
        pipeline.queue(sql, params, lambda rows: setattr(new, "pk", rows[0][0]))
    elif sql is not None:
        new.pk = _run(connection, sql, params, fetch="one")[0]
    new._state.adding, new._state.db = False, using
