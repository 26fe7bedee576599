"""Out-of-area registrations 异地就医备案 through the REST API (CONTRACT.md "Out-of-area registrations"):
the contract's shapes, every refusal of RULES.md "Registration" as a 400 naming the field (and
nothing written), cancellation (200, 409, 400), scope, and the member's history."""
from datetime import date

import pytest

from members.models import MemberChange, OutOfAreaRegistration
from tests.factories import make_member, make_registration, make_staff

pytestmark = pytest.mark.django_db
URL = "/api/v1/out-of-area-registrations/"
NANYANG, NANCHANG, HEYUAN = "411300", "360100", "441600"


def body(member, **overrides):
    values = {"certno": member.certno, "admdvs": member.admdvs_id, "kind": "long_term", "dest_admdvs": "440100",
              "start_on": "2024-05-02", "end_on": None}
    values.update(overrides)
    return values


def test_given_member_when_registered_then_201_listed_read_and_in_history(api_client, city_admin):
    # given a Nanyang member
    member = make_member(admdvs=NANYANG)
    api_client.force_authenticate(city_admin)
    # when a long-term registration to Guangzhou is posted
    response = api_client.post(URL, body(member), format="json")
    # then it is recorded as sent, open-ended, not cancelled
    assert response.status_code == 201, response.data
    data = response.json()
    assert {k: data[k] for k in ("certno", "admdvs", "kind", "dest_admdvs", "start_on", "end_on", "cancelled_on")} == {
        "certno": member.certno, "admdvs": NANYANG, "kind": "long_term", "dest_admdvs": "440100",
        "start_on": "2024-05-02", "end_on": None, "cancelled_on": None}
    # and the list of the member's registrations and the detail show it
    listed = api_client.get(URL, {"admdvs": NANYANG, "certno": member.certno}).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["id"] for r in rows] == [data["id"]]
    assert api_client.get(f"{URL}{data['id']}/").json()["dest_admdvs"] == "440100"
    # and the member's change history records who registered what
    change = MemberChange.objects.get(member=member, action="oar_register")
    assert change.after["dest_admdvs"] == "440100" and change.changed_by == city_admin


@pytest.mark.parametrize("region, overrides, field", [
    (NANYANG, {"dest_admdvs": NANYANG}, "dest_admdvs"),                       # the member's own region
    (NANYANG, {"dest_admdvs": "440000"}, "dest_admdvs"),                      # a province, not a city
    (NANYANG, {"dest_admdvs": "44010X"}, "dest_admdvs"),
    (NANYANG, {"kind": "temporary"}, "end_on"),                               # temporary without an end
    (NANYANG, {"end_on": "2024-05-01"}, "end_on"),                            # ends before it starts
    (HEYUAN, {"kind": "temporary", "end_on": "2024-06-01"}, "kind"),          # 第五条(三): long-term kinds only
    (NANCHANG, {"kind": "long_term"}, "kind"),                                # 第三十一条: resettled only
    (NANCHANG, {"kind": "temporary", "end_on": "2024-06-01"}, "kind"),
    (NANYANG, {"kind": "elsewhere"}, "kind"),
    (NANYANG, {"certno": "360102197005010112"}, "certno"),                    # no such member
])
def test_refusals_name_the_field_and_write_nothing(api_client, city_admin, region, overrides, field):
    # given a member of the region
    member = make_member(admdvs=region)
    api_client.force_authenticate(city_admin)
    # when a registration breaking one rule is posted
    response = api_client.post(URL, body(member, **overrides), format="json")
    # then it is a 400 naming that field, and nothing is written
    assert response.status_code == 400, response.data
    assert field in response.json(), response.json()
    assert not OutOfAreaRegistration.objects.exists() and not MemberChange.objects.filter(member=member).exists()


@pytest.mark.parametrize("existing, new", [
    ((date(2024, 1, 1), None), ("2025-06-01", None)),                         # the open one is still in force
    ((date(2024, 1, 1), date(2024, 3, 31)), ("2024-03-31", None)),            # same last day
    ((date(2024, 6, 1), None), ("2024-01-01", "2024-06-01")),                 # ends on the other's first day
])
def test_an_overlapping_registration_is_refused_on_start_on(api_client, city_admin, existing, new):
    # given a member with a registration (to another city, still an overlap: one in force a day)
    member = make_member(admdvs=NANYANG)
    make_registration(member=member, kind="long_term", dest_admdvs="320500", start_on=existing[0], end_on=existing[1])
    api_client.force_authenticate(city_admin)
    # when another registration overlapping it is posted
    response = api_client.post(URL, body(member, kind="temporary", start_on=new[0], end_on=new[1] or "2026-01-01"),
                               format="json")
    # then it is refused on start_on, nothing written
    assert response.status_code == 400 and "start_on" in response.json(), response.json()
    assert OutOfAreaRegistration.objects.filter(member=member).count() == 1


def test_registrations_that_touch_but_do_not_overlap_are_accepted(api_client, city_admin):
    member = make_member(admdvs=NANYANG)
    make_registration(member=member, kind="long_term", start_on=date(2024, 1, 1), end_on=date(2024, 3, 31))
    api_client.force_authenticate(city_admin)
    response = api_client.post(URL, body(member, kind="temporary", start_on="2024-04-01", end_on="2024-04-20"),
                               format="json")
    assert response.status_code == 201, response.json()


def test_cancellation_sets_end_on_then_a_later_one_is_a_409(api_client, city_admin):
    # given an open registration from 2024-05-02
    member = make_member(admdvs=NANYANG)
    registration = make_registration(member=member, start_on=date(2024, 5, 2))
    api_client.force_authenticate(city_admin)
    # when it is cancelled on 2024-06-10
    response = api_client.post(f"{URL}{registration.pk}/cancel/", {"cancelled_on": "2024-06-10"}, format="json")
    # then end_on and cancelled_on are that day (200), and the history records it
    assert response.status_code == 200, response.json()
    assert (response.json()["end_on"], response.json()["cancelled_on"]) == ("2024-06-10", "2024-06-10")
    change = MemberChange.objects.get(member=member, action="oar_cancel")
    assert (change.before["end_on"], change.after["end_on"]) == (None, "2024-06-10")
    # and a second cancellation is a 409, changing nothing
    again = api_client.post(f"{URL}{registration.pk}/cancel/", {"cancelled_on": "2024-06-20"}, format="json")
    assert again.status_code == 409
    registration.refresh_from_db()
    assert registration.end_on == date(2024, 6, 10)


def test_cancelling_after_the_end_is_a_409_and_before_the_start_a_400(api_client, city_admin):
    member = make_member(admdvs=NANYANG)
    temporary = make_registration(member=member, kind="temporary", start_on=date(2024, 5, 1),
                                  end_on=date(2024, 5, 31))
    api_client.force_authenticate(city_admin)
    late = api_client.post(f"{URL}{temporary.pk}/cancel/", {"cancelled_on": "2024-06-01"}, format="json")
    early = api_client.post(f"{URL}{temporary.pk}/cancel/", {"cancelled_on": "2024-04-30"}, format="json")
    assert late.status_code == 409
    assert early.status_code == 400 and "cancelled_on" in early.json()
    # cancelling a temporary one before its end shortens it
    shortened = api_client.post(f"{URL}{temporary.pk}/cancel/", {"cancelled_on": "2024-05-10"}, format="json")
    assert shortened.status_code == 200 and shortened.json()["end_on"] == "2024-05-10"


def test_a_clerk_sees_and_registers_only_members_in_scope(api_client):
    # given a clerk of one Nanchang district and a member of another district
    clerk = make_staff(admdvs=NANCHANG, districts=["360102"])
    outsider = make_member(admdvs=NANCHANG, district="360103")
    registration = make_registration(member=outsider, kind="resettled")
    api_client.force_authenticate(clerk)
    # then the member's registrations are unknown to the clerk, and a registration for them is refused
    assert api_client.get(f"{URL}{registration.pk}/").status_code == 404
    assert api_client.get(URL, {"admdvs": NANCHANG, "certno": outsider.certno}).status_code == 404
    assert api_client.post(f"{URL}{registration.pk}/cancel/", {"cancelled_on": "2024-06-01"},
                           format="json").status_code == 404
    assert api_client.post(URL, body(outsider, kind="resettled"), format="json").status_code == 403


def test_cancelled_on_cannot_be_sent_on_a_registration(api_client, city_admin):
    member = make_member(admdvs=NANYANG)
    api_client.force_authenticate(city_admin)
    response = api_client.post(URL, body(member, cancelled_on="2024-06-01"), format="json")
    assert response.status_code == 400 and "cancelled_on" in response.json()
