"""Opening, family binding 家庭共济, payouts 一次性支付 and transfers 转移 of an account.

Payouts and transfers (Nanyang 第十二条, Ganzhou 第七条(四), Heyuan 第十一条, RULES.md): on death
(to the heirs 继承人), emigration, leaving the scheme (and Heyuan's enlistment / cross-province
resettlement) the whole balance is paid out with one final ``payout`` entry and the account closes.
A transfer out of the city moves the balance with one final ``transfer`` entry and closes it —
except in Heyuan within Guangdong (destination code 44xxxx, 第十一条(一) 不划转、不提现): then the
ledger gets a ``transfer`` entry of 0.00 recording the move, the account becomes
``province_usable`` — no more monthly credits, the balance stays here and stays usable at the counter
— and a later payout (death, emigration...) closes it as usual.
"""
from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account, AccountEntry, NoAccountEnrolment, Relative
from accounts.services.locks import account_locked, post_entry
from config.errors import Conflict
from members.certno import CertnoError, parse_certno
from members.models import Member
from members.services import member_update

HEYUAN = "441600"


def _refuse_no_account(member: Member, field: str = "certno") -> None:
    if member.insutype != "310":
        raise ValidationError({field: ["城乡居民医保参保人不设个人账户 (resident-scheme members have no account)"]})
    # The member's own ``inpatient_only`` flag (CONTRACT.md) or this app's record of the enrolment.
    if member.inpatient_only or NoAccountEnrolment.objects.filter(member=member).exists():
        raise ValidationError(
            {field: ["只参加住院医疗保险的参保人不建立个人账户 (inpatient-only members have no account)"]})


def account_open(*, member: Member, by=None) -> Account:
    """The member's account, opened if missing (the monthly run opens them in bulk as well)."""
    _refuse_no_account(member)
    account, _ = Account.objects.get_or_create(member=member, defaults={"opened_on": timezone.localdate()})
    return account


def member_mark_no_account(*, member: Member, since: date, note: str = "", by=None) -> NoAccountEnrolment:
    """Record that an employee is enrolled in the inpatient-only scheme: no account, no credits; the
    member's own ``inpatient_only`` flag (CONTRACT.md) is set with it, through the members service
    (audited), so claims see the same fact (Ganzhou 第三条: outside outpatient pooling)."""
    if member.insutype != "310":
        raise ValidationError({"certno": ["城乡居民医保参保人本就不设个人账户"]})
    with transaction.atomic():
        account = Account.objects.select_for_update().filter(member=member).first()
        if account is not None and account.status != Account.Status.CLOSED:
            raise Conflict("参保人已有未销户的个人账户，须先支取或转移余额并销户 (close the account first)",
                           code="account_open")
        record, _ = NoAccountEnrolment.objects.get_or_create(member=member, defaults={"since": since, "note": note})
        if not member.inpatient_only:
            member_update(member=member, data={"inpatient_only": True}, by=by)
            member.inpatient_only = True
    return record


def relative_bind(*, holder: Member, relative_certno: str, relation: str, consented_on: date, by=None) -> Relative:
    """Bind a spouse, parent or child to the holder's account (family mutual aid 家庭共济)."""
    errors: dict[str, list[str]] = {}
    certno, birth = "", None
    try:
        facts = parse_certno(relative_certno)
        certno, birth = facts.certno, facts.birth_date
    except CertnoError as exc:
        errors["certno"] = [str(exc)]
    if certno and certno == holder.certno:
        errors["certno"] = ["不能绑定本人 (the holder is not their own relative)"]
    if relation not in Relative.Relation.values:
        errors["relation"] = [f"关系须为配偶、父母或子女 {Relative.Relation.values}；其他人员不能使用个人账户 "
                              "(only spouse, parents and children)"]
    elif birth and relation == "parent" and birth >= holder.brdy:
        errors["relation"] = [f"父母的出生日期 {birth} 应早于持有人 {holder.brdy} (a parent is older than the holder)"]
    elif birth and relation == "child" and birth <= holder.brdy:
        errors["relation"] = [f"子女的出生日期 {birth} 应晚于持有人 {holder.brdy} (a child is younger than the holder)"]
    if consented_on is None or consented_on > timezone.localdate():
        errors["consented_on"] = ["授权日期不能为空或晚于今天 (the consent date may not be in the future)"]
    if errors:
        raise ValidationError(errors)
    _refuse_no_account(holder, field="holder")
    account = Account.objects.filter(member=holder).first()
    if account is not None and account.status == Account.Status.CLOSED:
        raise ValidationError({"holder": [f"个人账户已于 {account.closed_on} 销户 (the account is closed)"]})
    try:
        with transaction.atomic():
            if account is None:
                account_open(member=holder, by=by)
            return Relative.objects.create(holder=holder, relative_certno=certno, relation=relation,
                                           consented_on=consented_on,
                                           created_by=by if getattr(by, "pk", None) else None)
    except IntegrityError:
        raise Conflict(f"{certno} 已绑定本账户 (already bound)", code="already_bound") from None


def relative_revoke(*, holder: Member, relative_certno: str, day: date, by=None) -> Relative:
    binding = Relative.objects.filter(holder=holder, relative_certno=relative_certno.strip().upper(),
                                      revoked_on__isnull=True).first()
    if binding is None:
        raise ValidationError({"certno": ["没有有效的绑定 (no active binding)"]})
    binding.revoked_on = day
    binding.save(update_fields=["revoked_on"])
    return binding


def _close(account: Account, *, kind: str, reason: str, day: date, by, reference: str, note: str) -> AccountEntry:
    entry = post_entry(account, kind=kind, amount=-account.balance, by=by, reference=reference, note=note)
    account.status = Account.Status.CLOSED
    account.closed_on = day
    account.close_reason = reason
    account.save(update_fields=["status", "closed_on", "close_reason", "updated_at"])
    return entry


def account_payout(*, member: Member, reason: str, day: date, payee: str = "", by=None) -> AccountEntry:
    """One-off payout of the whole balance (death → heirs, emigration, leaving the scheme...); closes."""
    allowed = set(Account.CloseReason.values) - {Account.CloseReason.TRANSFER_OUT}
    if reason not in allowed:
        raise ValidationError(
            {"reason": [f"一次性支付原因须为 {sorted(allowed)} (transfers use account_transfer_out)"]})
    if reason in ("enlistment", "resettled") and member.admdvs_id != HEYUAN:
        raise ValidationError({"reason": ["应征入伍、跨省异地安置支取仅适用于河源（第十一条）(Heyuan only)"]})
    if reason == Account.CloseReason.DEATH and not payee:
        raise ValidationError({"payee": ["死亡一次性支付须写明继承人 (name the heir)"]})
    with transaction.atomic():
        account = account_locked(member_id=member.pk)
        if account.status == Account.Status.CLOSED:
            raise Conflict(f"个人账户已于 {account.closed_on} 销户 (already closed)", code="account_closed")
        label = Account.CloseReason(reason).label
        return _close(account, kind=AccountEntry.Kind.PAYOUT, reason=reason, day=day, by=by,
                      reference=f"一次性支付 {label}", note=f"领取人 {payee}" if payee else "")


def account_transfer_out(*, member: Member, destination_admdvs: str, day: date, by=None) -> AccountEntry:
    """Transfer out of the city; Heyuan within Guangdong keeps the balance usable (see module doc)."""
    destination = (destination_admdvs or "").strip()
    if not (len(destination) == 6 and destination.isdigit()):
        raise ValidationError({"destination_admdvs": ["转入地统筹区编码须为6位数字"]})
    if destination == member.admdvs_id:
        raise ValidationError({"destination_admdvs": ["转入地不能是本统筹区"]})
    with transaction.atomic():
        account = account_locked(member_id=member.pk)
        if account.status == Account.Status.CLOSED:
            raise Conflict(f"个人账户已于 {account.closed_on} 销户 (already closed)", code="account_closed")
        if member.admdvs_id == HEYUAN and destination[:2] == "44":
            if account.status == Account.Status.PROVINCE_USABLE:
                raise Conflict("已登记省内跨市使用 (already moved within Guangdong)", code="already_moved")
            entry = post_entry(account, kind=AccountEntry.Kind.TRANSFER, amount=account.balance * 0, by=by,
                               reference=f"省内跨市转移 → {destination}",
                               note="第十一条(一)：个人账户资金跨市使用，不划转、不提现")
            account.status = Account.Status.PROVINCE_USABLE
            account.save(update_fields=["status", "updated_at"])
            return entry
        return _close(account, kind=AccountEntry.Kind.TRANSFER, reason=Account.CloseReason.TRANSFER_OUT, day=day,
                      by=by, reference=f"转移 → {destination}", note="个人账户结余随同转移")
