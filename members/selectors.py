"""Read side of members and sign-ups, shared by the API, claims, budgets and pages.

A member's provider on a day is the sign-up with the greatest ``effective_from`` not after that day,
the later request (greater id) winning a tie; for a month, the one in effect on its last day
(RULES.md "Sign-up requests"). Each selector is one or two indexed queries: the
(member, effective_from, id) index answers "latest sign-up of M on D" with one index probe.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from django.db.models import OuterRef, QuerySet, Subquery

from config.parsing import code_normalise
from providers.models import Provider

from .models import Member, OutOfAreaRegistration, SignUp


def certno_normalise(raw: str) -> str:
    """The stored form of a certno (``config.parsing.code_normalise``, the step registration applies
    too; no checksum check here: lookups of an existing member only need to find it)."""
    return code_normalise(raw)


# A full certno as typed in a search box (the search then is one exact index lookup).
CERTNO_LIKE = re.compile(r"^[0-9]{17}[0-9X]$")


def member_search(*, queryset: QuerySet, term: str, prefix: str = "") -> QuerySet:
    """Member search as the indexes allow it: a full certno is an exact match (certno index), anything
    else a name prefix (``member_name_prefix_idx``, LIKE '王%'); never ``%term%`` over millions.
    ``prefix``: the path to the member from the queryset's model (``member__`` for sign-ups)."""
    term = (term or "").strip()
    if not term:
        return queryset
    if CERTNO_LIKE.match(code_normalise(term)):
        return queryset.filter(**{f"{prefix}certno": code_normalise(term)})
    return queryset.filter(**{f"{prefix}psn_name__startswith": term})


def member_get(*, admdvs: str, certno: str) -> Member | None:
    return (Member.objects.select_related("admdvs")
            .filter(admdvs_id=admdvs, certno=certno_normalise(certno)).first())


def member_list(*, admdvs: str | None = None, district: str | None = None, name_prefix: str | None = None,
                certno: str | None = None, status: str | None = None) -> QuerySet[Member]:
    """Filtered members, newest first; every filter uses an index (see Member.Meta.indexes)."""
    queryset = Member.objects.all()
    if admdvs:
        queryset = queryset.filter(admdvs_id=admdvs)
    if district:
        queryset = queryset.filter(district_id=district)
    if name_prefix:
        queryset = queryset.filter(psn_name__startswith=name_prefix)
    if certno:
        queryset = queryset.filter(certno=certno_normalise(certno))
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-id")


def _in_effect(day: date) -> QuerySet[SignUp]:
    return SignUp.objects.filter(effective_from__lte=day).order_by("-effective_from", "-id")


def signup_in_effect(*, member: Member, day: date) -> SignUp | None:
    """The member's sign-up in effect on ``day`` (with its provider), or None."""
    return _in_effect(day).filter(member=member).select_related("provider").first()


def month_last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def member_provider_for_month(*, member: Member, year: int, month: int) -> Provider | None:
    """The provider a member is attributed to for a month: the sign-up in effect on its last day."""
    signup = signup_in_effect(member=member, day=month_last_day(year, month))
    return signup.provider if signup else None


def member_first_signup(*, member: Member) -> SignUp | None:
    """The member's first sign-up ever (earliest effective date, then earliest request)."""
    return SignUp.objects.filter(member=member).select_related("provider").order_by("effective_from", "id").first()


def member_signup_history(*, member: Member) -> QuerySet[SignUp]:
    return SignUp.objects.filter(member=member).select_related("provider", "member").order_by("effective_from", "id")


def provider_members_on(*, provider: Provider, day: date) -> QuerySet[Member]:
    """Members whose sign-up in effect on ``day`` is with ``provider``.

    One query: the candidates are members with some sign-up at the provider (provider index), and a
    correlated subquery keeps those whose latest sign-up on the day is that one (member index).
    """
    latest_provider = Subquery(_in_effect(day).filter(member=OuterRef("pk")).values("provider_id")[:1])
    candidates = SignUp.objects.filter(provider=provider, effective_from__lte=day).values("member_id")
    return (Member.objects.filter(pk__in=candidates)
            .annotate(provider_in_effect=latest_provider)
            .filter(provider_in_effect=provider.pk)
            .order_by("id"))


@dataclass(frozen=True)
class MemberDay:
    """What the claims service needs to know about a member on a day, gathered in two queries."""

    member: Member
    person_type: str           # "employed" | "retired" (retirement counts from the next month)
    signup: SignUp | None       # capitation regions: the sign-up in effect, else None
    first_signup: SignUp | None


def member_facts_on(*, admdvs: str, certno: str, day: date) -> MemberDay | None:
    member = member_get(admdvs=admdvs, certno=certno)
    if member is None:
        return None
    signup = first = None
    if member.admdvs.has_signup:
        signup = signup_in_effect(member=member, day=day)
        first = member_first_signup(member=member) if signup else None
    return MemberDay(member=member, person_type=member.person_type_on(day), signup=signup, first_signup=first)



def member_registration_history(*, member: Member) -> QuerySet[OutOfAreaRegistration]:
    """A member's out-of-area registrations 异地就医备案, oldest first (cancelled ones included)."""
    return OutOfAreaRegistration.objects.filter(member=member).order_by("start_on", "id")


def registration_in_force(*, member: Member, day: date) -> OutOfAreaRegistration | None:
    """The member's registration in force on ``day`` (at most one: overlaps are refused), or None.
    One probe of the (member, start_on, id) index. The claims engine does not call this per visit:
    claims/store.py loads every registration of a set of visits' members in one statement and
    ``policy.rules.out_of_area.registration_on`` picks the one in force (same answer)."""
    return (OutOfAreaRegistration.objects.filter(member=member, start_on__lte=day)
            .exclude(end_on__lt=day).order_by("-start_on", "-id").first())


def registrations_of(member_ids: list[int]) -> dict[int, list[OutOfAreaRegistration]]:
    """Every registration of these members, by member, in (start_on, id) order: one statement."""
    history: dict[int, list[OutOfAreaRegistration]] = {}
    if not member_ids:
        return history
    for registration in OutOfAreaRegistration.objects.filter(member_id__in=member_ids).order_by(
            "member_id", "start_on", "id"):
        history.setdefault(registration.member_id, []).append(registration)
    return history
