"""Paying from an account: at the counter (inside the claims transaction) and for contributions.

Who may be paid for (Nanyang 第九/十条, Zibo 第十三条, Ganzhou 第七条, Heyuan 第九/十条): the holder
and the relatives bound to the account (spouse, parents, children — ``relative_bind``); what: their
out-of-pocket costs at designated providers and pharmacies (purpose ``medical``), the relatives'
resident-scheme contributions (``resident_contribution``), and in Heyuan TCM prevention 治未病 at a
designated provider (``tcm_prevention``, 第九条(五)). Never public health, fitness or wellness
spending (第十条 in each region), never a non-relative, never a non-designated (or suspended) place.
Each refusal is a ``ValidationError`` naming the field and the rule, raised before anything is
written, so the caller's transaction (e.g. the claim) is refused as a whole.

At the counter a visit the account may not pay for (excluded from basic medical insurance, public
health, a provider that is not active) is not a refusal: RULES.md "Common terms" records every visit
that is not covered, and CONTRACT.md's ``acct_used`` pays "as far as it goes", so the account pays
0.00 and the member's share is cash; so does a member with no account at all (a resident, the
inpatient-only scheme): nothing goes. What stays a refusal is a request the account cannot answer:
an ``acct_payer_certno`` not bound to the member or without an account, a closed account.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Account, AccountEntry, NoAccountEnrolment, Relative
from accounts.services.locks import account_locked, post_entry
from config.errors import Conflict
from members.models import Member
from policy.rules.money import to_fen

ZERO = Decimal("0.00")
REFUSED_PURPOSES = {
    "public_health": "公共卫生费用不得使用个人账户（第十条）(public health is outside the account's uses)",
    "fitness": "体育健身消费不得使用个人账户（第十条）(fitness spending is outside the account's uses)",
    "wellness": "养生保健消费不得使用个人账户（第十条）(wellness spending is outside the account's uses)",
}
HEYUAN = "441600"
# Claim exclusions that take the cost out of basic medical insurance altogether (社会保险法 第三十条):
# like public health, they are "不属于基本医疗保险保障范围的支出" (第十条) and the account pays
# nothing towards them. The other exclusions (inpatient stay, chronic benefit, inpatient-fund
# emergency) stay inside basic medical insurance: the account may pay the member's share.
OUTSIDE_THE_ACCOUNT = frozenset({"work_injury", "third_party", "abroad", "public_health"})


def _payer_member(*, beneficiary: Member, payer_certno: str | None, day: date) -> Member:
    """The member whose account pays for ``beneficiary``: themself, or a holder the beneficiary is bound to."""
    if not payer_certno or payer_certno.strip().upper() == beneficiary.certno:
        return beneficiary
    certno = payer_certno.strip().upper()
    binding = (Relative.objects.select_related("holder")
               .filter(holder__certno=certno, relative_certno=beneficiary.certno, revoked_on__isnull=True,
                       consented_on__lte=day).order_by("-id").first())
    if binding is None:
        raise ValidationError({"acct_payer_certno": [
            f"{certno} 的个人账户未与 {beneficiary.certno} 绑定家庭共济，不能支付 "
            "(only the holder's spouse, parents and children bound to the account may use it)"]})
    return binding.holder


def check_use(*, payer: Member, purpose: str, provider=None, field: str = "purpose") -> None:
    """Refuse a use outside the rules, naming the rule. ``provider`` is None for a contribution."""
    if purpose in REFUSED_PURPOSES:
        raise ValidationError({field: [REFUSED_PURPOSES[purpose]]})
    allowed = {AccountEntry.Purpose.MEDICAL, AccountEntry.Purpose.RESIDENT_CONTRIBUTION}
    if payer.admdvs_id == HEYUAN:
        allowed.add(AccountEntry.Purpose.TCM_PREVENTION)
    if purpose not in allowed:
        raise ValidationError({field: [f"个人账户不能用于 {purpose!r} (not an allowed use of the account)"]})
    if purpose != AccountEntry.Purpose.RESIDENT_CONTRIBUTION:
        if provider is None or provider.status != "active":
            raise ValidationError({"fixmedins_code": [
                "个人账户只能在定点医药机构使用（非定点或已暂停/终止协议的机构不可）"
                "(only at designated providers and pharmacies in good standing)"]})


def _usable(account: Account, field: str) -> None:
    if account.status == Account.Status.CLOSED:
        raise ValidationError({field: [f"个人账户已于 {account.closed_on} 销户 (the account is closed)"]})


def account_pay_claim(*, member: Member, amount: Decimal, setl_id: str, provider, visit_date: date,
                      payer_certno: str | None = None, exclusion: str | None = None, by=None) -> Decimal:
    """Pay a claim's member share from the account as far as the balance goes; returns ``acct_pay``.

    Called by the claims service inside its transaction when the request has ``acct_used``; the
    rest of the share (``amount − acct_pay``) is paid in cash. ``payer_certno`` names a holder whose
    account pays for ``member`` under family mutual aid (default: the member's own account).
    """
    amount = to_fen(amount)
    if amount <= 0:
        return ZERO
    payer = _payer_member(beneficiary=member, payer_certno=payer_certno, day=visit_date)
    if exclusion in OUTSIDE_THE_ACCOUNT or provider.status != "active":
        # Not a use of the account (第十条; only at designated places in good standing): the visit is
        # still recorded, not covered, and its share paid in cash (the module docstring).
        return ZERO
    with transaction.atomic():
        try:
            account = account_locked(member_id=payer.pk, field="acct_used")
        except ValidationError:
            # No account row: the member's own account pays "as far as it goes" (CONTRACT.md
            # ``acct_used``), which is nothing, and the whole share is cash. That holds for an
            # employee whose account the monthly run has not opened yet and for a member who has
            # none (a resident, the inpatient-only scheme): a clinic system sends the flag with every
            # visit (the national 2207's ``acct_used_flag``), and its visit is settled, not refused.
            # A holder named in ``acct_payer_certno`` is asked for by name: without an account
            # (other than one not opened yet) that request cannot be answered, and is refused.
            if payer is member or _entitled_to_an_account(payer):
                return ZERO
            raise
        _usable(account, "acct_used")
        paid = min(account.balance, amount)
        if paid <= 0:
            return ZERO
        post_entry(account, kind=AccountEntry.Kind.DEBIT, amount=-paid, by=by, reference=setl_id,
                   purpose=AccountEntry.Purpose.MEDICAL, beneficiary_certno=member.certno,
                   note=f"门诊结算 {setl_id} @ {provider.fixmedins_code}")
    return paid


def _entitled_to_an_account(payer: Member) -> bool:
    """An employee (310) outside the inpatient-only scheme: entitled to an account (RULES.md
    "Personal accounts"), opened or not. Residents and inpatient-only members are not."""
    return (payer.insutype == "310" and not payer.inpatient_only
            and not NoAccountEnrolment.objects.filter(member_id=payer.pk).exists())


def account_refund_claim(*, setl_id: str, reversal_setl_id: str, by=None) -> Decimal:
    """Put back what the account paid for claim ``setl_id`` (a reversal); returns the amount refunded.

    A claim the account did not pay refunds 0. A second refund of the same payment is impossible
    (``reverses`` is one-to-one). **Reading:** a refund to an account closed meanwhile is a 409 —
    the money was paid out with the final entry, so the reversal must be settled in cash by staff.
    """
    debit = AccountEntry.objects.filter(kind=AccountEntry.Kind.DEBIT, purpose=AccountEntry.Purpose.MEDICAL,
                                        reference=setl_id).first()
    if debit is None:
        return ZERO
    with transaction.atomic():
        account = account_locked(member_id=debit.account.member_id)
        if AccountEntry.objects.filter(reverses=debit).exists():
            raise Conflict(f"结算 {setl_id} 的个人账户支付已退回 (already refunded)", code="already_refunded")
        if account.status == Account.Status.CLOSED:
            raise Conflict(f"个人账户已于 {account.closed_on} 销户，不能退回 (account closed; refund in cash)",
                           code="account_closed")
        post_entry(account, kind=AccountEntry.Kind.REVERSAL, amount=-debit.amount, by=by,
                   reference=reversal_setl_id, reverses=debit, purpose=debit.purpose,
                   beneficiary_certno=debit.beneficiary_certno, note=f"撤销结算 {setl_id}")
    return -debit.amount


def account_pay_contribution(*, holder: Member, relative_certno: str, amount: Decimal, year: int,
                             reference: str = "", day: date, by=None) -> AccountEntry:
    """Pay a bound relative's resident-scheme contribution 城乡居民医保个人缴费 in full from the account."""
    amount = to_fen(amount)
    if amount <= 0:
        raise ValidationError({"amount": ["缴费金额须大于0 (must be positive)"]})
    certno = (relative_certno or "").strip().upper()
    if not Relative.objects.filter(holder=holder, relative_certno=certno, revoked_on__isnull=True,
                                   consented_on__lte=day).exists():
        raise ValidationError({"relative_certno": [
            f"{certno} 未与本账户绑定家庭共济（配偶、父母、子女）(not a bound relative)"]})
    relative = Member.objects.filter(certno=certno).order_by("-id").first()
    if relative is not None and relative.insutype != "390":
        raise ValidationError({"relative_certno": [
            f"{certno} 参加的不是城乡居民医保，不能用个人账户代缴 (only resident-scheme contributions)"]})
    check_use(payer=holder, purpose=AccountEntry.Purpose.RESIDENT_CONTRIBUTION)
    with transaction.atomic():
        account = account_locked(member_id=holder.pk)
        _usable(account, "account")
        if account.balance < amount:
            raise ValidationError({"amount": [f"余额 {account.balance} 不足以缴纳 {amount}（居民医保缴费须足额）"
                                              " (the contribution is paid in full or not at all)"]})
        return post_entry(account, kind=AccountEntry.Kind.DEBIT, amount=-amount, by=by,
                          reference=reference or f"{year} 居民医保缴费 {certno}",
                          purpose=AccountEntry.Purpose.RESIDENT_CONTRIBUTION, beneficiary_certno=certno)
