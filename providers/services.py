"""Provider registration, status changes and the reassignment of a suspended provider's members."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.parsing import ParseError, code_normalise, code_parse, text_normalise

from policy.models import District, Region
from policy.rules.out_of_area import is_city_code

from .models import Provider
from .selectors import provider_nearest_replacement

logger = logging.getLogger(__name__)

UPDATABLE_FIELDS = ("fixmedins_name", "district", "dedc_hosp_lv", "kind", "parent_code", "status",
                    "latitude", "longitude")
INACTIVE = (Provider.Status.SUSPENDED, Provider.Status.TERMINATED)


def _check_provider(provider: Provider, errors: dict[str, list[str]]) -> None:
    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    try:
        # The one normalisation of codes (config.parsing): a full-width code typed in the admin is the
        # same clinic as the ASCII one the import or the API registered.
        provider.fixmedins_code = code_parse(provider.fixmedins_code, max_length=30)
    except ParseError as exc:
        add("fixmedins_code", _("定点机构编码：%(m)s") % {"m": exc.message})
    provider.fixmedins_name = text_normalise(provider.fixmedins_name)
    if not provider.fixmedins_name:
        add("fixmedins_name", _("请填写定点机构名称"))
    if provider.out_of_area:
        _check_out_of_area_codes(provider, add)
    else:
        region = Region.objects.filter(pk=provider.admdvs_id).first()
        if region is None:
            add("admdvs", _("统筹区 %(r)s 不存在") % {"r": provider.admdvs_id})
        district = District.objects.filter(pk=provider.district_id).first()
        if district is None:
            add("district", _("县区 %(d)s 不存在") % {"d": provider.district_id})
        elif region is not None and district.region_id != region.pk:
            add("district", _("县区 %(d)s 不属于统筹区 %(r)s") % {"d": provider.district_id, "r": region.pk})
    if provider.dedc_hosp_lv not in Provider.Level.values:
        add("dedc_hosp_lv", _("等级只能是 %(v)s") % {"v": ", ".join(Provider.Level.values)})
    if provider.kind not in Provider.Kind.values:
        add("kind", _("类别只能是 %(v)s") % {"v": ", ".join(Provider.Kind.values)})
    if provider.status not in Provider.Status.values:
        add("status", _("状态只能是 %(v)s") % {"v": ", ".join(Provider.Status.values)})
    if provider.latitude is not None and not (-90 <= provider.latitude <= 90):
        add("latitude", _("纬度应在 -90 至 90 之间"))
    if provider.longitude is not None and not (-180 <= provider.longitude <= 180):
        add("longitude", _("经度应在 -180 至 180 之间"))
    if provider.parent_id and provider.parent_id == provider.fixmedins_code:
        add("parent_code", _("上级中心不能是机构自身"))
    if not errors:
        # The village-clinic/centre rules live on the model (also used by the admin form).
        try:
            provider.clean()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)


def _check_out_of_area_codes(provider: Provider, add) -> None:
    """异地定点机构 (RULES.md "Out-of-area care"): ``admdvs`` a city-level GB/T 2260 code (6 digits
    ending in 00, not a province code ending in 0000), ``district`` 6 digits with the same first
    four. districts.csv lists only our five regions, so the district is checked by its prefix."""
    admdvs, district = provider.admdvs_id or "", provider.district_id or ""
    if not is_city_code(admdvs):
        add("admdvs", _("统筹区 %(r)s 不是地市级行政区划代码（6位数字，以00结尾）") % {"r": admdvs})
    if not (len(district) == 6 and district.isdigit()):
        add("district", _("县区 %(d)s 应为6位数字") % {"d": district})
    elif is_city_code(admdvs) and district[:4] != admdvs[:4]:
        add("district", _("县区 %(d)s 不在统筹区 %(r)s 内（前四位应相同）") % {"d": district, "r": admdvs})


def _duplicate(code: str) -> ValidationError:
    return ValidationError({"fixmedins_code": [_("定点机构编码 %(c)s 已存在") % {"c": code}]})


def provider_create(*, fixmedins_code: str, fixmedins_name: str, admdvs: str, district: str, dedc_hosp_lv: str,
                    kind: str, parent_code: str | None = None, status: str = Provider.Status.ACTIVE,
                    latitude: Decimal | None = None, longitude: Decimal | None = None, by=None) -> Provider:
    code = code_normalise(fixmedins_code)
    provider = Provider(fixmedins_code=code, fixmedins_name=(fixmedins_name or "").strip(), admdvs_id=admdvs,
                        district_id=district, dedc_hosp_lv=dedc_hosp_lv, kind=kind, parent_id=parent_code or None,
                        status=status, latitude=latitude, longitude=longitude)
    if status != Provider.Status.ACTIVE:
        provider.status_changed_on = timezone.localdate()
    errors: dict[str, list[str]] = {}
    _check_provider(provider, errors)
    if code and Provider.objects.filter(fixmedins_code=code).exists():
        errors.setdefault("fixmedins_code", []).extend(_duplicate(code).messages)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            provider.save()
    except IntegrityError:
        raise _duplicate(code) from None
    return provider


def provider_lock(*, provider_id: int) -> Provider:
    return Provider.objects.select_for_update().get(pk=provider_id)


def provider_update(*, provider: Provider, data: Mapping[str, Any], by=None) -> Provider:
    """Apply ``data``; a status change records ``status_changed_on`` (today unless given)."""
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        if name == "fixmedins_code" and value != provider.fixmedins_code:
            errors[name] = [_("定点机构编码不可修改")]
        elif name == "admdvs" and value != provider.admdvs_id:
            errors[name] = [_("统筹区不可修改")]
        elif name not in UPDATABLE_FIELDS + ("fixmedins_code", "admdvs", "status_changed_on"):
            errors[name] = [_("未知字段")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = provider_lock(provider_id=provider.pk)
        old_status = locked.status
        for name in UPDATABLE_FIELDS:
            if name in data:
                attribute = {"district": "district_id", "parent_code": "parent_id"}.get(name, name)
                setattr(locked, attribute, data[name] or None if name == "parent_code" else data[name])
        if locked.status != old_status:
            locked.status_changed_on = data.get("status_changed_on") or timezone.localdate()
            if locked.status_changed_on > timezone.localdate():
                errors["status_changed_on"] = [_("状态变更日期不能晚于今天")]
        _check_provider(locked, errors)
        if errors:
            raise ValidationError(errors)
        locked.save()
    return locked


def provider_set_status(*, provider: Provider, status: str, on: date, by=None) -> Provider:
    """Suspend, terminate or reactivate a provider as of ``on`` (its members are moved separately,
    by ``provider_members_reassign``, so the agency can announce the change first)."""
    updated = provider_update(provider=provider, data={"status": status, "status_changed_on": on}, by=by)
    logger.info("provider %s status %s on %s by %s", provider.fixmedins_code, status, on, by)
    return updated


# Regions whose agency assigns the nearest provider itself when a signed provider is suspended or its
# agreement ends (Nanchang 第八条(二): 县（区）医疗保险经办机构...就近选定). Heyuan members choose themselves.
AGENCY_ASSIGNS_NEAREST = frozenset({"360100"})


def _reassignment_target(*, provider: Provider, on: date, target: Provider | None) -> Provider:
    """The provider the members move to, or a ValidationError naming what stands in the way."""
    from members.signups import signup_provider_problems

    errors: dict[str, list[str]] = {}
    if provider.status not in INACTIVE:
        errors["provider"] = [_("机构 %(c)s 未被暂停或终止，无需重新分配") % {"c": provider.fixmedins_code}]
    elif provider.status_changed_on and on < provider.status_changed_on:
        errors["on"] = [_("分配日期早于机构状态变更日期 %(d)s") % {"d": provider.status_changed_on}]
    if on > timezone.localdate():
        errors.setdefault("on", []).append(_("分配日期不能晚于今天"))
    if target is None and not errors:
        if provider.admdvs_id not in AGENCY_ASSIGNS_NEAREST:
            errors["target"] = [_("统筹区 %(r)s 由参保人自行选点，请指定新机构") % {"r": provider.admdvs_id}]
        else:
            target = provider_nearest_replacement(provider=provider)
            if target is None:
                errors["target"] = [_("县区 %(d)s 没有可接收签约的正常定点机构") % {"d": provider.district_id}]
    if target is not None and not errors:
        problems = signup_provider_problems(provider=target, region=provider.admdvs)
        if target.pk == provider.pk:
            problems.append(_("新机构不能是原机构"))
        if problems:
            errors["target"] = problems
    if errors:
        raise ValidationError(errors)
    return target


def provider_members_reassign(*, provider: Provider, on: date, by=None, target: Provider | None = None) -> list:
    """Give every active member signed with a suspended/terminated provider on ``on`` a
    ``provider_suspended`` sign-up effective ``on``, with ``target`` or else the nearest eligible
    provider of the same district (see ``provider_nearest_replacement`` for the distance and fallback).

    Nanchang 第八条(二): the agency assigns the nearest provider. Heyuan members choose themselves
    (第十七条), so there the caller must name the ``target``. Family-doctor agreements were made with
    the old provider and do not move. One transaction, one bulk insert; running it again finds nobody
    left to move.
    """
    from members.models import Member, SignUp
    from members.selectors import provider_members_on

    with transaction.atomic():
        # The provider row is read locked, so a concurrent reactivation cannot slip in between.
        locked = provider_lock(provider_id=provider.pk)
        target = _reassignment_target(provider=locked, on=on, target=target)
        member_ids = list(provider_members_on(provider=locked, day=on)
                          .filter(status=Member.Status.ACTIVE).values_list("pk", flat=True))
        # Lock in a fixed order so a concurrent sign-up request waits for this move (and sees it).
        list(Member.objects.select_for_update().filter(pk__in=member_ids).order_by("pk").values_list("pk"))
        rows = [SignUp(member_id=member_id, provider=target, applied_on=on, effective_from=on,
                       reason=SignUp.Reason.PROVIDER_SUSPENDED, family_doctor=False, created_by=by)
                for member_id in member_ids]
        return SignUp.objects.bulk_create(rows, batch_size=1000)
