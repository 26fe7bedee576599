"""Demo data for the five regions: providers, members, sign-ups, staff users; and bulk members for benchmarks.

Deterministic (seeded ``random.Random``) and idempotent: every row is looked up by its natural key
(provider code, region + certno, username, member + provider + effective date) before it is created,
so a second run creates nothing. Demo sign-ups are written as history rows with the effective date
the region's rule gives (first: that day; address change: 1st of next month), like an import of past
records; new requests made by staff go through ``members.services.signup_request``.

``load_scale`` adds N members per region for benchmarks: rows are generated in batches and written
with COPY, so memory stays flat whatever N is.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from members.certno import make_certno
from members.models import Member, SignUp, first_of_next_month
from policy.models import District, Region
from providers.models import Provider
from staff.models import StaffScope
from staff.roles import AUDITOR, CITY_ADMIN, DISTRICT_CLERK, SETTLEMENT_APPROVER, roles_sync

SEED = 20240101
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华玉兰志强"
         "海燕文博子涵雨欣浩然梓轩欣怡思远晓东红梅春燕")
BASE_MEMBERS_PER_REGION = 24
# Bulk members use certno sequence numbers 500–999, the hand-made demo members 0–499: never the same.
SCALE_SEQ_BASE, SCALE_SEQ_SPAN = 500, 500
SCALE_DAYS, SCALE_STRIDE, SCALE_EPOCH = 29_000, 7_919, date(1936, 1, 1)


@dataclass
class DemoReport:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, created: bool) -> None:
        self.created[name] = self.created.get(name, 0) + int(created)


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


# --------------------------------------------------------------------------------------------------
# Providers
# --------------------------------------------------------------------------------------------------

def _provider(report: DemoReport, *, code: str, name: str, district: District, level: str, kind: str,
              parent: Provider | None = None, status: str = "active") -> Provider:
    provider, created = Provider.objects.get_or_create(fixmedins_code=code, defaults=dict(
        fixmedins_name=name, admdvs_id=district.region_id, district=district, dedc_hosp_lv=level, kind=kind,
        parent=parent, status=status, status_changed_on=date(2024, 3, 1) if status != "active" else None))
    report.add("providers", created)
    return provider


def demo_providers(report: DemoReport, region: Region, districts: list[District]) -> list[Provider]:
    """Every level and kind: centres and their village clinics in each district, hospitals, pharmacies."""
    providers = []
    for d in districts:
        urban = d.name.endswith("区")
        short = d.name[:-1] if len(d.name) > 2 else d.name
        centre_kind, centre_name = (("community", f"{short}街道社区卫生服务中心") if urban
                                    else ("township", f"{short}镇中心卫生院"))
        centre = _provider(report, code=f"H{d.code}001", name=centre_name, district=d, level="1", kind=centre_kind)
        township = _provider(report, code=f"H{d.code}002", name=f"{short}乡卫生院", district=d, level="1",
                             kind="township", status="suspended" if d == districts[-1] else "active")
        providers += [centre, township]
        for n in (1, 2):
            providers.append(_provider(report, code=f"H{d.code}1{n:02d}", name=f"{short}乡第{n}村卫生室",
                                       district=d, level="9", kind="village", parent=township))
    first, second, last = districts[0], districts[1 % len(districts)], districts[-1]
    city = region.name.rstrip("市")
    providers += [
        _provider(report, code=f"H{first.code}901", name=f"{city}市第一人民医院", district=first, level="3",
                  kind="hospital"),
        _provider(report, code=f"H{second.code}902", name=f"{city}市第二人民医院", district=second, level="2",
                  kind="hospital"),
        _provider(report, code=f"H{last.code}903", name=f"{last.name}中医院", district=last, level="2",
                  kind="county_tcm"),
        _provider(report, code=f"H{first.code}904", name=f"{city}市福寿养老院医务室", district=first, level="1",
                  kind="eldercare"),
        _provider(report, code=f"P{first.code}001", name=f"{city}市百姓大药房", district=first, level="9",
                  kind="pharmacy"),
        _provider(report, code=f"P{second.code}002", name=f"{city}市仁和药店", district=second, level="9",
                  kind="pharmacy", status="terminated"),
    ]
    return providers


# --------------------------------------------------------------------------------------------------
# Members and sign-ups
# --------------------------------------------------------------------------------------------------

def _member_values(rng: random.Random, region: Region, district: District, index: int) -> dict:
    resident = region.insutype == "390"
    birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 30_000 if resident else 22_000))
    certno = make_certno(area=district.code, birth=birth, sequence=index % SCALE_SEQ_BASE)
    gender = "1" if int(certno[16]) % 2 else "2"
    values = dict(psn_name=person_name(rng), insutype=region.insutype, district=district, brdy=birth, gend=gender,
                  enrolled_on=date(2015 + rng.randrange(0, 8), rng.randrange(1, 13), 1), poverty=False,
                  retired_on=None, contribution_base=None)
    if resident:
        values["psn_type"] = "1501" if birth.year >= 1960 else "1601"
        values["poverty"] = index % 6 == 0
    else:
        retired = birth.year < 1963
        values["psn_type"] = "1201" if retired else ("1103" if index % 7 == 0 else "1101")
        values["retired_on"] = birth.replace(year=birth.year + 60, day=min(birth.day, 28)) if retired else None
        values["contribution_base"] = Decimal(rng.randrange(3_500, 15_000)).quantize(Decimal("1.00"))
    return {"certno": certno, "values": values}


def demo_members(report: DemoReport, rng: random.Random, region: Region, districts: list[District]) -> list[Member]:
    members = []
    for index in range(BASE_MEMBERS_PER_REGION):
        district = districts[index % len(districts)]
        spec = _member_values(rng, region, district, index)
        member, created = Member.objects.get_or_create(admdvs=region, certno=spec["certno"], defaults=spec["values"])
        report.add("members", created)
        members.append(member)
    return members


def _signup(report: DemoReport, *, member: Member, provider: Provider, applied_on: date, reason: str,
            family_doctor: bool = False) -> None:
    effective = first_of_next_month(applied_on) if reason == "address_change" else applied_on
    _obj, created = SignUp.objects.get_or_create(
        member=member, provider=provider, effective_from=effective,
        defaults=dict(applied_on=applied_on, reason=reason, family_doctor=family_doctor))
    report.add("signups", created)


def demo_signups(report: DemoReport, rng: random.Random, region: Region, members: list[Member],
                 providers: list[Provider]) -> None:
    """First sign-ups for everyone, one address change, family-doctor agreements (Nanchang)."""
    kinds = region.rules.SIGNUP_PROVIDER_KINDS
    eligible = [p for p in providers if p.kind in kinds and p.status == "active"]
    for index, member in enumerate(members):
        local = [p for p in eligible if p.district_id == member.district_id] or eligible
        provider = local[index % len(local)]
        applied = date(2023, 1, 3) + timedelta(days=index * 5)
        _signup(report, member=member, provider=provider, applied_on=applied, reason="first",
                family_doctor=region.admdvs == "360100" and index % 3 == 0)
        if index == 1:
            moved = next(p for p in eligible if p.pk != provider.pk)
            _signup(report, member=member, provider=moved, applied_on=date(2023, 6, 15), reason="address_change")


# Destinations of the demo's out-of-area registrations: cities outside the five regions (广州, 上海).
REGISTRATION_DESTINATIONS = ("440100", "310100")


def demo_registrations(report: DemoReport, region: Region, members: list[Member]) -> None:
    """A few out-of-area registrations 异地就医备案 per region, of the kinds the region registers,
    through ``members.registrations.registration_create`` (its rules and the member's history). The
    last demo members get them (the ones the demo settlement visits least); a member that already
    has a registration is left alone, so a second run adds nothing."""
    from policy.rules.out_of_area import registered_kinds

    from .registrations import registration_create

    for offset, kind in enumerate(registered_kinds(region.admdvs)[:2]):
        member = members[-1 - offset]
        if member.out_of_area_registrations.exists():
            continue
        start = date(2024, 3, 1) if kind != "temporary" else date(2024, 6, 1)
        registration_create(admdvs=region.admdvs, certno=member.certno, kind=kind,
                            dest_admdvs=REGISTRATION_DESTINATIONS[offset % 2], start_on=start,
                            end_on=date(2024, 8, 31) if kind == "temporary" else None)
        report.add("registrations", True)


# --------------------------------------------------------------------------------------------------
# Staff users
# --------------------------------------------------------------------------------------------------

# The demo's logins (README, docs/staff.md). ``admin`` is the city administrator ROLE over every region,
# not a superuser (a superuser bypasses every permission and sees full certnos); the auditor alone sees
# full certnos; the approver approves the runs someone else computed. User management stays the
# superuser's (``manage.py createsuperuser``), as staff/roles.py explains.
DEMO_LOGINS = (("admin", "admin12345", CITY_ADMIN, "市级管理员"), ("auditor", "auditor12345", AUDITOR, "审计员"),
               ("approver", "approver12345", SETTLEMENT_APPROVER, "结算审批员"))


def demo_role_logins(report: DemoReport) -> None:
    User = get_user_model()
    for username, password, role, first_name in DEMO_LOGINS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username, f"{username}@example.com", password, first_name=first_name)
            report.add("users", True)
        # An older demo made ``admin`` a superuser: it becomes the role it is documented as.
        User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=False)
        user.groups.set([Group.objects.get(name=role)])
        StaffScope.objects.update_or_create(user=user, defaults={"region": None, "all_regions": True})


def demo_users(report: DemoReport) -> None:
    User = get_user_model()
    roles_sync()  # the roles as staff/roles.py defines them
    demo_role_logins(report)
    group = Group.objects.get(name=DISTRICT_CLERK)
    # One hash for the shared demo password: hashing is deliberately slow, 54 times would be seconds.
    clerk_password = make_password("clerk12345")
    for district in District.objects.select_related("region").order_by("code"):
        username = f"clerk_{district.code}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(username=username, password=clerk_password, is_staff=True,
                                       first_name=f"{district.name}经办员")
            report.add("users", True)
        user.groups.add(group)
        scope, created = StaffScope.objects.get_or_create(user=user, defaults={"region": district.region})
        if created:
            scope.districts.add(district)
        report.add("scopes", created)


def load_demo(*, seed: int = SEED) -> DemoReport:
    """The whole demo, in one transaction: all or nothing."""
    report = DemoReport()
    rng = random.Random(seed)
    with transaction.atomic():
        for region in Region.objects.order_by("admdvs"):
            districts = list(District.objects.filter(region=region).order_by("code"))
            providers = demo_providers(report, region, districts)
            members = demo_members(report, rng, region, districts)
            if region.has_signup:
                demo_signups(report, rng, region, members, providers)
            demo_registrations(report, region, members)
        demo_users(report)
    return report


# --------------------------------------------------------------------------------------------------
# Bulk members for benchmarks
# --------------------------------------------------------------------------------------------------

def scale_rows(region: Region, district_codes: list[str], start: int, count: int) -> Iterator[tuple]:
    """Members ``start … start+count-1`` of the region's bulk range, as column tuples.

    Index k maps one-to-one to (district, birth day, sequence), so every certno is distinct: the
    birth day walks a 29 000-day span with a stride coprime to it.
    """
    rng = random.Random(f"{SEED}-{region.admdvs}-{start}")
    resident = region.insutype == "390"
    per_day = SCALE_SEQ_SPAN * len(district_codes)
    now = timezone.now()
    for k in range(start, start + count):
        day_index, rest = divmod(k, per_day)
        district = district_codes[rest // SCALE_SEQ_SPAN]
        birth = SCALE_EPOCH + timedelta(days=(day_index * SCALE_STRIDE) % SCALE_DAYS)
        certno = make_certno(area=district, birth=birth, sequence=SCALE_SEQ_BASE + rest % SCALE_SEQ_SPAN)
        gend = "1" if int(certno[16]) % 2 else "2"
        if resident:
            psn_type, retired_on, base = ("1501" if birth.year >= 1960 else "1601"), None, None
        elif birth.year < 1963:
            psn_type, retired_on, base = "1201", date(birth.year + 60, birth.month, min(birth.day, 28)), None
        else:
            psn_type, retired_on, base = "1101", None, Decimal(3_500 + rng.randrange(0, 11_500))
        yield (region.admdvs, certno, person_name(rng), region.insutype, psn_type, retired_on, base,
               resident and k % 9 == 0, district, date(2015 + k % 9, 1 + k % 12, 1), birth, gend, "active",
               now, now)


SCALE_COLUMNS = ("admdvs", "certno", "psn_name", "insutype", "psn_type", "retired_on", "contribution_base",
                 "poverty", "district", "enrolled_on", "brdy", "gend", "status", "created_at", "updated_at")


def _copy_batch(rows: list[tuple]) -> int:
    """COPY a batch straight into the table (the fast path); if any of its certnos is already there
    (a re-run over deleted rows), go through a temporary table and skip the duplicates instead."""
    table = Member._meta.db_table
    columns = ", ".join(SCALE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE admdvs = %s AND certno = ANY(%s))",
                       [rows[0][0], [row[1] for row in rows]])
        if not cursor.fetchone()[0]:
            with cursor.copy(f"COPY {table} ({columns}, chronic_diseases) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + ("[]",))
            return len(rows)
        cursor.execute("SELECT to_regclass('pg_temp.demo_member_load')")
        if cursor.fetchone()[0] is None:
            cursor.execute(f"CREATE TEMP TABLE demo_member_load ON COMMIT DELETE ROWS"
                           f" AS SELECT {columns} FROM {table} WITH NO DATA")
        with cursor.copy(f"COPY demo_member_load ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {table} ({columns}, chronic_diseases) SELECT {columns}, '[]'::jsonb"
                       f" FROM demo_member_load ON CONFLICT (admdvs, certno) DO NOTHING")
        return cursor.rowcount


def load_scale(*, per_region: int, batch_size: int = 50_000,
               progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Add ``per_region`` bulk members to every region; returns the rows added per region."""
    added: dict[str, int] = {}
    for region in Region.objects.order_by("admdvs"):
        codes = list(District.objects.filter(region=region).order_by("code").values_list("code", flat=True))
        # Continue after the bulk members already there, so "--scale N" twice gives 2N.
        start = max(0, Member.objects.filter(admdvs=region).count() - BASE_MEMBERS_PER_REGION)
        added[region.admdvs] = 0
        for offset in range(0, per_region, batch_size):
            rows = list(scale_rows(region, codes, start + offset, min(batch_size, per_region - offset)))
            with transaction.atomic():
                added[region.admdvs] += _copy_batch(rows)
            if progress:
                progress(region.admdvs, added[region.admdvs])
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Member._meta.db_table}")
    return added
