"""Small builders for test data. Each test creates exactly what it needs (no seeded demo data).

The policy data migration has already created the five regions, their districts and the parameter
sets from RULES.md, so these builders only add providers, members, sign-ups and staff users.
"""
import itertools
from datetime import date

import pytest
from django.contrib.auth import get_user_model

from members.certno import make_certno
from members.models import Member, OutOfAreaRegistration, SignUp
from providers.models import Provider
from staff.models import StaffScope

REGION_DISTRICT = {"411300": "411302", "370300": "370302", "360700": "360702", "360100": "360102", "441600": "441602"}
REGION_INSUTYPE = {"411300": "310", "370300": "310", "360700": "310", "360100": "390", "441600": "310"}
_seq = itertools.count(1)


def make_provider(*, code: str | None = None, admdvs: str = "360100", level: str = "1", kind: str = "township",
                  parent: Provider | str | None = None, status: str = "active", district: str | None = None,
                  **extra) -> Provider:
    code = code or f"P{next(_seq):06d}"
    parent_code = parent.fixmedins_code if isinstance(parent, Provider) else parent
    return Provider.objects.create(
        fixmedins_code=code, fixmedins_name=f"测试机构{code}", admdvs_id=admdvs,
        # an out-of-area provider (admdvs not one of ours) gets a district of its city by prefix
        district_id=district or REGION_DISTRICT.get(admdvs) or admdvs[:4] + "01", dedc_hosp_lv=level, kind=kind,
        parent_id=parent_code, status=status, **extra)


def make_member(*, certno: str | None = None, admdvs: str = "360100", psn_type: str | None = None,
                birth: date = date(1970, 5, 1), retired_on: date | None = None, poverty: bool = False,
                district: str | None = None, enrolled_on: date = date(2015, 1, 1), name: str = "张三",
                **extra) -> Member:
    insutype = REGION_INSUTYPE[admdvs]
    psn_type = psn_type or ("1101" if insutype == "310" else "1501")
    if certno is None:
        certno = make_certno(area="360102", birth=birth, sequence=next(_seq) % 1000)
    from members.certno import parse_certno

    facts = parse_certno(certno)
    return Member.objects.create(
        admdvs_id=admdvs, certno=facts.certno, psn_name=name, insutype=insutype, psn_type=psn_type,
        retired_on=retired_on, poverty=poverty, district_id=district or REGION_DISTRICT[admdvs],
        enrolled_on=enrolled_on, brdy=facts.birth_date, gend=facts.gender, **extra)


def make_signup(*, member: Member, provider: Provider, effective_from: date, reason: str = "first",
                applied_on: date | None = None, family_doctor: bool = False) -> SignUp:
    """A sign-up row as history (bypasses the request rules; use the service to test those)."""
    return SignUp.objects.create(member=member, provider=provider, applied_on=applied_on or effective_from,
                                 reason=reason, family_doctor=family_doctor, effective_from=effective_from)


def make_registration(*, member: Member, kind: str = "long_term", dest_admdvs: str = "440100",
                      start_on: date = date(2024, 1, 1), end_on: date | None = None,
                      cancelled_on: date | None = None) -> OutOfAreaRegistration:
    """An out-of-area registration row as history (bypasses the rules; use members.registrations to test those)."""
    return OutOfAreaRegistration.objects.create(member=member, kind=kind, dest_admdvs=dest_admdvs, start_on=start_on,
                                                end_on=end_on, cancelled_on=cancelled_on)


def make_staff(*, username: str | None = None, admdvs: str | None = None, districts: list[str] = (),
               all_regions: bool = False, superuser: bool = False, perms: list[str] = (), groups: list[str] = ()):
    User = get_user_model()
    user = User.objects.create_user(username=username or f"staff{next(_seq)}", password="pw-123456",
                                    is_staff=True, is_superuser=superuser)
    if admdvs or all_regions:
        scope = StaffScope.objects.create(user=user, region_id=admdvs, all_regions=all_regions)
        if districts:
            scope.districts.set(districts)
    if perms:
        from django.contrib.auth.models import Permission

        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    if groups:
        from django.contrib.auth.models import Group

        for name in groups:
            user.groups.add(Group.objects.get(name=name))
    return User.objects.get(pk=user.pk)  # fresh: no cached permissions or scope


def make_claim_using(parameter_set, *, visit_date: date = date(2023, 3, 1), setl_id: str = "S-USED-1"):
    """One settled claim row recorded with ``parameter_set`` (written directly: the claims service is
    not under test where this is used, only the fact that a claim used the set)."""
    from datetime import datetime
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from claims.models import Claim

    member, provider = make_member(), make_provider()
    zero = Decimal("0.00")
    return Claim.objects.create(
        setl_id=setl_id, admdvs_id="360100", district_id="360102", member=member, provider=provider,
        charged_provider=provider, visit_at=datetime(visit_date.year, visit_date.month, visit_date.day, 9,
                                                     tzinfo=ZoneInfo("Asia/Shanghai")),
        visit_date=visit_date, medfee_sumamt=Decimal("100.00"), inscp_scp_amt=Decimal("100.00"),
        status="settled", act_pay_dedc=zero, pool_prop_selfpay=Decimal("0.6000"), hifp_pay=Decimal("60.00"),
        psn_part_amt=Decimal("40.00"), parameter_set=parameter_set)


@pytest.fixture
def city_admin(db):
    return make_staff(username="city_admin", all_regions=True, superuser=True)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
