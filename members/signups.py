"""Sign-up requests 签约 (Nanchang 第六–九条) / selection 选点 (Heyuan 第十六–十八条).

RULES.md "Sign-up requests": a request carries the day it is made and a reason; the effective date
is computed here, never given:

  first               no earlier sign-up                          -> that day
  annual              inside the region's selection window         -> 1 January of the next year
                      (ParameterSet selection_window_start/_end: Nanchang 10-01..12-31, Heyuan 09-01..12-31)
  address_change      needs a sign-up in effect on the request day -> 1st of the next month
  provider_suspended  only while that sign-up's provider is suspended or terminated -> that day

Readings (where RULES.md is silent):
  * ``annual`` needs an earlier sign-up (it is a re-selection, 第九条/第十八条); a member with none
    uses ``first``, which takes effect at once.
  * "Same provider as the current one" compares with the sign-up that would be in effect on the new
    effective date, so an annual request may undo an earlier annual request of the same window.
  * Requests are recorded in the order they are made: one dated before the member's latest
    recorded request is refused (the history stays append-only and readable).
  * ``family_doctor``: only a region whose parameters carry ``family_doctor_bonus`` (Nanchang 第十四条)
    knows a family-doctor agreement. Heyuan has no such benefit, so ``family_doctor=true`` there is
    refused rather than stored and silently ignored.
"""
from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policy.models import Region
from policy.rules import REGIONS
from policy.rules.out_of_area import OUT_OF_CITY_SELECTION
from policy.selectors import parameters_in_force
from providers.models import Provider

from .models import Member, OutOfAreaRegistration, SignUp, first_of_next_month
from .selectors import certno_normalise, registration_in_force, signup_in_effect

INACTIVE_PROVIDER = (Provider.Status.SUSPENDED, Provider.Status.TERMINATED)


class _Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


def signup_effective_from(*, reason: str, applied_on: date) -> date:
    """The effective date a reason gives a request made on ``applied_on`` (same in both regions)."""
    if reason == SignUp.Reason.ANNUAL:
        return date(applied_on.year + 1, 1, 1)
    if reason == SignUp.Reason.ADDRESS_CHANGE:
        return first_of_next_month(applied_on)
    return applied_on


def signup_provider_problems(*, provider: Provider, region: Region, out_of_city: bool = False) -> list[str]:
    """Why ``provider`` cannot be signed up with in ``region`` (empty when it can). ``out_of_city``:
    a provider of another city may be chosen (Heyuan 第十六条; the registration it needs is checked
    by ``signup_request`` against the effective day)."""
    allowed = REGIONS[region.admdvs].SIGNUP_PROVIDER_KINDS
    if provider.admdvs_id != region.admdvs and not (out_of_city and region.admdvs in OUT_OF_CITY_SELECTION):
        return [_("机构 %(c)s 属于统筹区 %(o)s，不能在统筹区 %(r)s 签约") % {
            "c": provider.fixmedins_code, "o": provider.admdvs_id, "r": region.admdvs}]
    if provider.status != Provider.Status.ACTIVE:
        return [_("机构 %(c)s 状态为“%(s)s”，不能签约") % {
            "c": provider.fixmedins_code, "s": provider.get_status_display()}]
    if provider.kind == Provider.Kind.VILLAGE and provider.kind not in allowed:
        return [_("村卫生室是其乡镇卫生院/社区中心（%(p)s）的服务点，请与该中心签约") % {"p": provider.parent_id}]
    if provider.kind not in allowed:
        return [_("“%(k)s”类机构不能作为签约/选点机构（允许：%(a)s）") % {
            "k": provider.get_kind_display(), "a": ", ".join(allowed)}]
    return []


def _check_window(*, region: Region, applied_on: date, errors: _Errors) -> None:
    found = parameters_in_force(admdvs=region.admdvs, day=applied_on)
    if found is None:
        errors.add("applied_on", _("%(d)s 统筹区 %(r)s 没有生效的政策参数") % {"d": applied_on, "r": region.admdvs})
        return
    params = found[1]
    start, end = params.get("selection_window_start"), params.get("selection_window_end")
    if not (start <= (applied_on.month, applied_on.day) <= end):
        errors.add("reason", _("年度重新选择只能在每年 %(s)s 至 %(e)s 申请（申请日期 %(d)s）") % {
            "s": "{:02d}-{:02d}".format(*start), "e": "{:02d}-{:02d}".format(*end), "d": applied_on})


def _check_reason(*, member: Member, region: Region, reason: str, applied_on: date, errors: _Errors) -> None:
    """The reason's own conditions, against the member's history (member row already locked)."""
    current = signup_in_effect(member=member, day=applied_on)
    has_any = SignUp.objects.filter(member=member).exists()
    if reason == SignUp.Reason.FIRST and has_any:
        errors.add("reason", _("该参保人已签约，年度内只能因住址变更或原机构暂停/终止而变更，"
                               "或在年度选择期内申请下一年度的签约"))
    elif reason == SignUp.Reason.ANNUAL:
        if not has_any:
            errors.add("reason", _("该参保人尚未签约，请以“首次签约”办理，当日生效"))
        _check_window(region=region, applied_on=applied_on, errors=errors)
    elif reason in (SignUp.Reason.ADDRESS_CHANGE, SignUp.Reason.PROVIDER_SUSPENDED) and current is None:
        errors.add("reason", _("%(d)s 该参保人没有生效的签约，无从变更；请以“首次签约”办理") % {"d": applied_on})
    elif reason == SignUp.Reason.PROVIDER_SUSPENDED and current.provider.status not in INACTIVE_PROVIDER:
        errors.add("reason", _("当前签约机构 %(c)s 未被暂停或终止，不能以此理由变更") % {
            "c": current.provider.fixmedins_code})
    elif (reason == SignUp.Reason.PROVIDER_SUSPENDED and current.provider.status_changed_on
          and applied_on < current.provider.status_changed_on):
        errors.add("applied_on", _("当前签约机构 %(c)s 自 %(d)s 起才暂停/终止，申请日期不能早于该日") % {
            "c": current.provider.fixmedins_code, "d": current.provider.status_changed_on})


def _check_out_of_city(*, member: Member, provider: Provider, reason: str, effective_from: date,
                       errors: _Errors) -> None:
    """Heyuan 第十六条 (RULES.md "Heyuan out-of-city selection"): a provider out of the city only
    with a long-term (``long_term`` / ``resettled``) registration in force on the sign-up's effective
    day whose destination is the provider's city, by an ordinary request (``first``, ``annual`` in
    the window, or ``address_change``). One selection at a time: it replaces the in-city one."""
    if reason == SignUp.Reason.PROVIDER_SUSPENDED:
        errors.add("reason", _("市外选点只能以首次选点、年度选点或住址变更办理"))
    registration = registration_in_force(member=member, day=effective_from)
    if registration is None or registration.kind == OutOfAreaRegistration.Kind.TEMPORARY:
        errors.add("fixmedins_code", _("机构 %(c)s 在市外（%(a)s）：%(d)s 该参保人没有有效的异地长期居住/异地安置备案，"
                                       "不能在市外选点") % {"c": provider.fixmedins_code, "a": provider.admdvs_id,
                                                          "d": effective_from})
    elif registration.dest_admdvs != provider.admdvs_id:
        errors.add("fixmedins_code", _("机构 %(c)s 在 %(a)s，不在该参保人异地备案的就医地 %(r)s") % {
            "c": provider.fixmedins_code, "a": provider.admdvs_id, "r": registration.dest_admdvs})


def signup_request(*, admdvs: str, certno: str, fixmedins_code: str, applied_on: date, reason: str,
                   family_doctor: bool = False, by=None) -> SignUp:
    """Record a sign-up request after checking every rule; refuse with the reason otherwise."""
    errors = _Errors()
    region = Region.objects.filter(pk=admdvs).first()
    if region is None:
        raise ValidationError({"admdvs": [_("统筹区 %(r)s 不存在") % {"r": admdvs}]})
    if not region.has_signup:
        raise ValidationError({"admdvs": [_("统筹区 %(r)s 不实行门诊签约/选点，任何定点机构均可就医") % {
            "r": region.admdvs}]})
    if reason not in SignUp.Reason.values:
        errors.add("reason", _("原因只能是 %(v)s") % {"v": ", ".join(SignUp.Reason.values)})
    member = Member.objects.filter(admdvs_id=admdvs, certno=certno_normalise(certno)).first()
    if member is None:
        errors.add("certno", _("统筹区 %(r)s 没有该身份证号的参保人") % {"r": admdvs})
    elif member.status != Member.Status.ACTIVE:
        errors.add("certno", _("参保人状态为“%(s)s”，不能签约") % {"s": member.get_status_display()})
    provider = Provider.objects.filter(fixmedins_code=fixmedins_code).first()
    if provider is None:
        errors.add("fixmedins_code", _("定点机构 %(c)s 不存在") % {"c": fixmedins_code})
    else:
        for problem in signup_provider_problems(provider=provider, region=region, out_of_city=True):
            errors.add("fixmedins_code", problem)
    if applied_on > timezone.localdate():
        errors.add("applied_on", _("申请日期不能晚于今天"))
    elif member is not None and applied_on < member.enrolled_on:
        errors.add("applied_on", _("申请日期早于参保日期 %(d)s") % {"d": member.enrolled_on})
    if family_doctor and "family_doctor_bonus" not in REGIONS[region.admdvs].PARAMETERS:
        errors.add("family_doctor", _("统筹区 %(r)s 没有家庭医生签约待遇，不能登记家庭医生签约") % {"r": region.admdvs})
    errors.raise_if_any()

    with transaction.atomic():
        # Concurrent requests for one member serialise here, so each sees the other's result.
        member = Member.objects.select_for_update().get(pk=member.pk)
        latest = SignUp.objects.filter(member=member).order_by("-applied_on").values_list("applied_on", flat=True)[:1]
        if latest and applied_on < latest[0]:
            errors.add("applied_on", _("申请日期早于该参保人最近一次签约申请（%(d)s）") % {"d": latest[0]})
        effective_from = signup_effective_from(reason=reason, applied_on=applied_on)
        _check_reason(member=member, region=region, reason=reason, applied_on=applied_on, errors=errors)
        if provider.admdvs_id != region.admdvs:
            _check_out_of_city(member=member, provider=provider, reason=reason, effective_from=effective_from,
                               errors=errors)
        previous = signup_in_effect(member=member, day=effective_from)
        if not errors and previous is not None and previous.provider_id == provider.pk:
            errors.add("fixmedins_code", _("%(d)s 起该参保人的签约机构已是 %(c)s") % {
                "d": effective_from, "c": provider.fixmedins_code})
        errors.raise_if_any()
        return SignUp.objects.create(member=member, provider=provider, applied_on=applied_on, reason=reason,
                                     family_doctor=family_doctor, effective_from=effective_from, created_by=by)
