"""``make demo``'s two commands (issue 20, point 9 and point 6's usage bands): the demo loads
out-of-area registrations, credits personal accounts, computes supervision indicators, puts the
providers' capitation usage in the three bands of the dashboard, and its ``admin`` login is the city
administrator role (not a superuser) while ``auditor`` alone sees full certnos."""
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from staff.roles import AUDITOR, CITY_ADMIN, SETTLEMENT_APPROVER

pytestmark = pytest.mark.django_db


def test_given_demo_commands_when_run_twice_then_everything_shown_and_nothing_doubled():
    from accounts.models import AccountEntry, CreditRun
    from budgets.models import SettlementLine
    from members.models import OutOfAreaRegistration
    from supervision.models import ProviderIndicator

    quiet = open("/dev/null", "w")
    credits = []
    for _ in range(2):
        call_command("load_demo", stdout=quiet)
        call_command("demo_settlement", stdout=quiet)
        credits.append(AccountEntry.objects.filter(kind="credit").count())

    User = get_user_model()
    admin, auditor, approver = (User.objects.get(username=name) for name in ("admin", "auditor", "approver"))
    assert not admin.is_superuser and admin.groups.get().name == CITY_ADMIN and admin.scope.all_regions
    assert not admin.has_perm("staff.view_full_certno") and auditor.has_perm("staff.view_full_certno")
    assert auditor.groups.get().name == AUDITOR and approver.groups.get().name == SETTLEMENT_APPROVER
    assert admin.check_password("admin12345") and auditor.check_password("auditor12345")
    # Nanchang registers resettlement only, Heyuan resettlement and long-term residence: 1 + 2, once
    assert OutOfAreaRegistration.objects.filter(member__admdvs_id="360100").count() == 1
    assert OutOfAreaRegistration.objects.filter(member__admdvs_id="441600").count() == 2
    # the three employee-scheme regions' accounts credited for the month, once (a second run skips them)
    assert set(CreditRun.objects.values_list("admdvs", flat=True)) == {"411300", "370300", "441600"}
    assert credits[0] > 0 and credits[1] == credits[0]
    assert ProviderIndicator.objects.exists()
    # usage = actual ÷ quota of the month: some providers under 80 %, some 80–90 %, some over 90 %
    usages = [line.actual / line.quota for line in SettlementLine.objects.filter(run__kind="monthly", quota__gt=0)]
    assert any(u < Decimal("0.80") for u in usages)
    assert any(Decimal("0.80") <= u <= Decimal("0.90") for u in usages)
    assert any(u > Decimal("0.90") for u in usages)
