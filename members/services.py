"""Member registration: every change goes through ``member_create`` / ``member_update``, validated as
a whole, written in one transaction together with its ``MemberChange`` audit row.

Sign-up requests live in ``members.signups`` (re-exported here).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policy.models import District, Region

from .certno import CertnoError, parse_certno
from .models import Member, MemberChange
from .signups import signup_request  # noqa: F401  (the services of this app, one import path)

# psn_type prefixes allowed per scheme (national codes): 310 employee = 11xx employed / 12xx retired;
# 390 resident = 14xx / 15xx / 16xx.
PSN_TYPE_PREFIXES = {"310": ("11", "12"), "390": ("14", "15", "16")}
RETIRED_PREFIX = "12"

# Fields staff may change after registration; certno and admdvs identify the member and never change
# (a move to another region is a new enrolment there).
UPDATABLE_FIELDS = ("psn_name", "insutype", "psn_type", "retired_on", "contribution_base", "poverty", "district",
                    "enrolled_on", "status", "left_on", "resettled_on", "chronic_diseases")
AUDITED_FIELDS = ("admdvs_id", "certno", "brdy", "gend") + tuple(
    f + "_id" if f == "district" else f for f in UPDATABLE_FIELDS)


def _today() -> date:
    return timezone.localdate()


def member_snapshot(member: Member) -> dict[str, Any]:
    """JSON-safe copy of the audited fields (dates ISO, money as strings)."""
    def plain(value):
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        return value
    return {name.removesuffix("_id"): plain(getattr(member, name)) for name in AUDITED_FIELDS}


def _check_member(member: Member, errors: dict[str, list[str]]) -> None:
    """Rules that tie the member's fields together; appends to ``errors`` by field name."""
    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    today = _today()
    region = Region.objects.filter(pk=member.admdvs_id).first()
    if region is None:
        add("admdvs", _("统筹区 %(r)s 不存在") % {"r": member.admdvs_id})
    if not (member.psn_name or "").strip():
        add("psn_name", _("姓名不能为空"))
    if region is not None and member.insutype != region.insutype:
        add("insutype", _("险种 %(t)s 与统筹区 %(r)s 的险种 %(e)s 不符") % {
            "t": member.insutype, "r": region.admdvs, "e": region.insutype})
    prefixes = PSN_TYPE_PREFIXES.get(member.insutype)
    if prefixes is None:
        add("insutype", _("险种只能是 310（职工医保）或 390（城乡居民医保）"))
    elif not (len(member.psn_type or "") == 4 and member.psn_type.isdigit()
              and member.psn_type[:2] in prefixes):
        add("psn_type", _("人员类别 %(p)s 不适用于险种 %(t)s（应为 %(ok)s 开头的4位代码）") % {
            "p": member.psn_type, "t": member.insutype, "ok": "/".join(f"{p}xx" for p in prefixes)})
    if member.retired_on is not None:
        if not (member.psn_type or "").startswith(RETIRED_PREFIX) or member.insutype != "310":
            add("retired_on", _("只有退休人员（人员类别12xx）才能填写退休办理日期"))
        elif member.retired_on > today:
            add("retired_on", _("退休办理日期不能晚于今天"))
        elif member.brdy and member.retired_on < member.brdy:
            add("retired_on", _("退休办理日期不能早于出生日期"))
    district = District.objects.filter(pk=member.district_id).first()
    if district is None:
        add("district", _("县区 %(d)s 不存在") % {"d": member.district_id})
    elif district.region_id != member.admdvs_id:
        add("district", _("县区 %(d)s 不属于统筹区 %(r)s") % {"d": member.district_id, "r": member.admdvs_id})
    if member.contribution_base is not None and member.contribution_base < 0:
        add("contribution_base", _("缴费基数不能为负数"))
    if member.enrolled_on is None:
        add("enrolled_on", _("请填写参保日期"))
    elif member.brdy and member.enrolled_on < member.brdy:
        add("enrolled_on", _("参保日期不能早于出生日期"))
    if member.status not in Member.Status.values:
        add("status", _("参保状态只能是 %(s)s") % {"s": ", ".join(Member.Status.values)})
    if member.left_on is not None and member.left_on > today:
        add("left_on", _("终止参保日期不能晚于今天"))
    if member.status in (Member.Status.LEFT, Member.Status.DECEASED) and member.left_on is None:
        add("left_on", _("终止参保或死亡时须填写终止参保日期"))
    if not isinstance(member.chronic_diseases, list):
        add("chronic_diseases", _("门诊慢特病认定应为病种代码列表"))


def _duplicate(admdvs: str, certno: str) -> ValidationError:
    return ValidationError({"certno": [_("统筹区 %(r)s 已有身份证号为 %(c)s 的参保人") % {"r": admdvs, "c": certno}]})


def member_create(*, admdvs: str, certno: str, psn_name: str, insutype: str, psn_type: str, district: str,
                  enrolled_on: date, retired_on: date | None = None, contribution_base: Decimal | None = None,
                  poverty: bool = False, by=None) -> Member:
    """Register a member; ``brdy``/``gend`` come from the certno (GB 11643), never from the caller."""
    errors: dict[str, list[str]] = {}
    try:
        facts = parse_certno(certno)
    except CertnoError as exc:
        errors["certno"] = [str(exc)]
        facts = None
    member = Member(admdvs_id=admdvs, certno=facts.certno if facts else certno, psn_name=(psn_name or "").strip(),
                    insutype=insutype, psn_type=psn_type, retired_on=retired_on, contribution_base=contribution_base,
                    poverty=poverty, district_id=district, enrolled_on=enrolled_on,
                    brdy=facts.birth_date if facts else None, gend=facts.gender if facts else "")
    _check_member(member, errors)
    if facts and "admdvs" not in errors and Member.objects.filter(admdvs_id=admdvs, certno=facts.certno).exists():
        errors.setdefault("certno", []).append(_duplicate(admdvs, facts.certno).message_dict["certno"][0])
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            member.save()
            MemberChange.objects.create(member=member, changed_by=by, action="create", before={},
                                        after=member_snapshot(member))
    except IntegrityError:
        # Two requests for the same person raced past the check above; the unique constraint decides.
        raise _duplicate(admdvs, member.certno) from None
    return member


def member_lock(*, member_id: int) -> Member:
    """The member row, locked until the end of the transaction (sign-ups and updates serialise on it)."""
    return Member.objects.select_for_update().get(pk=member_id)


def member_update(*, member: Member, data: Mapping[str, Any], by=None) -> Member:
    """Apply ``data`` (a subset of UPDATABLE_FIELDS) to the member; one audit row if anything changed."""
    errors: dict[str, list[str]] = {}
    for name in data:
        if name in ("certno", "admdvs"):
            if name == "certno" and str(data[name] or "").strip().upper() == member.certno:
                continue
            if name == "admdvs" and data[name] == member.admdvs_id:
                continue
            errors[name] = [_("身份证号和统筹区不可修改；转入其他统筹区请重新参保登记")]
        elif name in ("brdy", "gend"):
            errors[name] = [_("出生日期和性别由身份证号推导，不可修改")]
        elif name not in UPDATABLE_FIELDS:
            errors[name] = [_("未知字段")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = member_lock(member_id=member.pk)
        before = member_snapshot(locked)
        for name, value in data.items():
            if name in ("certno", "admdvs"):
                continue
            setattr(locked, "district_id" if name == "district" else name,
                    (value or "").strip() if name == "psn_name" else value)
        _check_member(locked, errors)
        if errors:
            raise ValidationError(errors)
        after = member_snapshot(locked)
        changed = {k for k in after if after[k] != before[k]}
        if changed:
            locked.save()
            MemberChange.objects.create(member=locked, changed_by=by, action="update",
                                        before={k: before[k] for k in sorted(changed)},
                                        after={k: after[k] for k in sorted(changed)})
    return locked
