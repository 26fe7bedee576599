"""The API's token check: DRF's ``TokenAuthentication`` with its lookup read in one plain statement.

DRF looks the token up with ``Token.objects.select_related("user").get(key=key)``. Building that
query through the ORM cost 0.64 ms of CPU on every API request (measured in-process against
PostgreSQL; running it costs the server a fraction of that), an eighth of what a whole
``POST /api/v1/claims/`` cost. Here the statement is plain SQL text made once per process from the
models' ``_meta`` and the rows become instances through ``Model.from_db`` (claims/rows.py), so the
token and its user are the same objects DRF would give, with the same refusals and messages
(DRF's own, so their translations are DRF's too). ``related`` names further one-to-one or
many-to-one hops from the user read in the same statement (the national door reads the clinic
account and its provider with the token: national/views.py), each as (model, its column, what it
equals): ``(ClinicAccount, "user_id", "u.id")``, then ``(Provider, "id", "r0.provider_id")`` — the
user is ``u``, the n-th related row ``r<n>``. ``lateral``, a further statement joined laterally
(it may use those aliases) with its parameters: its columns follow the related rows' in the row
returned (the national door reads a settlement's visit with its token: one round trip for both).
``unread``: per row read (the token, the user, then each ``related`` row), the fields left out of the
statement and deferred on the instance (claims/rows.py ``model_from_row``): a caller that never
reads them spares their transfer and conversion (the national door: national/views.py).
"""
from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from claims.rows import columns, model_from_row, width


NOTHING_UNREAD: frozenset[str] = frozenset()


@cache
def _statement(related: tuple[tuple[type[Model], str, str], ...], lateral: str = "",
               unread: tuple[frozenset[str], ...] = ()) -> str:
    """SELECT the token, its user and each ``related`` row (left joined: a user without it reads
    as None) for one key; then the ``lateral`` statement's columns, if any."""
    quote = connection.ops.quote_name
    user_model = get_user_model()
    skipped = [*unread, *[NOTHING_UNREAD] * (2 + len(related) - len(unread))]
    selected = [columns(Token, "t", skipped[0]), columns(user_model, "u", skipped[1])]
    joins = [f"JOIN {quote(user_model._meta.db_table)} u ON u.{quote(user_model._meta.pk.column)} = "
             f"t.{quote(Token._meta.get_field('user').column)}"]
    for n, (model, column, equals) in enumerate(related):
        alias = f"r{n}"
        selected.append(columns(model, alias, skipped[2 + n]))
        joins.append(f"LEFT JOIN {quote(model._meta.db_table)} {alias} ON {alias}.{quote(column)} = {equals}")
    if lateral:
        selected.append("l.*")
        joins.append(f"LEFT JOIN LATERAL ({lateral}) l ON true")
    return (f"SELECT {', '.join(selected)} FROM {quote(Token._meta.db_table)} t {' '.join(joins)} "
            f"WHERE t.{quote(Token._meta.pk.column)} = %s")


def token_with_user(key: str, related: tuple = (), lateral: tuple[str, list] | None = None,
                    unread: tuple[frozenset[str], ...] = ()) -> tuple[Token, list[Model | None]] | None:
    """The token ``key`` with its ``user`` attached, and the ``related`` rows (None where missing),
    followed, when a ``lateral`` (statement, parameters) is given, by the rest of the row: its
    columns. None when no token has that key."""
    sql, params = lateral if lateral is not None else ("", [])
    with connection.cursor() as cursor:
        cursor.execute(_statement(related, sql, unread), [*params, key])
        row = cursor.fetchone()
    if row is None:
        return None
    skipped = [*unread, *[NOTHING_UNREAD] * (2 + len(related) - len(unread))]
    token = model_from_row(Token, row, unread=skipped[0])
    user_model = get_user_model()
    start = width(Token, skipped[0])
    token.user = model_from_row(user_model, row, start, unread=skipped[1])
    start += width(user_model, skipped[1])
    found = []
    for (model, *_join), left_out in zip(related, skipped[2:]):
        found.append(model_from_row(model, row, start, unread=left_out))
        start += width(model, left_out)
    if lateral is not None:
        found.append(row[start:])
    return token, found


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, as DRF's; the lookup in one plain statement (module docstring)."""

    def authenticate_credentials(self, key):
        found = token_with_user(key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = found[0]
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
