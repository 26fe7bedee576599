"""Policy simulation 政策测算: a run replays a period's recorded visits under draft parameter sets.

Nothing here is ever read by a real claim: a scenario's parameters live in ``Scenario.values`` (a
draft copied from a ``policy.ParameterSet``), not in ``ParameterSet``, so they can never be in force.
A run's results go only to these tables (the replay itself writes nothing to claims, accumulators or
accounts: tests/simulation/test_nothing_written.py counts the rows).
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 16, "decimal_places": 2}


class SimulationRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("测算中")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已取消")
        FAILED = "failed", _("失败")

    admdvs = models.ForeignKey("policy.Region", on_delete=models.PROTECT, db_column="admdvs", related_name="+",
                               verbose_name=_("统筹区"))
    year = models.PositiveSmallIntegerField(_("测算年度"), help_text=_("重放该年度全部就诊记录"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    partitions_total = models.PositiveIntegerField(_("分片数"), default=0)
    partitions_done = models.PositiveIntegerField(_("已完成分片"), default=0)
    visits = models.PositiveIntegerField(_("重放就诊人次"), default=0)
    cancel_requested = models.BooleanField(_("已请求取消"), default=False)
    # The baseline check (issue 22 point 4): False when the baseline replay differed from the records
    # for at least one claim (listed in ``findings``); None until the run is done.
    baseline_matches = models.BooleanField(_("基线与结算记录一致"), null=True, blank=True)
    results = models.JSONField(_("测算结果"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("创建人"))

    class Meta:
        verbose_name = _("政策测算")
        verbose_name_plural = _("政策测算")
        ordering = ["-id"]
        permissions = [("run_simulation", _("可发起政策测算"))]

    def __str__(self) -> str:
        return f"{self.admdvs_id} {self.year} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.CANCELLED, self.Status.FAILED)


class Scenario(models.Model):
    """One column of a run: the baseline (position 0, ``values`` empty: the parameter sets in force,
    as the claims were settled) or a draft (positions 1–3) copied from ``based_on`` and edited."""

    run = models.ForeignKey(SimulationRun, on_delete=models.CASCADE, related_name="scenarios",
                            verbose_name=_("测算"))
    position = models.PositiveSmallIntegerField(_("序号"))
    label = models.CharField(_("方案名称"), max_length=60)
    based_on = models.ForeignKey("policy.ParameterSet", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("复制自参数版本"))
    values = models.JSONField(_("方案参数"), null=True, blank=True)

    class Meta:
        verbose_name = _("测算方案")
        verbose_name_plural = _("测算方案")
        ordering = ["run", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "position"], name="scenario_run_position_unique")]

    def __str__(self) -> str:
        return self.label

    @property
    def is_baseline(self) -> bool:
        return self.position == 0


class SimulationCell(models.Model):
    """One figure of a breakdown for a scenario: (breakdown, key) → visits, fund payment, medical
    costs. Partitions write their partial cells (``partition`` ≥ 0); the aggregation sums them into
    the run's results and deletes them."""

    run = models.ForeignKey(SimulationRun, on_delete=models.CASCADE, related_name="+")
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="+")
    partition = models.IntegerField()
    breakdown = models.CharField(max_length=20)
    key = models.CharField(max_length=40)
    visits = models.IntegerField(default=0)
    fund_pay = models.DecimalField(**MONEY)
    medfee = models.DecimalField(**MONEY)

    class Meta:
        indexes = [models.Index(fields=["run", "partition"])]


class SimulationMemberTotal(models.Model):
    """A member's fund payment in the period under a scenario (the deciles, the cap counts).

    A row per member and scenario (two million for a replayed year of a million members), written
    by binary COPY from the partitions (services.py ``_members_write``) inside the transaction that
    holds the run's row lock, with the run's own scenario ids; removed with the run by Django's
    CASCADE. So the references are kept by the writer, not checked by PostgreSQL row by row: the
    foreign-key triggers queued two lookups per row, checked at the partition's commit (about as
    much server CPU as the insert itself, measured on a million rows). The run's own index is the
    (run, scenario) index's prefix.

    No index of the scenario's own either: a scenario goes only with its run (never deleted alone:
    the admin's inline refuses it), whose CASCADE removes these rows by the run, so the scenario's
    reference is left to that (``DO_NOTHING``: Django sends no second delete by scenario, which
    without the index would scan the table). Its index cost up to a quarter of the rows' insert:
    3.6 against 2.8 and 3.5 µs of server CPU a row (a partition's two scenarios, 13 400 rows, eight
    partitions each way, the backend's CPU before and after, alternated)."""

    run = models.ForeignKey(SimulationRun, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                            db_index=False)
    scenario = models.ForeignKey(Scenario, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False,
                                 db_index=False)
    member_id = models.BigIntegerField()
    fund_pay = models.DecimalField(**MONEY)
    at_cap = models.BooleanField(default=False)
    at_subcap = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["run", "scenario"])]


class SimulationFinding(models.Model):
    """A recorded claim the baseline replay did not reproduce to the fen (issue 22 point 4)."""

    class Kind(models.TextChoices):
        # Same year-to-date before the visit, another decision: a parameter edited after use, or a bug.
        DECISION = "decision", _("同一累计下决定不同")
        # The year-to-date it saw differs: an earlier visit reversed later, or settled out of visit order.
        YEAR_TO_DATE = "year_to_date", _("此前累计不同")
        REFUSED = "refused", _("重放被拒绝")

    run = models.ForeignKey(SimulationRun, on_delete=models.CASCADE, related_name="findings")
    claim_id = models.BigIntegerField(_("结算记录ID"))
    setl_id = models.CharField(_("结算ID"), max_length=32)
    kind = models.CharField(_("类型"), max_length=14, choices=Kind.choices)
    recorded_fund_pay = models.DecimalField(_("记录统筹支付"), **MONEY)
    replayed_fund_pay = models.DecimalField(_("重放统筹支付"), null=True, blank=True, **MONEY)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("基线差异")
        verbose_name_plural = _("基线差异")
        ordering = ["run", "claim_id"]
