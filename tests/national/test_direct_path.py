"""The door's direct path (national/views.py ``national_interface``) against DRF's view it hands
everything else to: the same answer and headers for a clinic account's message, and DRF's own
refusals (403 for another kind of account, 429 over the rate) when it is not for the direct path."""
import json

from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.authtoken.models import Token

from config.throttling import UserRateThrottle
from national.views import NationalInterfaceView
from tests.factories import make_staff
from tests.national.conftest import clinic_world

NANYANG = "411300"


def test_direct_path_answers_as_drf_view_does(db, api_client):
    # given a clinic account and a body that is not JSON (answered with infcode -1 once authenticated)
    clinic, _ = clinic_world(api_client, NANYANG)
    headers = {"HTTP_AUTHORIZATION": f"Token {clinic.token}"}
    # when it is sent to the door (direct path) and straight to DRF's view
    direct = api_client.post("/api/national/", data=b"\xff not json", content_type="application/json", **headers)
    request = RequestFactory().post("/api/national/", data=b"\xff not json", content_type="application/json",
                                    **headers)
    through_drf = NationalInterfaceView.as_view()(request)
    through_drf.render()
    # then both answer 200, the same envelope (its times and reference aside) and the same headers
    assert direct.status_code == through_drf.status_code == 200
    ours, theirs = json.loads(direct.content), json.loads(through_drf.content)
    times = ("refmsg_time", "respond_time", "inf_refmsgid")  # made per answer
    assert {k: v for k, v in ours.items() if k not in times} == {k: v for k, v in theirs.items() if k not in times}
    assert ours["infcode"] == -1 and "not JSON" in ours["err_msg"]
    assert direct["Content-Type"] == through_drf["Content-Type"] == "application/json"
    assert direct["Allow"] == through_drf["Allow"] == "POST, OPTIONS"


def test_another_kind_of_account_gets_drfs_403(db, api_client):
    # given a staff member's token (no clinic account)
    token = Token.objects.create(user=make_staff(all_regions=True, superuser=True))
    # when it posts a message to the door, then DRF's permission refusal
    response = api_client.post("/api/national/", data="{}", content_type="application/json",
                               HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 403 and "clinic system account" in response.json()["detail"]


def test_over_the_rate_gets_drfs_429(db, api_client, monkeypatch):
    # given a user rate of one message a minute
    cache.clear()
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {**UserRateThrottle.THROTTLE_RATES, "user": "1/minute"})
    clinic, _ = clinic_world(api_client, NANYANG)
    cache.clear()  # the world's own messages (sign-in) counted at the usual rate
    headers = {"HTTP_AUTHORIZATION": f"Token {clinic.token}"}
    # when two messages follow each other
    first = api_client.post("/api/national/", data=b"x", content_type="application/json", **headers)
    second = api_client.post("/api/national/", data=b"x", content_type="application/json", **headers)
    # then the first is answered, the second is DRF's 429 with its Retry-After
    assert first.status_code == 200 and first.json()["infcode"] == -1
    assert second.status_code == 429 and int(second["Retry-After"]) > 0
    cache.clear()


class BurstThrottle(UserRateThrottle):
    scope = "burst"


def test_throttles_count_a_refused_message_once(db, api_client, monkeypatch):
    # given two throttles, the user rate (100 a minute) and a burst rate of one a minute after it
    cache.clear()
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES",
                        {**UserRateThrottle.THROTTLE_RATES, "user": "100/minute", "burst": "1/minute"})
    monkeypatch.setattr(NationalInterfaceView, "throttle_classes", [UserRateThrottle, BurstThrottle])
    clinic, _ = clinic_world(api_client, NANYANG)
    cache.clear()
    headers = {"HTTP_AUTHORIZATION": f"Token {clinic.token}"}
    # when two messages follow each other (the second allowed by the user rate, refused by the burst)
    first = api_client.post("/api/national/", data=b"x", content_type="application/json", **headers)
    second = api_client.post("/api/national/", data=b"x", content_type="application/json", **headers)
    # then the second is a 429, and the user rate counted each message once (2), as DRF's view
    # alone counts them: the refused message was not asked again when DRF's view answered it
    assert first.status_code == 200 and second.status_code == 429
    user_id = clinic.provider.clinic_accounts.get().user_id
    assert len(cache.get(f"throttle_user_{user_id}")) == 2 and len(cache.get(f"throttle_burst_{user_id}")) == 1
    cache.clear()
