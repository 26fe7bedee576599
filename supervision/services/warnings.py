"""Warnings 预警: detection for a region-month, and the staff workflow (assign, review, close, reopen).

Detection (``warnings_detect``) reads the month's ``ProviderIndicator`` rows and the counted claims:
  peer        an indicator above the nearest-rank ``peer_percentile`` of the providers of the same region
              and level that month (only when at least ``min_peers`` of them have a value);
  threshold   growth above ``growth_threshold``; a share above its ``*_max`` (when staff set one);
  repeat_visits   the same member at the same provider more than ``max_visits_per_day`` times a day
                  (looked for at the providers whose month row counted such days: compute first);
  inpatient_stay  a visit inside a recorded inpatient stay;
  after_leaving   a visit dated after the member's ``left_on``.
Each breach is a warning keyed by (provider, period, kind, indicator, subject). A re-run refreshes the
figures of an existing warning (event ``refreshed``) and marks those it no longer finds
(``not_reproduced``) — it never duplicates one and never changes its status or owner.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from config.errors import Conflict
from providers.models import Provider
from supervision import sql
from supervision.models import InpatientStay, ProviderIndicator, SupervisionSettings, Warning, WarningEvent
from supervision.periods import month_add, period_label
from supervision.selectors import INDICATOR_LABELS, PEER_INDICATORS, THRESHOLD_FIELDS, supervision_settings_for

Key = tuple[int, str, str, str]  # provider_id, kind, indicator, subject


@dataclass
class Candidate:
    provider_id: int
    member_id: int | None
    figures: dict = field(default_factory=dict)


def _text(value) -> str | None:
    return None if value is None else str(value)


def _basis(row: ProviderIndicator) -> dict:
    return {"visits": row.visits, "members": row.members, "medfee_sumamt": str(row.medfee_sumamt),
            "selfpaid_amt": str(row.selfpaid_amt), "hifp_pay": str(row.hifp_pay),
            "item_amt": _text(row.item_amt), "exam_amt": _text(row.exam_amt),
            "out_of_catalogue_amt": _text(row.out_of_catalogue_amt)}


def _indicator_candidates(*, admdvs: str, period: date, settings: SupervisionSettings) -> dict[Key, Candidate]:
    found: dict[Key, Candidate] = {}
    rows = ProviderIndicator.objects.filter(admdvs_id=admdvs, period=period)
    table = ProviderIndicator._meta.db_table
    for indicator in PEER_INDICATORS:
        percentiles = sql.peer_percentiles(table=table, column=indicator, admdvs=admdvs,
                                           places=ProviderIndicator._meta.get_field(indicator).decimal_places,
                                           period=period, percentile=settings.peer_percentile)
        for level, (peers, peer_value) in percentiles.items():
            if peers < settings.min_peers:
                continue
            for row in rows.filter(level=level, **{f"{indicator}__gt": peer_value}):
                found[(row.provider_id, Warning.Kind.PEER, indicator, "")] = Candidate(row.provider_id, None, {
                    "indicator": indicator, "label": INDICATOR_LABELS[indicator], "rule": "peer",
                    "value": str(getattr(row, indicator)), "peer_percentile": str(settings.peer_percentile),
                    "peer_value": str(peer_value), "peers": peers, "level": level,
                    "period": period_label(period), "basis": _basis(row)})
    for indicator, setting in THRESHOLD_FIELDS.items():
        limit = getattr(settings, setting)
        if limit is None:
            continue
        for row in rows.filter(**{f"{indicator}__gt": limit}):
            figures = {"indicator": indicator, "label": INDICATOR_LABELS[indicator], "rule": "threshold",
                       "value": str(getattr(row, indicator)), "threshold": str(limit), "setting": setting,
                       "period": period_label(period), "basis": _basis(row)}
            if indicator in ("growth_mom", "growth_yoy"):
                months = -1 if indicator == "growth_mom" else -12
                earlier = ProviderIndicator.objects.filter(provider_id=row.provider_id,
                                                           period=month_add(period, months)).first()
                figures["compared_period"] = period_label(month_add(period, months))
                figures["compared_medfee_sumamt"] = _text(earlier.medfee_sumamt if earlier else None)
            found[(row.provider_id, Warning.Kind.THRESHOLD, indicator, "")] = Candidate(row.provider_id, None, figures)
    return found


def _money(raw: Decimal) -> str:
    """A money column read by raw SQL as its 2-place text."""
    return str(raw.quantize(Decimal("0.01")))


def _pattern_candidates(*, admdvs: str, period: date, settings: SupervisionSettings) -> dict[Key, Candidate]:
    start, end = period, month_add(period, 1)
    found: dict[Key, Candidate] = {}
    flagged = list(ProviderIndicator.objects.filter(admdvs_id=admdvs, period=period, repeat_visit_days__gt=0)
                   .order_by("provider_id").values_list("provider_id", flat=True))
    for provider_id, member_id, day, setl_id, amount, fund in sql.repeat_visit_claims(
            admdvs=admdvs, start=start, end=end, max_per_day=settings.max_visits_per_day, provider_ids=flagged):
        key = (provider_id, Warning.Kind.REPEAT_VISITS, "", f"{member_id}:{day.isoformat()}")
        candidate = found.setdefault(key, Candidate(provider_id, member_id, {
            "visit_date": day.isoformat(), "max_visits_per_day": settings.max_visits_per_day, "visits": 0,
            "claims": []}))
        candidate.figures["visits"] += 1
        candidate.figures["claims"].append({"setl_id": setl_id, "medfee_sumamt": _money(amount),
                                            "hifp_pay": _money(fund)})
    stays = InpatientStay._meta.db_table
    for provider_id, member_id, setl_id, day, amount, fund, stay_id, admitted, discharged in sql.inpatient_stay_claims(
            admdvs=admdvs, start=start, end=end, stays_table=stays):
        key = (provider_id, Warning.Kind.INPATIENT_STAY, "", setl_id)
        found.setdefault(key, Candidate(provider_id, member_id, {
            "setl_id": setl_id, "visit_date": day.isoformat(), "medfee_sumamt": _money(amount),
            "hifp_pay": _money(fund), "stay_id": stay_id, "admitted_on": admitted.isoformat(),
            "discharged_on": discharged.isoformat() if discharged else None}))
    for provider_id, member_id, setl_id, day, amount, fund, left_on in sql.after_leaving_claims(
            admdvs=admdvs, start=start, end=end):
        found[(provider_id, Warning.Kind.AFTER_LEAVING, "", setl_id)] = Candidate(provider_id, member_id, {
            "setl_id": setl_id, "visit_date": day.isoformat(), "left_on": left_on.isoformat(),
            "medfee_sumamt": _money(amount), "hifp_pay": _money(fund)})
    return found


def warnings_detect(*, admdvs: str, period: date) -> dict[str, int]:
    """Open, refresh or mark the month's warnings; returns counts by outcome."""
    settings = supervision_settings_for(admdvs=admdvs, period=period)
    if settings is None:
        return {"opened": 0, "refreshed": 0, "unchanged": 0, "not_reproduced": 0, "skipped_no_settings": 1}
    candidates = _indicator_candidates(admdvs=admdvs, period=period, settings=settings)
    candidates.update(_pattern_candidates(admdvs=admdvs, period=period, settings=settings))
    districts = dict(Provider.objects.filter(pk__in={c.provider_id for c in candidates.values()})
                     .values_list("pk", "district_id"))
    counts = {"opened": 0, "refreshed": 0, "unchanged": 0, "not_reproduced": 0}
    with transaction.atomic():
        existing = {(w.provider_id, w.kind, w.indicator, w.subject): w for w in
                    Warning.objects.select_for_update().filter(admdvs_id=admdvs, period=period)}
        new: list[Warning] = []
        changed: list[Warning] = []
        events: list[WarningEvent] = []
        for key, candidate in candidates.items():
            warning = existing.get(key)
            if warning is None:
                if candidate.provider_id not in districts:
                    continue
                new.append(Warning(admdvs_id=admdvs, district_id=districts[candidate.provider_id],
                                   provider_id=candidate.provider_id, period=period, kind=key[1], indicator=key[2],
                                   subject=key[3], member_id=candidate.member_id, figures=candidate.figures))
            elif warning.figures != candidate.figures or not warning.reproduced:
                warning.figures, warning.reproduced = candidate.figures, True
                changed.append(warning)
                events.append(WarningEvent(warning=warning, action=WarningEvent.Action.REFRESHED,
                                           from_status=warning.status, to_status=warning.status,
                                           owner_id=warning.owner_id, figures=candidate.figures))
            else:
                counts["unchanged"] += 1
        counts["refreshed"] = len(changed)
        for key, warning in existing.items():
            if key not in candidates and warning.reproduced:
                warning.reproduced = False
                changed.append(warning)
                counts["not_reproduced"] += 1
                events.append(WarningEvent(warning=warning, action=WarningEvent.Action.NOT_REPRODUCED,
                                           from_status=warning.status, to_status=warning.status,
                                           owner_id=warning.owner_id, note=_("重算后不再触发，请核查后关闭")))
        Warning.objects.bulk_create(new, batch_size=500)
        counts["opened"] = len(new)
        events += [WarningEvent(warning=w, action=WarningEvent.Action.OPENED, to_status=w.status, figures=w.figures)
                   for w in new]
        Warning.objects.bulk_update(changed, ["figures", "reproduced", "updated_at"], batch_size=500)
        WarningEvent.objects.bulk_create(events, batch_size=500)
    return counts


# --- staff workflow -----------------------------------------------------------------------------

def _transition(*, warning: Warning, actor, action: str, allowed_from: set[str], to_status: str | None,
                note: str = "", owner=None, set_owner: bool = False) -> Warning:
    with transaction.atomic():
        locked = Warning.objects.select_for_update().get(pk=warning.pk)
        if locked.status not in allowed_from:
            raise Conflict(_("预警当前状态为“%(s)s”，不能执行该操作") % {"s": locked.get_status_display()},
                           code="warning_status")
        before = locked.status
        if to_status:
            locked.status = to_status
        if set_owner:
            locked.owner = owner
        if note:
            locked.note = note
        locked.save(update_fields=["status", "owner", "note", "updated_at"])
        WarningEvent.objects.create(warning=locked, actor=actor, action=action, from_status=before,
                                    to_status=locked.status, owner=locked.owner, note=note)
    return locked


def warning_assign(*, warning: Warning, owner, actor, note: str = "") -> Warning:
    return _transition(warning=warning, actor=actor, action=WarningEvent.Action.ASSIGNED, note=note,
                       allowed_from={Warning.Status.OPEN, Warning.Status.UNDER_REVIEW}, to_status=None,
                       owner=owner, set_owner=True)


def warning_review_start(*, warning: Warning, actor, note: str = "") -> Warning:
    return _transition(warning=warning, actor=actor, action=WarningEvent.Action.REVIEW, note=note,
                       allowed_from={Warning.Status.OPEN}, to_status=Warning.Status.UNDER_REVIEW,
                       owner=warning.owner or actor, set_owner=True)


def warning_close(*, warning: Warning, actor, note: str) -> Warning:
    from django.core.exceptions import ValidationError

    if not (note or "").strip():
        raise ValidationError({"note": [_("关闭预警须填写处理说明")]})
    return _transition(warning=warning, actor=actor, action=WarningEvent.Action.CLOSED, note=note.strip(),
                       allowed_from={Warning.Status.OPEN, Warning.Status.UNDER_REVIEW},
                       to_status=Warning.Status.CLOSED)


def warning_reopen(*, warning: Warning, actor, note: str = "") -> Warning:
    return _transition(warning=warning, actor=actor, action=WarningEvent.Action.REOPENED, note=note,
                       allowed_from={Warning.Status.CLOSED}, to_status=Warning.Status.OPEN)
