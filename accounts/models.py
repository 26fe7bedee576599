"""Personal accounts 个人账户: one ledger per employee member (RULES.md "Personal accounts").

* ``Account`` holds the stored ``balance``; it is changed only by ``accounts.services`` with the row
  locked (``accounts.services.locks.account_locked``) and can never go below zero (CHECK constraint).
* ``AccountEntry`` is append-only: the balance is the sum of the entries, each entry records the
  running balance after it (never negative) and there is at most one credit per account and month.
* ``NoAccountEnrolment`` marks members of the inpatient-only scheme 住院医疗保险 (Ganzhou 第三条,
  Heyuan 第七条(四)): like residents (insutype 390) they have no account.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


class Account(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("正常")
        # Heyuan 第十一条(一): moved within Guangdong — no more credits, the balance stays usable.
        PROVINCE_USABLE = "province_usable", _("省内跨市使用")
        CLOSED = "closed", _("已销户")

    class CloseReason(models.TextChoices):
        DEATH = "death", _("死亡（继承人领取）")
        EMIGRATION = "emigration", _("出国（境）定居")
        LEFT_SCHEME = "left_scheme", _("放弃参加职工医保")
        ENLISTMENT = "enlistment", _("应征入伍")
        RESETTLED = "resettled", _("跨省异地安置退休")
        TRANSFER_OUT = "transfer_out", _("转出本统筹区")

    member = models.OneToOneField("members.Member", on_delete=models.PROTECT, related_name="account",
                                  verbose_name=_("参保人"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    balance = models.DecimalField(_("余额"), default=0, **MONEY)
    opened_on = models.DateField(_("建账日期"))
    closed_on = models.DateField(_("销户日期"), null=True, blank=True)
    close_reason = models.CharField(_("销户原因"), max_length=16, choices=CloseReason.choices, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("个人账户")
        verbose_name_plural = _("个人账户")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="account_balance_not_negative"),
            models.CheckConstraint(condition=Q(status="closed", closed_on__isnull=False) | ~Q(status="closed"),
                                   name="account_closed_has_date"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.get_status_display()} {self.balance}"


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("account entries are append-only: write a new entry instead of updating")

    def delete(self):
        raise TypeError("account entries are append-only and never deleted")


class AccountEntry(models.Model):
    class Kind(models.TextChoices):
        CREDIT = "credit", _("划入")
        DEBIT = "debit", _("支付")
        REVERSAL = "reversal", _("冲正退回")
        PAYOUT = "payout", _("一次性支取")
        TRANSFER = "transfer", _("转移")

    class Purpose(models.TextChoices):
        MEDICAL = "medical", _("定点医药机构个人负担费用")
        RESIDENT_CONTRIBUTION = "resident_contribution", _("近亲属居民医保个人缴费")
        TCM_PREVENTION = "tcm_prevention", _("中医治未病（河源）")

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries", verbose_name=_("账户"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("金额"), help_text=_("划入为正，支出为负"), **MONEY)
    running_balance = models.DecimalField(_("发生后余额"), **MONEY)
    reference = models.CharField(_("业务编号/摘要"), max_length=100, blank=True)
    # First day of the credited month, for credits only.
    period = models.DateField(_("划入月份"), null=True, blank=True)
    purpose = models.CharField(_("用途"), max_length=24, choices=Purpose.choices, blank=True)
    # Whose cost a debit paid (the holder or a bound relative 家庭共济), by certno.
    beneficiary_certno = models.CharField(_("费用发生人身份证号"), max_length=18, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversed_by", verbose_name=_("冲正的原支付"))
    credit_run = models.ForeignKey("CreditRun", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="entries", verbose_name=_("划入批次"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("经办人"))

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("账户明细")
        verbose_name_plural = _("账户明细")
        ordering = ["account", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(running_balance__gte=0), name="entry_running_balance_not_negative"),
            models.UniqueConstraint(fields=["account", "period"], condition=Q(kind="credit"),
                                    name="entry_one_credit_per_month"),
            models.CheckConstraint(condition=~Q(kind="credit") | Q(period__isnull=False, amount__gt=0),
                                   name="entry_credit_has_period_and_is_positive"),
            models.CheckConstraint(condition=~Q(kind="debit") | Q(amount__lt=0), name="entry_debit_is_negative"),
            models.CheckConstraint(condition=~Q(kind="reversal") | Q(amount__gt=0, reverses__isnull=False),
                                   name="entry_reversal_is_positive_and_linked"),
            models.CheckConstraint(condition=~Q(kind__in=["payout", "transfer"]) | Q(amount__lte=0),
                                   name="entry_payout_not_positive"),
            # One counter payment per claim: a retried claim never debits twice.
            models.UniqueConstraint(fields=["reference"], condition=Q(kind="debit", purpose="medical"),
                                    name="entry_one_debit_per_claim"),
        ]
        indexes = [models.Index(fields=["reference"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("account entries are append-only: write a new entry instead of updating")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("account entries are append-only and never deleted")


class Relative(models.Model):
    """A relative bound to a holder's account for family mutual aid 家庭共济 (spouse, parent, child)."""

    class Relation(models.TextChoices):
        SPOUSE = "spouse", _("配偶")
        PARENT = "parent", _("父母")
        CHILD = "child", _("子女")

    holder = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="bound_relatives",
                               verbose_name=_("账户持有人"))
    relative_certno = models.CharField(_("亲属身份证号"), max_length=18)
    relation = models.CharField(_("关系"), max_length=8, choices=Relation.choices)
    consented_on = models.DateField(_("授权日期"))
    revoked_on = models.DateField(_("解除日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("经办人"))

    class Meta:
        verbose_name = _("家庭共济绑定")
        verbose_name_plural = _("家庭共济绑定")
        ordering = ["holder", "id"]
        constraints = [
            models.UniqueConstraint(fields=["holder", "relative_certno"], condition=Q(revoked_on__isnull=True),
                                    name="relative_one_active_binding"),
        ]

    def __str__(self) -> str:
        # Masked: the text of an object reaches page titles, log entries and messages for every role.
        from staff.scope import mask_certno

        return f"{self.holder_id} ↔ {mask_certno(self.relative_certno)} ({self.relation})"


class NoAccountEnrolment(models.Model):
    """An employee enrolled only in the inpatient scheme 住院医疗保险: no personal account."""

    member = models.OneToOneField("members.Member", on_delete=models.PROTECT, related_name="no_account",
                                  verbose_name=_("参保人"))
    since = models.DateField(_("起始日期"))
    note = models.CharField(_("依据"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("只参加住院保险（不建账户）")
        verbose_name_plural = _("只参加住院保险（不建账户）")


class CreditRun(models.Model):
    """One execution of the monthly crediting for a region and month (a re-run is a new row that
    credits only what is still missing). ``refused`` lists the parts not credited and why."""

    admdvs = models.ForeignKey("policy.Region", on_delete=models.PROTECT, db_column="admdvs", related_name="+",
                               verbose_name=_("统筹区"))
    period = models.DateField(_("划入月份"))
    parameter_set = models.ForeignKey("policy.ParameterSet", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", verbose_name=_("政策参数版本"))
    employed_count = models.PositiveIntegerField(_("在职划入人数"), default=0)
    employed_amount = models.DecimalField(_("在职划入金额"), default=0, **MONEY)
    retired_count = models.PositiveIntegerField(_("退休划入人数"), default=0)
    retired_amount = models.DecimalField(_("退休划入金额"), default=0, **MONEY)
    skipped_count = models.PositiveIntegerField(_("已划入跳过"), default=0)
    refused_count = models.PositiveIntegerField(_("未划入人数"), default=0)
    refused = models.JSONField(_("未划入原因"), default=list)
    created_at = models.DateTimeField(_("执行时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("经办人"))

    class Meta:
        verbose_name = _("个人账户划入批次")
        verbose_name_plural = _("个人账户划入批次")
        ordering = ["-period", "admdvs", "-id"]
        indexes = [models.Index(fields=["admdvs", "period"])]

    def __str__(self) -> str:
        return f"{self.admdvs_id} {self.period:%Y-%m} #{self.pk}"

    @property
    def total_amount(self):
        return self.employed_amount + self.retired_amount
