"""Fund supervision 基金监测预警: thresholds, monthly indicators per provider, inpatient stays, warnings.

* ``SupervisionSettings``: the supervision thresholds of a region for an effective period (versioned,
  validated on every save, no two periods of a region overlap).
* ``ProviderIndicator``: one row per provider-month, written only by
  ``supervision.services.indicators.indicators_compute`` (unique, a recompute replaces the month).
* ``InpatientStay``: a recorded inpatient stay, maintained by staff; a visit inside it is a warning.
* ``Warning`` + ``WarningEvent``: a breach with the figures behind it, an owner and a status; its
  history is append-only. The natural key (provider, period, kind, indicator, subject) is unique, so a
  re-run of a period never duplicates a warning.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 16, "decimal_places": 2}
RATIO = {"max_digits": 12, "decimal_places": 4}


class SupervisionSettings(models.Model):
    """Supervision thresholds of one region for an effective period (both ends inclusive).

    Kept here, not in ``policy.ParameterSet``: they steer the agency's monitoring, not the payment of a
    claim, so they change on their own calendar and no claim records them; a separate versioned table
    lets staff tune them without cutting a new benefit parameter version.
    """

    region = models.ForeignKey("policy.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("统筹区"))
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True, help_text=_("含当日；空表示长期有效"))
    growth_threshold = models.DecimalField(_("费用增长率预警线"), max_digits=6, decimal_places=4,
                                           help_text=_("环比/同比增长高于此值预警，如 0.30"))
    peer_percentile = models.DecimalField(_("同级机构分位数"), max_digits=5, decimal_places=4,
                                          help_text=_("高于同统筹区同等级机构该分位数预警，如 0.90"))
    min_peers = models.PositiveSmallIntegerField(_("同级比较最少机构数"), default=5)
    max_visits_per_day = models.PositiveSmallIntegerField(_("同一参保人同一机构每日就诊次数上限"),
                                                          help_text=_("超过此次数预警"))
    self_paid_share_max = models.DecimalField(_("自费比例预警线"), max_digits=5, decimal_places=4, null=True,
                                              blank=True, help_text=_("空表示不按绝对值预警"))
    exam_share_max = models.DecimalField(_("检查费用占比预警线"), max_digits=5, decimal_places=4, null=True,
                                         blank=True)
    out_of_catalogue_share_max = models.DecimalField(_("目录外项目占比预警线"), max_digits=5, decimal_places=4,
                                                     null=True, blank=True)
    note = models.CharField(_("依据/说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("录入人"))

    class Meta:
        verbose_name = _("监测预警参数")
        verbose_name_plural = _("监测预警参数")
        ordering = ["region", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["region", "effective_from"], name="supervisionsettings_from_unique"),
            models.CheckConstraint(condition=models.Q(effective_to__isnull=True)
                                   | models.Q(effective_to__gte=models.F("effective_from")),
                                   name="supervisionsettings_period_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.effective_from}~{self.effective_to or '…'}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        for name in ("growth_threshold", "peer_percentile", "self_paid_share_max", "exam_share_max",
                     "out_of_catalogue_share_max"):
            value = getattr(self, name)
            upper = 10 if name == "growth_threshold" else 1
            if value is not None and not (0 <= value <= upper):
                errors.setdefault(name, []).append(_("取值应在 0 与 %(u)s 之间") % {"u": upper})
        if self.peer_percentile is not None and self.peer_percentile == 0:
            errors.setdefault("peer_percentile", []).append(_("分位数须大于 0"))
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            errors.setdefault("effective_to", []).append(_("失效日期不能早于生效日期"))
        if self.region_id and self.effective_from and "effective_to" not in errors:
            clash = SupervisionSettings.objects.filter(region_id=self.region_id).exclude(pk=self.pk).filter(
                models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=self.effective_from))
            if self.effective_to:
                clash = clash.filter(effective_from__lte=self.effective_to)
            if clash.exists():
                errors.setdefault("effective_from", []).append(_("与已有版本的有效期重叠"))
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.full_clean()
        super().save(*args, **kwargs)


class ProviderIndicator(models.Model):
    """A provider's indicators for one month 机构月度监测指标 (amounts net of reversals)."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("定点机构"))
    admdvs = models.ForeignKey("policy.Region", on_delete=models.PROTECT, db_column="admdvs", related_name="+",
                               verbose_name=_("统筹区"))
    district = models.ForeignKey("policy.District", on_delete=models.PROTECT, db_column="district",
                                 related_name="+", verbose_name=_("县区"))
    level = models.CharField(_("等级(同级比较)"), max_length=1)
    period = models.DateField(_("月份"), help_text=_("当月1日"))
    visits = models.PositiveIntegerField(_("就诊人次"))
    members = models.PositiveIntegerField(_("就诊人数"))
    medfee_sumamt = models.DecimalField(_("医疗费总额"), **MONEY)
    selfpaid_amt = models.DecimalField(_("自费自付金额"), **MONEY)
    hifp_pay = models.DecimalField(_("统筹基金支付"), **MONEY)
    item_amt = models.DecimalField(_("明细金额合计"), null=True, **MONEY)
    exam_amt = models.DecimalField(_("检查费"), null=True, **MONEY)
    out_of_catalogue_amt = models.DecimalField(_("目录外(丙类)金额"), null=True, **MONEY)
    avg_cost = models.DecimalField(_("次均费用"), **MONEY)
    fund_per_member = models.DecimalField(_("人均基金支付"), **MONEY)
    visits_per_member = models.DecimalField(_("人次人头比"), **RATIO)
    self_paid_share = models.DecimalField(_("自费比例"), null=True, **RATIO)
    exam_share = models.DecimalField(_("检查费用占比"), null=True, **RATIO)
    out_of_catalogue_share = models.DecimalField(_("目录外项目占比"), null=True, **RATIO)
    growth_mom = models.DecimalField(_("费用环比增长"), null=True, **RATIO)
    growth_yoy = models.DecimalField(_("费用同比增长"), null=True, **RATIO)
    repeat_visit_days = models.PositiveIntegerField(
        _("同日多次就诊组数"), null=True, help_text=_("同一参保人同日在本机构就诊超过上限次数的(人,日)组数"))
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("机构月度指标")
        verbose_name_plural = _("机构月度指标")
        ordering = ["-period", "provider_id"]
        constraints = [models.UniqueConstraint(fields=["provider", "period"], name="providerindicator_month_unique")]
        indexes = [models.Index(fields=["admdvs", "period", "level"]), models.Index(fields=["district", "period"])]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.period:%Y-%m}"


class InpatientStay(models.Model):
    """An inpatient stay 住院登记 (admission day to discharge day, both inclusive; open while not discharged)."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="inpatient_stays",
                               verbose_name=_("参保人"))
    hospital = models.ForeignKey("providers.Provider", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("住院机构"))
    admitted_on = models.DateField(_("入院日期"))
    discharged_on = models.DateField(_("出院日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("经办人"))

    class Meta:
        verbose_name = _("住院登记")
        verbose_name_plural = _("住院登记")
        ordering = ["-admitted_on", "-id"]
        indexes = [models.Index(fields=["member", "admitted_on"])]
        constraints = [models.CheckConstraint(condition=models.Q(discharged_on__isnull=True)
                                              | models.Q(discharged_on__gte=models.F("admitted_on")),
                                              name="inpatientstay_ordered")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.admitted_on}~{self.discharged_on or ''}"

    def clean(self) -> None:
        if self.discharged_on and self.admitted_on and self.discharged_on < self.admitted_on:
            raise ValidationError({"discharged_on": _("出院日期不能早于入院日期")})


class Warning(models.Model):
    class Kind(models.TextChoices):
        PEER = "peer", _("高于同级机构分位数")
        THRESHOLD = "threshold", _("超过预警线")
        REPEAT_VISITS = "repeat_visits", _("同日多次就诊")
        INPATIENT_STAY = "inpatient_stay", _("住院期间门诊就诊")
        AFTER_LEAVING = "after_leaving", _("终止参保后就诊")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        UNDER_REVIEW = "under_review", _("核查中")
        CLOSED = "closed", _("已关闭")

    admdvs = models.ForeignKey("policy.Region", on_delete=models.PROTECT, db_column="admdvs", related_name="+",
                               verbose_name=_("统筹区"))
    district = models.ForeignKey("policy.District", on_delete=models.PROTECT, db_column="district",
                                 related_name="+", verbose_name=_("县区"))
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("定点机构"))
    period = models.DateField(_("月份"))
    kind = models.CharField(_("预警类型"), max_length=16, choices=Kind.choices)
    indicator = models.CharField(_("指标"), max_length=24, blank=True, default="")
    subject = models.CharField(_("对象"), max_length=64, blank=True, default="",
                               help_text=_("参保人与日期或结算ID；机构指标预警为空"))
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("参保人"))
    figures = models.JSONField(_("依据数据"), default=dict)
    status = models.CharField(_("状态"), max_length=14, choices=Status.choices, default=Status.OPEN, db_index=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("责任人"))
    note = models.TextField(_("处理说明"), blank=True)
    reproduced = models.BooleanField(_("最近一次重算仍触发"), default=True)
    opened_at = models.DateTimeField(_("产生时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        ordering = ["-period", "provider_id", "kind", "indicator", "subject"]
        constraints = [models.UniqueConstraint(fields=["provider", "period", "kind", "indicator", "subject"],
                                               name="warning_natural_key")]
        indexes = [models.Index(fields=["admdvs", "period", "status"]), models.Index(fields=["district", "period"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.indicator} {self.provider_id} {self.period:%Y-%m}"


class WarningEvent(models.Model):
    """Append-only history of a warning: opened, refreshed by a re-run, assigned, reviewed, closed."""

    class Action(models.TextChoices):
        OPENED = "opened", _("产生")
        REFRESHED = "refreshed", _("重算更新")
        NOT_REPRODUCED = "not_reproduced", _("重算未再触发")
        ASSIGNED = "assigned", _("指派")
        REVIEW = "review", _("开始核查")
        CLOSED = "closed", _("关闭")
        REOPENED = "reopened", _("重新打开")

    warning = models.ForeignKey(Warning, on_delete=models.PROTECT, related_name="events", verbose_name=_("预警"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("操作人"))
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    from_status = models.CharField(_("原状态"), max_length=14, blank=True)
    to_status = models.CharField(_("新状态"), max_length=14)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("责任人"))
    note = models.TextField(_("说明"), blank=True)
    figures = models.JSONField(_("依据数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("预警处理记录")
        verbose_name_plural = _("预警处理记录")
        ordering = ["warning", "at", "id"]

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("预警处理记录只能追加，不能修改"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("预警处理记录只能追加，不能删除"))


# --- tallies: the counted claims' figures, kept as claims are written (supervision.tallies) ----------
# Plain columns, not foreign keys: they are derived figures, rebuilt from the claims at will
# (``manage.py supervision_tallies_rebuild``), and a key check per row would cost every claim's write.
TALLY_MONEY = {"max_digits": 18, "decimal_places": 2}


class MemberDayTally(models.Model):
    """Counted claims of one member at one provider on one day (the claims' region): a row per
    (member, day) group, kept so that a claim knows whether it opens, grows or empties one."""

    pk = models.CompositePrimaryKey("admdvs", "provider_id", "member_id", "visit_date")
    admdvs = models.CharField(_("统筹区"), max_length=6)
    provider_id = models.BigIntegerField(_("就诊机构"))
    member_id = models.BigIntegerField(_("参保人"))
    visit_date = models.DateField(_("就诊日期"))
    visits = models.IntegerField(_("就诊次数"))

    class Meta:
        verbose_name = _("参保人日就诊计数")
        verbose_name_plural = _("参保人日就诊计数")


class MemberMonthTally(models.Model):
    """How many days of a calendar month one member has counted claims at one provider (the claims'
    region): a claim that opens or empties a (member, day) group learns from this row, by its
    upsert, whether the member joins or leaves the provider-month's distinct members. An upsert,
    not a read of the member's day rows: ON CONFLICT always finds its row by the key, whereas a
    read's plan depends on the table's statistics (a plan made while the table was nearly empty
    scanned all of it, for every claim, until the next ANALYZE)."""

    pk = models.CompositePrimaryKey("admdvs", "month", "provider_id", "member_id")
    admdvs = models.CharField(_("统筹区"), max_length=6)
    month = models.DateField(_("月份"), help_text=_("当月1日"))
    provider_id = models.BigIntegerField(_("就诊机构"))
    member_id = models.BigIntegerField(_("参保人"))
    days = models.IntegerField(_("就诊天数"))

    class Meta:
        verbose_name = _("参保人月就诊天数")
        verbose_name_plural = _("参保人月就诊天数")


class ProviderMonthTally(models.Model):
    """The counted claims of a provider in a calendar month (the claims' region): visits, amounts,
    claims with fee details and distinct members, as ``supervision.sql.claim_aggregates`` reports them
    — split by member shard (``supervision.tallies.MEMBER_SHARDS``), the month's figure the sum."""

    pk = models.CompositePrimaryKey("admdvs", "month", "provider_id", "member_shard")
    admdvs = models.CharField(_("统筹区"), max_length=6)
    month = models.DateField(_("月份"), help_text=_("当月1日"))
    provider_id = models.BigIntegerField(_("就诊机构"))
    member_shard = models.SmallIntegerField(_("参保人分片"), help_text=_("member_id % 16"))
    visits = models.BigIntegerField(_("就诊人次"))
    members = models.BigIntegerField(_("就诊人数"))
    medfee_sumamt = models.DecimalField(_("医疗费总额"), **TALLY_MONEY)
    selfpaid_amt = models.DecimalField(_("自费自付金额"), **TALLY_MONEY)
    hifp_pay = models.DecimalField(_("统筹基金支付"), **TALLY_MONEY)
    itemised_claims = models.BigIntegerField(_("有明细的结算数"))
    itemised_amount = models.DecimalField(_("明细金额合计"), **TALLY_MONEY)
    exam_amount = models.DecimalField(_("检查费"), **TALLY_MONEY)
    out_of_catalogue_amount = models.DecimalField(_("目录外(丙类)金额"), **TALLY_MONEY)

    class Meta:
        verbose_name = _("机构月度计数")
        verbose_name_plural = _("机构月度计数")


class VisitsPerDayTally(models.Model):
    """How many (member, day) groups of a provider's month had exactly ``visits_per_day`` counted
    visits: the repeat-visit days over any limit are the groups above it, whatever limit the
    supervision settings in force give when the month is run. Split by member shard, as
    ``ProviderMonthTally``."""

    pk = models.CompositePrimaryKey("admdvs", "month", "provider_id", "member_shard", "visits_per_day")
    admdvs = models.CharField(_("统筹区"), max_length=6)
    month = models.DateField(_("月份"), help_text=_("当月1日"))
    provider_id = models.BigIntegerField(_("就诊机构"))
    member_shard = models.SmallIntegerField(_("参保人分片"), help_text=_("member_id % 16"))
    visits_per_day = models.IntegerField(_("当日就诊次数"))
    member_days = models.BigIntegerField(_("(人,日)组数"))

    class Meta:
        verbose_name = _("日就诊次数分布")
        verbose_name_plural = _("日就诊次数分布")


class TallyWatermark(models.Model):
    """The tallies' watermark (a single row, ``id`` 1): every claim written by a transaction whose id
    is below ``counted_below`` (``claims.Claim.written_xid``) is counted into the tallies above, and
    of those at or above it, exactly the ones listed in ``TalliedClaimAhead``. Moved only by
    ``supervision.tallies.tallies_catch_up`` and ``tallies_rebuild`` (the reasoning is there)."""

    id = models.SmallIntegerField(primary_key=True, default=1)
    counted_below = models.BigIntegerField(_("已计入的事务号下限"))

    class Meta:
        verbose_name = _("监测计数水位")
        verbose_name_plural = _("监测计数水位")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="tallywatermark_single_row")]


class TalliedClaimAhead(models.Model):
    """A claim counted into the tallies although its transaction id is at or above the watermark
    (``TallyWatermark``): a catch-up saw it committed while an older transaction was still open. A
    handful of rows: those below the watermark are dropped as it moves."""

    claim_id = models.BigIntegerField(_("结算记录"), primary_key=True)
    written_xid = models.BigIntegerField(_("写入事务号"))

    class Meta:
        verbose_name = _("已提前计入的结算")
        verbose_name_plural = _("已提前计入的结算")
