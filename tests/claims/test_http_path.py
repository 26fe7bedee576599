"""The REST claim door's per-request work kept cheap (issues 19 and 23, p99): the token check in one
statement answering as DRF's own, and the claim's answer from a serializer kept per thread that
masks for each request's user."""
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import authentication as drf_authentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from claims.models import Claim
from claims.serializers import ClaimSerializer, claim_data
from claims.services import claim_settle
from staff.authentication import TokenAuthentication
from tests.claims.helpers import request_for
from tests.factories import make_member, make_provider, make_staff

pytestmark = pytest.mark.django_db


class _Request:
    def __init__(self, user):
        self.user = user


def _refusal(authenticator, key: str) -> str:
    with pytest.raises(AuthenticationFailed) as refused:
        authenticator.authenticate_credentials(key)
    return str(refused.value.detail)


def test_token_check_is_one_statement_and_answers_as_drf():
    # given a staff user's token
    user = make_staff(all_regions=True)
    token = Token.objects.create(user=user)
    # when it is checked
    with CaptureQueriesContext(connection) as captured:
        found_user, found_token = TokenAuthentication().authenticate_credentials(token.key)
    # then one statement gives DRF's pair: the token and its user, the user's fields loaded
    assert len(captured) == 1
    stock_user, stock_token = drf_authentication.TokenAuthentication().authenticate_credentials(token.key)
    assert (found_token.pk, found_user.pk) == (stock_token.pk, stock_user.pk)
    assert found_token.user is found_user
    assert (found_user.username, found_user.is_staff, found_user.is_active) == (user.username, True, True)


def test_unknown_key_and_inactive_user_are_refused_with_drfs_messages():
    # given a token whose user is then deactivated, and a key no token has
    user = make_staff(all_regions=True)
    token = Token.objects.create(user=user)
    ours, stock = TokenAuthentication(), drf_authentication.TokenAuthentication()
    # then an unknown key is refused as DRF refuses it
    assert _refusal(ours, "0" * 40) == _refusal(stock, "0" * 40)
    # when the user is deactivated, then so is the token, with DRF's message
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert _refusal(ours, token.key) == _refusal(stock, token.key)


def test_claim_answer_masks_for_each_requests_user_with_the_serializer_kept():
    # given a settled claim whose idempotency key carries the member's certno
    member = make_member(admdvs="370300")
    provider = make_provider(admdvs="370300", level="2", kind="hospital")
    claim, _ = claim_settle(request=request_for(member=member, provider=provider, visit_at="2024-03-01T10:00",
                                                idempotency_key=f"k-{member.certno}"), by=None)
    claim = Claim.objects.select_related("member", "provider", "charged_provider").get(pk=claim.pk)
    superuser = make_staff(all_regions=True, superuser=True)
    clerk = make_staff(all_regions=True)  # no staff.view_full_certno
    # when the same thread answers for the superuser, the clerk, then the superuser again
    answers = [claim_data(claim, request=_Request(user)) for user in (superuser, clerk, superuser)]
    # then each answer is what a fresh serializer gives for that user: full certno, masked, full
    for answer, user in zip(answers, (superuser, clerk, superuser)):
        assert answer == ClaimSerializer(claim, context={"request": _Request(user)}).data
    assert answers[0]["certno"] == member.certno and answers[2]["certno"] == member.certno
    assert answers[1]["certno"] != member.certno and member.certno not in answers[1]["idempotency_key"]


def test_each_thread_keeps_its_own_serializer():
    # given a settled claim
    member = make_member(admdvs="370300")
    provider = make_provider(admdvs="370300", level="2", kind="hospital")
    claim, _ = claim_settle(request=request_for(member=member, provider=provider, visit_at="2024-03-01T10:00"),
                            by=None)
    claim = Claim.objects.select_related("member", "provider", "charged_provider").get(pk=claim.pk)
    superuser, clerk = make_staff(all_regions=True, superuser=True), make_staff(all_regions=True)
    # when this thread answers for the clerk and another thread for the superuser (the superuser needs
    # no permission query: the other thread does not touch the test's database connection)
    here = claim_data(claim, request=_Request(clerk))
    there = []
    worker = threading.Thread(target=lambda: there.append(claim_data(claim, request=_Request(superuser))))
    worker.start()
    worker.join()
    # then each is its user's answer: masked here, the full certno there
    assert here == ClaimSerializer(claim, context={"request": _Request(clerk)}).data
    assert there[0] == ClaimSerializer(claim, context={"request": _Request(superuser)}).data
    assert here["certno"] != member.certno and there[0]["certno"] == member.certno


def test_the_claim_door_answers_the_json_drfs_renderer_writes(api_client):
    # given a superuser's token and a visit
    from rest_framework.renderers import JSONRenderer

    member = make_member(admdvs="370300")
    provider = make_provider(admdvs="370300", level="2", kind="hospital")
    token = Token.objects.create(user=make_staff(all_regions=True, superuser=True))
    body = {"admdvs": "370300", "certno": member.certno, "fixmedins_code": provider.fixmedins_code,
            "visit_at": "2024-03-01T10:00:00+08:00", "medfee_sumamt": "120.50", "inscp_scp_amt": "120.50",
            "idempotency_key": "渲染-1"}
    # when it is settled through the API (a 201), then its answer listed, and asked indented
    headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    settled = api_client.post("/api/v1/claims/", body, format="json", **headers)
    listed = api_client.get("/api/v1/claims/", **headers)
    indented = api_client.get("/api/v1/claims/", HTTP_ACCEPT="application/json; indent=2", **headers)
    # then each answer is, byte for byte, what DRF's own JSON renderer writes for the same data
    # (config/rest.py OrjsonRenderer): compact, UTF-8 (the Chinese key unescaped), money as text
    assert settled.status_code == 201 and listed.status_code == 200
    assert settled.content == JSONRenderer().render(settled.data)
    assert "渲染-1".encode() in settled.content
    assert listed.content == JSONRenderer().render(listed.data)
    assert indented.content == JSONRenderer().render(indented.data, "application/json; indent=2")
    assert b'\n  "count"' in indented.content
