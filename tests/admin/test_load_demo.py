"""load_demo: idempotent, deterministic, and --scale adds N members per region."""
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from members.certno import parse_certno
from members.models import Member, SignUp
from providers.models import Provider
from staff.models import StaffScope

pytestmark = pytest.mark.django_db


def counts():
    return (Provider.objects.count(), Member.objects.count(), SignUp.objects.count(),
            get_user_model().objects.count(), StaffScope.objects.count())


def test_given_empty_db_when_load_demo_runs_twice_then_second_run_creates_nothing():
    call_command("load_demo", stdout=open("/dev/null", "w"))
    first = counts()
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert counts() == first
    assert first[1] > 0 and first[2] > 0


def test_given_demo_then_every_region_has_providers_members_and_valid_certnos():
    call_command("load_demo", stdout=open("/dev/null", "w"))
    for admdvs in ("411300", "370300", "360700", "360100", "441600"):
        assert Member.objects.filter(admdvs_id=admdvs).exists()
    assert set(Provider.objects.values_list("kind", flat=True)) == set(Provider.Kind.values)
    assert set(Provider.objects.values_list("dedc_hosp_lv", flat=True)) == set(Provider.Level.values)
    assert Provider.objects.filter(status="suspended").exists()
    assert not Provider.objects.filter(kind="village", parent__isnull=True).exists()
    for certno in Member.objects.values_list("certno", flat=True):
        parse_certno(certno)
    assert set(SignUp.objects.values_list("member__admdvs", flat=True)) == {"360100", "441600"}
    assert SignUp.objects.filter(reason="address_change").exists()
    assert SignUp.objects.filter(family_doctor=True).exists()
    assert Member.objects.filter(admdvs_id="360100", poverty=True).exists()
    assert Member.objects.filter(retired_on__isnull=False).exists()


def test_given_demo_then_admin_and_one_scoped_clerk_per_district():
    call_command("load_demo", stdout=open("/dev/null", "w"))
    User = get_user_model()
    assert User.objects.get(username="admin").check_password("admin12345")
    clerk = User.objects.get(username="clerk_360102")
    assert clerk.is_staff and clerk.check_password("clerk12345") and clerk.has_perm("members.view_member")
    assert list(clerk.scope.districts.values_list("code", flat=True)) == ["360102"]


def test_given_demo_when_scale_n_then_n_more_members_per_region_with_valid_certnos():
    call_command("load_demo", stdout=open("/dev/null", "w"))
    before = dict((r, Member.objects.filter(admdvs_id=r).count()) for r in ("360100", "441600"))
    call_command("load_demo", "--scale", "30", "--batch-size", "7", stdout=open("/dev/null", "w"),
                 stderr=open("/dev/null", "w"))
    for admdvs, n in before.items():
        assert Member.objects.filter(admdvs_id=admdvs).count() == n + 30
    for certno in Member.objects.filter(admdvs_id="360100").values_list("certno", flat=True):
        parse_certno(certno)
    call_command("load_demo", "--scale", "30", stdout=open("/dev/null", "w"), stderr=open("/dev/null", "w"))
    assert Member.objects.filter(admdvs_id="360100").count() == before["360100"] + 60
