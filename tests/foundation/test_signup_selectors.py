"""Selectors shared by claims and budgets: provider on a day, for a month, first sign-up, members of a provider."""
from datetime import date

import pytest

from members.selectors import (member_facts_on, member_first_signup, member_provider_for_month, provider_members_on,
                               signup_in_effect)
from tests.factories import make_member, make_provider, make_signup

pytestmark = pytest.mark.django_db


def test_given_two_signups_same_day_when_asked_then_the_later_request_wins():
    member = make_member()
    a, b = make_provider(), make_provider()
    make_signup(member=member, provider=a, effective_from=date(2024, 6, 3))
    make_signup(member=member, provider=b, effective_from=date(2024, 6, 3), reason="provider_suspended")
    assert signup_in_effect(member=member, day=date(2024, 6, 3)).provider == b
    assert signup_in_effect(member=member, day=date(2024, 6, 2)) is None


def test_given_address_change_effective_1_may_when_asking_by_month_then_april_old_may_new():
    # Request made in April (effective 1 May): April's last day is still the old provider's.
    member = make_member()
    a, b = make_provider(), make_provider()
    make_signup(member=member, provider=a, effective_from=date(2020, 3, 1))
    make_signup(member=member, provider=b, effective_from=date(2024, 5, 1), reason="address_change",
                applied_on=date(2024, 4, 12))
    assert member_provider_for_month(member=member, year=2024, month=4) == a
    assert member_provider_for_month(member=member, year=2024, month=5) == b
    assert member_provider_for_month(member=member, year=2020, month=2) is None
    assert member_first_signup(member=member).provider == a


def test_given_suspension_change_on_30_june_when_asking_for_june_then_new_provider():
    member = make_member()
    a, b = make_provider(), make_provider()
    make_signup(member=member, provider=a, effective_from=date(2024, 1, 1))
    make_signup(member=member, provider=b, effective_from=date(2024, 6, 30), reason="provider_suspended")
    assert member_provider_for_month(member=member, year=2024, month=6) == b
    assert signup_in_effect(member=member, day=date(2024, 6, 29)).provider == a


def test_given_members_moving_between_providers_when_listing_a_provider_then_only_those_in_effect(
        django_assert_num_queries):
    a, b = make_provider(), make_provider()
    stays, leaves, arrives, later = (make_member() for _ in range(4))
    make_signup(member=stays, provider=a, effective_from=date(2024, 1, 1))
    make_signup(member=leaves, provider=a, effective_from=date(2024, 1, 1))
    make_signup(member=leaves, provider=b, effective_from=date(2024, 5, 1), reason="address_change")
    make_signup(member=arrives, provider=b, effective_from=date(2024, 1, 1))
    make_signup(member=arrives, provider=a, effective_from=date(2024, 3, 1), reason="address_change")
    make_signup(member=later, provider=a, effective_from=date(2024, 7, 1))
    with django_assert_num_queries(1):
        on_1_june = list(provider_members_on(provider=a, day=date(2024, 6, 1)))
    assert on_1_june == [stays, arrives]
    assert list(provider_members_on(provider=a, day=date(2024, 4, 30))) == [stays, leaves, arrives]
    assert list(provider_members_on(provider=b, day=date(2024, 6, 1))) == [leaves]


def test_given_member_when_facts_on_a_day_then_person_type_and_signup_together():
    member = make_member(admdvs="360100")
    a = make_provider()
    make_signup(member=member, provider=a, effective_from=date(2024, 1, 1), family_doctor=True)
    facts = member_facts_on(admdvs="360100", certno=member.certno.lower(), day=date(2024, 2, 1))
    assert facts.member == member and facts.person_type == "employed"
    assert facts.signup.provider == a and facts.signup.family_doctor and facts.first_signup.provider == a
    assert member_facts_on(admdvs="360100", certno="11010519491231002X", day=date(2024, 2, 1)) is None
