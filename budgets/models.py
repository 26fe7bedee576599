"""Settlement runs: capitation 定额结算 (Nanchang 360100, Heyuan 441600), fee-for-service 按项目付费
(Nanyang, Zibo, Ganzhou, Heyuan), county fund ceilings, assessments 考核 and deductions 扣款.

A run is unique per (region, kind, period); it stays a ``draft`` (recomputed whole on request) until
it is ``approved``, after which nothing in it changes. Its lines are written only by
``budgets.services.settlement_run_compute`` inside one transaction.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 16, "decimal_places": 2}


class SettlementRun(models.Model):
    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("月预结算")
        YEAR_END = "year_end", _("年度决算")
        FEE_FOR_SERVICE = "fee_for_service", _("按项目付费月结算")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        APPROVED = "approved", _("已审核")

    admdvs = models.ForeignKey("policy.Region", on_delete=models.PROTECT, db_column="admdvs", related_name="+",
                               verbose_name=_("统筹区"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    period = models.CharField(_("期间"), max_length=7, help_text=_("月结算 YYYY-MM，年度决算 YYYY"))
    period_start = models.DateField(_("期间起"))
    period_end = models.DateField(_("期间止"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    parameter_set = models.ForeignKey("policy.ParameterSet", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", verbose_name=_("政策参数版本"))
    totals = models.JSONField(_("合计"), default=dict)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("计算人"))
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("审核人"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("结算批次")
        verbose_name_plural = _("结算批次")
        ordering = ["-period", "admdvs", "kind"]
        constraints = [models.UniqueConstraint(fields=["admdvs", "kind", "period"], name="settlementrun_unique")]
        indexes = [models.Index(fields=["admdvs", "kind", "status", "period_start"])]
        permissions = [("approve_settlement", "可审核结算批次")]

    def __str__(self) -> str:
        return f"{self.admdvs_id} {self.get_kind_display()} {self.period}"

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def is_stale(self) -> bool:
        """A draft with claims recorded after it was computed (``budgets.selectors``: set by
        ``settlement_runs_with_staleness`` on lists, else counted for this one run)."""
        if self.is_approved:
            return False
        later = getattr(self, "later_claims", None)
        if later is None:
            from .selectors import settlement_run_stale_claims

            later = settlement_run_stale_claims(run=self)
        return bool(later)


class SettlementLine(models.Model):
    """One settling provider's line (village clinics inside their centre's line)."""

    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="lines", verbose_name=_("结算批次"))
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("结算机构"))
    # The paid provider's district: an out-of-area provider's (a fee-for-service line of a Heyuan
    # out-of-city selection) is a district of its own city, no row of ours — so no database
    # constraint, as on ``providers.Provider.district``.
    district = models.ForeignKey("policy.District", on_delete=models.PROTECT, db_column="district", related_name="+",
                                 db_constraint=False, verbose_name=_("县区"))
    members = models.IntegerField(_("签约人数"), default=0)
    member_months = models.IntegerField(_("人月数"), default=0)
    quota = models.DecimalField(_("月预结算额度/月包干"), null=True, blank=True, **MONEY)
    actual = models.DecimalField(_("实际发生统筹费用"), **MONEY)
    paid = models.DecimalField(_("月结算支付"), null=True, blank=True, **MONEY)
    budget = models.DecimalField(_("年度预算/包干总额"), null=True, blank=True, **MONEY)
    determined = models.DecimalField(_("决算额"), null=True, blank=True, **MONEY)
    ceiling_cut = models.DecimalField(_("超县区基金总额扣减"), default=0, **MONEY)
    prepaid = models.DecimalField(_("已预付"), null=True, blank=True, **MONEY)
    balance_due = models.DecimalField(_("应补(负数为应扣回)"), null=True, blank=True, **MONEY)
    band = models.CharField(_("决算档次"), max_length=12, blank=True)
    claims = models.IntegerField(_("结算记录数"), default=0)
    # Fee-for-service lines: visits net of reversals and their total cost.
    visits = models.IntegerField(_("就诊人次"), default=0)
    medfee_sumamt = models.DecimalField(_("医疗费总额"), null=True, blank=True, **MONEY)
    # Approved assessment/violation deductions taken off this line's payment, and what is left of
    # them for the provider's following run (a run never pays below zero).
    deductions = models.DecimalField(_("考核/违规扣款"), default=0, **MONEY)
    deductions_carried = models.DecimalField(_("结转下期扣款"), default=0, **MONEY)
    inputs = models.JSONField(_("计算依据"), default=dict)

    class Meta:
        verbose_name = _("结算明细")
        verbose_name_plural = _("结算明细")
        ordering = ["run", "provider__fixmedins_code"]
        constraints = [models.UniqueConstraint(fields=["run", "provider"], name="settlementline_run_provider_unique")]

    def __str__(self) -> str:
        return f"{self.run} {self.provider_id}"


class CountyFund(models.Model):
    """Nanchang 第二十二/二十四条: a district's yearly outpatient pooling fund total, entered by staff.

    When the year-end determined amounts of the district's providers exceed it, the excess is cut."""

    admdvs = models.ForeignKey("policy.Region", on_delete=models.PROTECT, db_column="admdvs", related_name="+",
                               verbose_name=_("统筹区"))
    district = models.ForeignKey("policy.District", on_delete=models.PROTECT, db_column="district", related_name="+",
                                 verbose_name=_("县区"))
    year = models.PositiveSmallIntegerField(_("年度"))
    amount = models.DecimalField(_("普通门诊统筹基金总额"), **MONEY)
    note = models.CharField(_("依据/说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("县区门诊统筹基金总额")
        verbose_name_plural = _("县区门诊统筹基金总额")
        ordering = ["-year", "district"]
        constraints = [models.UniqueConstraint(fields=["district", "year"], name="countyfund_district_year_unique")]

    def __str__(self) -> str:
        return f"{self.district_id} {self.year}: {self.amount}"


class _StaffApproved(models.Model):
    """Entered by one staff member, approved by another (RULES.md "Assessment and deductions")."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("待审核")
        APPROVED = "approved", _("已审核")

    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("定点机构"))
    year = models.PositiveSmallIntegerField(_("年度"))
    document_no = models.CharField(_("文件编号"), max_length=60)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    entered_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("录入人"))
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("审核人"))

    class Meta:
        abstract = True

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED


class Assessment(_StaffApproved):
    """A provider's yearly assessment result 考核结果. A failed one flags the provider for the renewal
    of its agreement (Heyuan 第十四条)."""

    score = models.DecimalField(_("考核得分"), max_digits=5, decimal_places=2)
    passed = models.BooleanField(_("考核合格"))

    class Meta:
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
        ordering = ["-year", "provider"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "year"], name="assessment_provider_year_unique"),
            models.CheckConstraint(condition=models.Q(score__gte=0, score__lte=100), name="assessment_score_0_100"),
        ]
        permissions = [("approve_assessment", "可审核考核结果与扣款")]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.year}: {self.score}"


class Deduction(_StaffApproved):
    """An assessment or violation deduction 考核扣款/违规扣款. Once approved it is taken off the provider's
    next runs (``DeductionTaken``) until it is used up."""

    class Kind(models.TextChoices):
        ASSESSMENT = "assessment", _("考核扣款")
        VIOLATION = "violation", _("违规扣款")

    kind = models.CharField(_("扣款类型"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(_("扣款金额"), **MONEY)
    reason = models.CharField(_("扣款原因"), max_length=200)

    class Meta:
        verbose_name = _("考核/违规扣款")
        verbose_name_plural = _("考核/违规扣款")
        ordering = ["-year", "provider", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="deduction_amount_positive")]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.get_kind_display()} {self.amount}"


class DeductionTaken(models.Model):
    """How much of a deduction one run line took. Only lines of APPROVED runs use a deduction up; a
    draft's rows are rewritten with its lines."""

    deduction = models.ForeignKey(Deduction, on_delete=models.PROTECT, related_name="taken", verbose_name=_("扣款"))
    line = models.ForeignKey(SettlementLine, on_delete=models.CASCADE, related_name="deductions_taken",
                             verbose_name=_("结算明细"))
    amount = models.DecimalField(_("本期扣除"), **MONEY)

    class Meta:
        verbose_name = _("扣款执行")
        verbose_name_plural = _("扣款执行")
        constraints = [models.UniqueConstraint(fields=["deduction", "line"], name="deductiontaken_unique")]
