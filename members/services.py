"""Member registration: every change goes through ``member_create`` / ``member_update``, validated as
a whole, written in one transaction together with its ``MemberChange`` audit row.

Sign-up requests live in ``members.signups`` (re-exported here).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policy.models import District, Region

from .models import Member, MemberChange
from .rules import member_fields_check
from .signups import signup_request  # noqa: F401  (the services of this app, one import path)

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
    """``members.rules`` on the member's fields (appending to ``errors`` by field name); the certno and
    name are set to their normal form, brdy/gend to what the certno says."""
    region_insutype = Region.objects.filter(pk=member.admdvs_id).values_list("insutype", flat=True).first()
    district_region = District.objects.filter(pk=member.district_id).values_list("region_id", flat=True).first()
    check = member_fields_check(
        certno=member.certno, psn_name=member.psn_name, admdvs=member.admdvs_id, insutype=member.insutype,
        psn_type=member.psn_type, district=member.district_id, enrolled_on=member.enrolled_on,
        retired_on=member.retired_on, contribution_base=member.contribution_base, status=member.status,
        left_on=member.left_on, chronic_diseases=member.chronic_diseases, resettled_on=member.resettled_on,
        region_insutype=region_insutype,
        district_region=district_region, today=_today())
    for name, messages in check.messages().items():
        errors.setdefault(name, []).extend(messages)
    member.psn_name = check.psn_name
    if check.certno is not None:
        member.certno, member.brdy, member.gend = check.certno, check.brdy, check.gend


def _duplicate(admdvs: str, certno: str) -> ValidationError:
    return ValidationError({"certno": [_("统筹区 %(r)s 已有身份证号为 %(c)s 的参保人") % {"r": admdvs, "c": certno}]})


def member_create(*, admdvs: str, certno: str, psn_name: str, insutype: str, psn_type: str, district: str,
                  enrolled_on: date, retired_on: date | None = None, contribution_base: Decimal | None = None,
                  poverty: bool = False, by=None) -> Member:
    """Register a member; ``brdy``/``gend`` come from the certno (GB 11643), never from the caller."""
    errors: dict[str, list[str]] = {}
    member = Member(admdvs_id=admdvs, certno=certno, psn_name=psn_name, insutype=insutype, psn_type=psn_type,
                    retired_on=retired_on, contribution_base=contribution_base, poverty=poverty, district_id=district,
                    enrolled_on=enrolled_on)
    _check_member(member, errors)
    if "certno" not in errors and "admdvs" not in errors and Member.objects.filter(
            admdvs_id=admdvs, certno=member.certno).exists():
        errors.setdefault("certno", []).append(_duplicate(admdvs, member.certno).message_dict["certno"][0])
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
            setattr(locked, "district_id" if name == "district" else name, value)
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
