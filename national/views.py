"""``POST /api/national/``: the national interface's one door (thin: parse, answer).

Authenticated by the clinic system account's token; once authenticated the answer is always HTTP
200 with the national answer envelope (national/services.py ``national_message_answer``).
"""
from __future__ import annotations

import json
from decimal import Decimal

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
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
from .envelope import AnswerRenderer, answer, answer_json, now_local
from .models import ClinicAccount
from .services import clinic_account_of, national_message_answer, settlement_read_args
from .transactions import settlement_read_params, settlement_read_row, settlement_read_sql

NOT_JSON = object()  # a body that is not UTF-8 JSON (answered with infcode -1 once authenticated)
NOT_ASKED = object()  # the throttles not asked yet for this request (NationalInterfaceView.check_throttles)


class ClinicTokenAuthentication(TokenAuthentication):
    """DRF's token check, reading the user's clinic account, its provider and the provider's centre
    (the claims engine's ledger reads it: a village clinic's fund payments go to its centre) in the
    same statement (staff/authentication.py: one plain statement instead of an ORM query built per
    message). For a 2206/2207 the same statement also reads the message's replay check, sign-in and
    visit (transactions.settlement_read, joined laterally on the token's provider): one round trip
    for both, before the message's transaction."""

    ACCOUNT_PROVIDER_CENTRE = ((ClinicAccount, "user_id", "u.id"), (Provider, "id", "r0.provider_id"),
                               (Provider, "fixmedins_code", "r1.parent_code"))
    # Fields no message reads from the token, its user or the clinic account (the door checks
    # ``is_active``, writes the user's id to the claim and the access log, and the account's provider):
    # left out of the statement and deferred (staff/authentication.py ``unread``). Five timestamps
    # and the password hash a message parsed, converted and dropped. The providers are read whole:
    # the claims engine reads them.
    UNREAD = (frozenset({"created"}),
              frozenset({"password", "last_login", "first_name", "last_name", "email", "date_joined"}),
              frozenset({"created_at", "created_by_id"}))
    request = None  # the request being authenticated (``authenticate``); None when a key is checked alone

    def authenticate(self, request):
        # DRF makes an authenticator per request; ``request`` is DRF's Request or, on the door's
        # direct path (``national_interface``), Django's HttpRequest
        self.request = request
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        read_args = settlement_read_args(getattr(self.request, "national_message", None))
        lateral = None if read_args is None else (settlement_read_sql("r1.id"), settlement_read_params(**read_args))
        found = token_with_user(key, self.ACCOUNT_PROVIDER_CENTRE, lateral, unread=self.UNREAD)
        if found is None or not found[0].user.is_active:
            raise AuthenticationFailed("无效的令牌 (invalid token)")
        token, (account, provider, centre, *rest) = found
        if account is not None:
            provider.parent = centre
            account.user, account.provider = token.user, provider
            account.centre_read = True  # the provider's ``parent`` is loaded (national/settlement.py _known)
            if rest:
                # what national_message_answer would read first (for this account's provider)
                getattr(self.request, "_request", self.request).national_read = settlement_read_row(
                    rest[0], batch=read_args["batch"])
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
        _message_read(request)
        return super().dispatch(request, *args, **kwargs)

    def check_throttles(self, request):
        # A message the direct path (``national_interface``) found over the rate: the throttles
        # were asked once (each records a request it allows), so they are not asked again here;
        # DRF's refusal is raised with the wait they gave.
        wait = getattr(request, "throttled_wait", NOT_ASKED)
        if wait is NOT_ASKED:
            return super().check_throttles(request)
        self.throttled(request, wait)

    def post(self, request):
        return Response(_answer(request))


def _message_read(request) -> None:
    """The message parsed onto the (Django) request, once, before the token check: the check reads
    a settlement's visit with the token (ClinicTokenAuthentication); the message is answered only
    once the token is good."""
    # staff.middleware: this door writes its own access-log entries (national/services.py
    # PERSONAL_DATA), and a clinic system account is never an auditor — no role query per message.
    request.access_logged = True
    if request.method == "POST" and not hasattr(request, "national_message"):
        try:
            # JSON numbers as Decimal, never float (amounts are 数值型 16,2)
            request.national_message = json.loads(request.body.decode("utf-8"), parse_float=Decimal)
        except (UnicodeDecodeError, ValueError):
            request.national_message = NOT_JSON


def _answer(request) -> dict:
    """The answer envelope to an authenticated clinic account's message (either path)."""
    message = request.national_message
    if message is NOT_JSON:
        return answer(infcode=-1, received=now_local(), err_msg="报文不是有效的 UTF-8 JSON (not JSON)")
    return national_message_answer(account=clinic_account_of(request.user), message=message, user=request.user,
                                   read=getattr(request, "national_read", None))


_INTERFACE_VIEW = NationalInterfaceView.as_view()
_ALLOW = ", ".join(NationalInterfaceView().allowed_methods)  # the Allow header DRF's answers carry


@csrf_exempt  # as DRF's views are: a token, not a browser session, authenticates the door
def national_interface(request):
    """``POST /api/national/``. A message whose token is a clinic account's and within its rate is
    answered here, directly, by the authentication, permission and throttles of DRF's view
    (``NationalInterfaceView``), in DRF's order, through the view's public methods; anything else —
    no token or a bad one, another kind of account, over the rate, another method — goes to that
    view, which gives DRF's own answer (401/403/429/405, unchanged). It checks the token and the
    permission again (neither records anything); the throttles, which count what they allow, are
    not asked twice (``check_throttles``). What the direct path spares is DRF's request wrapping,
    content negotiation and response finalising, which a message answered ``application/json``
    whatever it asks does not need: about 0.1 ms of CPU on a 2207 (measured in-process)."""
    if request.method != "POST":
        return _INTERFACE_VIEW(request)
    _message_read(request)
    view = NationalInterfaceView()  # what the authentication, permission and throttles are told the view is
    found = None
    try:
        for authenticator in view.get_authenticators():
            found = authenticator.authenticate(request)
            if found is not None:
                break
    except AuthenticationFailed:
        found = None
    if found is None:
        return _INTERFACE_VIEW(request)
    request.user, request.auth = found
    if not all(permission.has_permission(request, view) for permission in view.get_permissions()):
        return _INTERFACE_VIEW(request)
    # Every throttle asked, as DRF asks them (check_throttles): each records the request it allows.
    waits = [throttle.wait() for throttle in view.get_throttles() if not throttle.allow_request(request, view)]
    if waits:
        request.throttled_wait = max((wait for wait in waits if wait is not None), default=None)
        return _INTERFACE_VIEW(request)
    response = HttpResponse(answer_json(_answer(request)), content_type=AnswerRenderer.media_type)
    response["Allow"] = _ALLOW
    return response


@staff_member_required
def reconciliation_page(request):
    """对账不平 — the clinic-days whose latest 3201 reconciliation did not balance, in the staff
    member's district scope."""
    rows = selectors.unbalanced_reconciliations(user=request.user)
    return render(request, "national/reconciliation.html", {"rows": rows, "title": "对账不平的机构日"})
