"""Out-of-area registrations 异地就医备案: the one writer (RULES.md "Out-of-area care").

``registration_create`` and ``registration_cancel`` each change one member's registrations in one
transaction (a savepoint inside an import's all-or-nothing transaction, like sign-ups), with the
member's row locked (``SELECT ... FOR UPDATE``), so two concurrent requests for the same member see
each other and cannot both pass the overlap check. Each writes a
``MemberChange`` row, so the member's page shows who registered and cancelled what, and when.

Refusals (``ValidationError`` by field, a 400 in the API; a refused request changes nothing):
  kind          not one of resettled / long_term / temporary, or one the member's region does not
                register (Heyuan: long-term kinds only, 第五条(三); Nanchang: resettled only, 第三十一条)
  dest_admdvs   not a city-level code, or the member's own region
  end_on        before start_on; missing on a temporary registration
  start_on      the period overlaps another registration of the member (at most one in force a day)
A cancellation on a day after the registration already ended is a ``Conflict`` (409); a
cancellation day before ``start_on`` is refused on ``cancelled_on``.
"""
from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from config.errors import Conflict
from policy.rules import REGIONS
from policy.rules.out_of_area import is_city_code, registered_kinds

from .models import Member, MemberChange, OutOfAreaRegistration
from .selectors import certno_normalise

KINDS = OutOfAreaRegistration.Kind


def _snapshot(registration: OutOfAreaRegistration) -> dict:
    def day(value: date | None) -> str | None:
        return value.isoformat() if value else None
    return {"registration": registration.pk, "kind": registration.kind, "dest_admdvs": registration.dest_admdvs,
            "start_on": day(registration.start_on), "end_on": day(registration.end_on),
            "cancelled_on": day(registration.cancelled_on)}


def registration_problems(*, member: Member, kind: str, dest_admdvs: str, start_on: date,
                          end_on: date | None) -> dict[str, list[str]]:
    """Every rule a new registration must pass except the overlap (which needs the lock)."""
    errors: dict[str, list[str]] = {}
    region = member.admdvs_id
    if kind not in KINDS.values:
        errors["kind"] = [_("备案类别只能是 %(v)s") % {"v": ", ".join(KINDS.values)}]
    elif kind not in registered_kinds(region):
        allowed = "、".join(str(KINDS(k).label) for k in registered_kinds(region))
        errors["kind"] = [_("统筹区 %(r)s 不办理“%(k)s”备案（只办理：%(a)s）") % {
            "r": region, "k": KINDS(kind).label, "a": allowed}]
    if not is_city_code(dest_admdvs or ""):
        errors["dest_admdvs"] = [_("就医地 %(d)s 不是地市级行政区划代码（6位数字，以00结尾）") % {"d": dest_admdvs}]
    elif dest_admdvs == region:
        errors["dest_admdvs"] = [_("就医地不能是参保人所在统筹区 %(r)s") % {"r": region}]
    if end_on is not None and end_on < start_on:
        errors["end_on"] = [_("结束日期 %(e)s 不能早于开始日期 %(s)s") % {"e": end_on, "s": start_on}]
    elif end_on is None and kind == KINDS.TEMPORARY:
        errors["end_on"] = [_("临时外出就医备案必须填写结束日期")]
    return errors


def _overlapping(member: Member, start_on: date, end_on: date | None):
    clash = OutOfAreaRegistration.objects.filter(member=member).exclude(end_on__lt=start_on)
    if end_on is not None:
        clash = clash.filter(start_on__lte=end_on)
    return clash.order_by("start_on", "id").first()


def registration_create(*, admdvs: str, certno: str, kind: str, dest_admdvs: str, start_on: date,
                        end_on: date | None = None, by=None) -> OutOfAreaRegistration:
    """Register a member's out-of-area care, or refuse it with every reason by field."""
    if admdvs not in REGIONS:
        raise ValidationError({"admdvs": [_("统筹区 %(r)s 不存在") % {"r": admdvs}]})
    member = Member.objects.filter(admdvs_id=admdvs, certno=certno_normalise(certno)).first()
    if member is None:
        raise ValidationError({"certno": [_("统筹区 %(r)s 没有该身份证号的参保人") % {"r": admdvs}]})
    errors = registration_problems(member=member, kind=kind, dest_admdvs=dest_admdvs, start_on=start_on,
                                   end_on=end_on)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        clash = _overlapping(member, start_on, end_on)
        if clash is not None:
            raise ValidationError({"start_on": [_("与该参保人已有的备案重叠：%(c)s；同一天只能有一个有效备案") % {
                "c": str(clash)}]})
        registration = OutOfAreaRegistration.objects.create(
            member=member, kind=kind, dest_admdvs=dest_admdvs, start_on=start_on, end_on=end_on, created_by=by)
        MemberChange.objects.create(member=member, changed_by=by, action="oar_register", before={},
                                    after=_snapshot(registration))
    return registration


def registration_cancel(*, registration_id: int, cancelled_on: date, by=None) -> OutOfAreaRegistration:
    """取消备案: ``end_on`` (and ``cancelled_on``) become the cancellation day. A registration that
    had already ended before that day (by its end date or an earlier cancellation) is a 409.

    CONTRACT.md answers 409 only "if already ended before that day", so a cancelled registration
    cancelled again on its cancellation day is answered 200 unchanged (a retried request), and on
    an earlier day moves its end there (a clerk correcting the day; visits already settled are not
    re-adjudicated, as after a reversal)."""
    with transaction.atomic():
        found = OutOfAreaRegistration.objects.filter(pk=registration_id).values_list("member_id", flat=True).first()
        if found is None:
            raise OutOfAreaRegistration.DoesNotExist(registration_id)
        Member.objects.select_for_update().filter(pk=found).first()  # serialise with the member's other writes
        registration = OutOfAreaRegistration.objects.get(pk=registration_id)
        before = _snapshot(registration)
        if registration.end_on is not None and registration.end_on < cancelled_on:
            if registration.cancelled_on is not None:
                raise Conflict(_("该备案已于 %(e)s 取消，不能在 %(d)s 再取消") % {
                    "e": registration.cancelled_on, "d": cancelled_on}, code="already_cancelled")
            raise Conflict(_("该备案已于 %(e)s 结束，不能在 %(d)s 取消") % {
                "e": registration.end_on, "d": cancelled_on}, code="already_ended")
        if registration.cancelled_on == cancelled_on:
            return registration
        if cancelled_on < registration.start_on:
            raise ValidationError({"cancelled_on": [_("取消日期 %(d)s 不能早于备案开始日期 %(s)s") % {
                "d": cancelled_on, "s": registration.start_on}]})
        registration.end_on = registration.cancelled_on = cancelled_on
        registration.cancelled_by = by
        registration.save(update_fields=["end_on", "cancelled_on", "cancelled_by"])
        MemberChange.objects.create(member_id=registration.member_id, changed_by=by, action="oar_cancel",
                                    before=before, after=_snapshot(registration))
    return registration
