"""``POST /api/national/``: the national interface's one door (thin: parse, answer).

Authenticated by the clinic system account's token; once authenticated the answer is always HTTP
200 with the national answer envelope (national/services.py ``national_message_answer``).
"""
from __future__ import annotations

import json
from decimal import Decimal

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from drf_spectacular.utils import extend_schema
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from providers.models import Provider
from staff.authentication import token_with_user

from . import selectors
from .envelope import AnswerRenderer, answer, now_local
from .models import ClinicAccount
from .services import clinic_account_of, national_message_answer


class ClinicTokenAuthentication(TokenAuthentication):
    """DRF's token check, reading the user's clinic account and its provider in the same statement
    (staff/authentication.py: one plain statement instead of an ORM query built per message)."""

    ACCOUNT_AND_PROVIDER = ((ClinicAccount, "user_id", "u.id"), (Provider, "id", "r0.provider_id"))

    def authenticate_credentials(self, key):
        found = token_with_user(key, self.ACCOUNT_AND_PROVIDER)
        if found is None or not found[0].user.is_active:
            raise AuthenticationFailed("无效的令牌 (invalid token)")
        token, (account, provider) = found
        if account is not None:
            account.user, account.provider = token.user, provider
        token.user._clinic_account = account
        return token.user, token


class IsClinicAccount(BasePermission):
    message = "仅限机构接口账号 (a clinic system account's token is required)"

    def has_permission(self, request, view) -> bool:
        return clinic_account_of(request.user) is not None


class AnswerOnly(BaseContentNegotiation):
    """The national answer envelope whatever the client's ``Accept`` (DRF's documented
    "ignore the client" negotiation): the platform's clients expect its JSON, and DRF's negotiation
    parsed the Accept header and the query string on every message for the one renderer there is."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# Not in the REST OpenAPI schema: its contract is the national platform's envelope (national/README.md),
# and documenting it there would only describe an opaque JSON body.
@extend_schema(exclude=True)
class NationalInterfaceView(APIView):
    authentication_classes = [ClinicTokenAuthentication]
    permission_classes = [IsClinicAccount]
    parser_classes = []  # the body is read here: a malformed one still gets the national answer
    renderer_classes = [AnswerRenderer]  # JSON only, by orjson (national/envelope.py ``answer_json``)
    content_negotiation_class = AnswerOnly

    def dispatch(self, request, *args, **kwargs):
        # staff.middleware: this door writes its own access-log entries (national/services.py
        # PERSONAL_DATA), and a clinic system account is never an auditor — no role query per message.
        request.access_logged = True
        return super().dispatch(request, *args, **kwargs)

    def post(self, request):
        try:
            # JSON numbers as Decimal, never float (amounts are 数值型 16,2)
            message = json.loads(request.body.decode("utf-8"), parse_float=Decimal)
        except (UnicodeDecodeError, ValueError):
            return Response(answer(infcode=-1, received=now_local(), err_msg="报文不是有效的 UTF-8 JSON (not JSON)"))
        return Response(national_message_answer(account=clinic_account_of(request.user), message=message,
                                                user=request.user))


@staff_member_required
def reconciliation_page(request):
    """对账不平 — the clinic-days whose latest 3201 reconciliation did not balance, in the staff
    member's district scope."""
    rows = selectors.unbalanced_reconciliations(user=request.user)
    return render(request, "national/reconciliation.html", {"rows": rows, "title": "对账不平的机构日"})
