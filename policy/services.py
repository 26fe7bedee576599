"""Changes to the versioned policy parameters.

A parameter set that a claim already used is history: the claim records the version it was computed
with (``claims.Claim.parameter_set``), so changing the set's values, region, start or note afterwards
would make that record lie about what was applied. The only edit left is ending the set (so that a
new version can take over), and not before the last visit already settled with it. The rule lives
here, not in the admin, so that every caller (admin, shell, a future API) meets it.
"""
from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import ParameterSet
from .selectors import parameter_set_last_visit, parameter_set_used_by_claims

logger = logging.getLogger(__name__)

# What the claims' records depend on; only ``effective_to`` stays editable once a claim used the set.
FROZEN_WHEN_USED = ("region", "effective_from", "values", "note")


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()


def _stored(parameter_set: ParameterSet, name: str):
    return parameter_set.region_id if name == "region" else getattr(parameter_set, name)


def parameter_set_update_check(*, parameter_set: ParameterSet, changes: dict[str, Any]) -> None:
    """Refuse (ValidationError keyed by field) the ``changes`` the freeze forbids on the stored set.

    Public so that a form can show the refusal next to the field before anything is saved; the
    service runs it again with the row locked."""
    if parameter_set.pk is None or not parameter_set_used_by_claims(parameter_set=parameter_set):
        return
    errors: dict[str, list[str]] = {}
    for name in FROZEN_WHEN_USED:
        if name in changes and changes[name] != _stored(parameter_set, name):
            label = ParameterSet._meta.get_field(name).verbose_name
            errors[name] = [_("该版本已被结算使用，%(field)s 不能修改：如需调整，请填写失效日期并新增一个版本")
                            % {"field": label}]
    end = changes.get("effective_to", parameter_set.effective_to)
    if "effective_to" in changes and end is None:
        errors["effective_to"] = [_("该版本已被结算使用：只能填写失效日期")]
    elif "effective_to" in changes and end != parameter_set.effective_to:
        last_visit = parameter_set_last_visit(parameter_set=parameter_set)
        if last_visit is not None and end < last_visit:
            errors["effective_to"] = [_("失效日期不能早于已按此版本结算的最后就诊日期 %(d)s")
                                      % {"d": last_visit.isoformat()}]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def parameter_set_update(*, parameter_set: ParameterSet, region: str = UNCHANGED,
                         effective_from: date = UNCHANGED, effective_to: date | None = UNCHANGED,
                         values: dict[str, Any] = UNCHANGED, note: str = UNCHANGED, by=None) -> ParameterSet:
    """Change the given fields of a stored set (the others are left as stored).

    Refused with a ValidationError naming the field when the set is frozen (see the module) or when
    the result is invalid (``ParameterSet.clean``: unknown or malformed values, overlapping periods).
    """
    changes = {name: value for name, value in (("region", region), ("effective_from", effective_from),
                                               ("effective_to", effective_to), ("values", values), ("note", note))
               if value is not UNCHANGED}
    # The stored row, locked: two staff editing the same set at once are applied one after the other,
    # each checked against what the other left (the caller's instance may already carry a form's edits).
    locked = ParameterSet.objects.select_for_update().get(pk=parameter_set.pk)
    parameter_set_update_check(parameter_set=locked, changes=changes)
    for name, value in changes.items():
        setattr(locked, "region_id" if name == "region" else name, value)
    locked.save()  # full_clean: the values against the region's spec, the period against the others
    logger.info("parameter set %s updated by %s: %s", locked.pk, by, sorted(changes))
    return locked
