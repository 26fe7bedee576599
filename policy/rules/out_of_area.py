"""Out-of-area care 异地就医: how a visit is known to be one, and which registration decides it (pure).

RULES.md "Out-of-area care": a visit is out of area when the treating provider's ``admdvs`` is not
the member's region. The registration in force on the visit day whose ``dest_admdvs`` is the
provider's ``admdvs`` decides how:

    resettled / long_term registration  -> "long_term"
    temporary registration              -> "temporary"
    none (or one to another city)       -> "unregistered"

The claims engine derives this once per visit (``out_of_area_derive``) and the region modules read
it from ``VisitFacts.out_of_area`` (and the registration used from ``VisitFacts.registration``).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from .common import RegistrationFacts, Step

NONE, LONG_TERM, TEMPORARY, UNREGISTERED = "none", "long_term", "temporary", "unregistered"
KIND_TO_OUT_OF_AREA = {"resettled": LONG_TERM, "long_term": LONG_TERM, "temporary": TEMPORARY}
KIND_NAMES = {"resettled": "异地安置", "long_term": "异地长期居住/常驻异地工作", "temporary": "临时外出就医"}
OUT_OF_AREA_NAMES = {NONE: "本地就医", LONG_TERM: "异地长期（已备案）", TEMPORARY: "临时外出（已备案）",
                     UNREGISTERED: "异地就医未备案"}
# The kinds each region registers (RULES.md "Registration"): Heyuan only the long-term kinds
# (第五条(三)), Nanchang only resettled members (第三十一条); the others all three.
ALL_KINDS = ("resettled", "long_term", "temporary")
REGISTERED_KINDS = {"441600": ("resettled", "long_term"), "360100": ("resettled",)}


# Regions whose rules read a member's registrations for a visit in the region itself: Nanchang (the
# resettled yearly cap covers local visits too, and 第三十二条 refuses the signed provider after a
# cancellation). Elsewhere only a visit at a provider of another area looks at them (the claims
# loader reads registrations for those visits only).
LOCAL_VISITS_READ_REGISTRATIONS = ("360100",)

# Regions where a member with a long-term registration may select a provider in its destination
# (Heyuan 第十六条); elsewhere a sign-up is with a provider of the member's region.
OUT_OF_CITY_SELECTION = ("441600",)


def is_city_code(code: str) -> bool:
    """A city-level GB/T 2260 code: 6 digits, ``xxyy00`` with ``yy`` not 00 (municipalities
    directly under the central government use their 01 code, e.g. 110100)."""
    return len(code) == 6 and code.isdigit() and code.endswith("00") and not code.endswith("0000")


def registered_kinds(admdvs: str) -> tuple[str, ...]:
    return REGISTERED_KINDS.get(admdvs, ALL_KINDS)


# Primary-level providers 基层医疗机构 (Nanchang 第三十一条: RULES.md "Nanchang resettled members").
PRIMARY_KINDS = ("township", "community", "village")


def registration_on(registrations: Iterable[RegistrationFacts], day: date) -> RegistrationFacts | None:
    """The registration in force on ``day`` (at most one: overlaps are refused when registering)."""
    for registration in registrations:
        if registration.in_force_on(day):
            return registration
    return None


def out_of_area_derive(*, member_admdvs: str, provider_admdvs: str,
                       in_force: RegistrationFacts | None) -> tuple[str, RegistrationFacts | None]:
    """(out_of_area, the registration used) for a visit at a provider of ``provider_admdvs``."""
    if provider_admdvs == member_admdvs:
        return NONE, None
    if in_force is not None and in_force.dest_admdvs == provider_admdvs:
        return KIND_TO_OUT_OF_AREA[in_force.kind], in_force
    return UNREGISTERED, None


def registration_label(registration: RegistrationFacts) -> str:
    end = registration.end_on.isoformat() if registration.end_on else "长期"
    number = f"第{registration.id}号" if registration.id is not None else ""
    cancelled = f"，{registration.cancelled_on.isoformat()} 取消" if registration.cancelled_on else ""
    return (f"{number}{KIND_NAMES[registration.kind]}备案 → {registration.dest_admdvs}"
            f"（{registration.start_on.isoformat()} 至 {end}{cancelled}）")


def out_of_area_step(*, out_of_area: str, provider_admdvs: str, registration: RegistrationFacts | None) -> Step:
    """The first step of an out-of-area claim's explanation: what the visit was and why."""
    if out_of_area == UNREGISTERED:
        note = f"就医机构在 {provider_admdvs}，就医当日无以该地为就医地的有效异地就医备案"
    else:
        note = f"就医机构在 {provider_admdvs}，依据 {registration_label(registration)}"
    return Step(rule="out_of_area", amount=None, note=f"{OUT_OF_AREA_NAMES[out_of_area]}：{note}")
