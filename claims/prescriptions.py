"""外配处方: the prescription a pharmacy claim fills, checked by the settle step (no queries).

RULES.md "Designated retail pharmacies": a pharmacy claim may carry ``prescribing_fixmedins_code``, a
designated medical provider (not a pharmacy) of the member's region or of the destination of the
member's out-of-area registration in force. Anything else is bad input, refused with a ``400`` naming
``prescribing_fixmedins_code`` before anything is decided; whether a region's pooling pays the fill
is the policy core's question (``policy.rules.adjudication.rated_provider``).

Reading: the prescriber's own status is not checked — the prescription was written while it was
designated; the pharmacy that fills it must be active (the common exclusions check it).
"""
from __future__ import annotations

from django.core.exceptions import ValidationError

from members.models import Member
from providers.models import Provider

FIELD = "prescribing_fixmedins_code"


def _refused(message: str) -> ValidationError:
    return ValidationError({FIELD: [message]})


def prescriber_for(*, code: str | None, provider: Provider, member: Member, providers: dict[str, Provider],
                   destination: str | None = None) -> Provider | None:
    """The prescribing provider of a fill (None without a prescription), or a refusal.

    ``destination``: the ``dest_admdvs`` of the member's out-of-area registration in force on the
    visit day, whose providers may prescribe too (None: no registration in force)."""
    if code is None:
        return None
    if provider.kind != Provider.Kind.PHARMACY:
        raise _refused(f"{provider.fixmedins_code} 不是定点零售药店：外配处方只在药店结算时填写 "
                       "(a prescription is filled only at a pharmacy)")
    prescriber = providers.get(code)
    if prescriber is None:
        raise _refused(f"开方机构 {code} 不存在 (no such provider)")
    if prescriber.kind == Provider.Kind.PHARMACY:
        raise _refused(f"开方机构 {code} 是定点零售药店，外配处方须由定点医疗机构开具 "
                       "(a pharmacy does not prescribe)")
    if prescriber.admdvs_id not in (member.admdvs_id, destination):
        raise _refused(f"开方机构 {code} 属于统筹区 {prescriber.admdvs_id}，既非参保地 {member.admdvs_id}，"
                       "也非参保人有效异地就医备案的就医地 (a prescriber of another region)")
    return prescriber
