from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}
# The id of the transaction that inserts the row, 64 bits (it never wraps around); xid8 has no cast
# to bigint, hence by text. A database DEFAULT: every insert fills it, the claims writer's INSERT or
# COPY, the ORM's, a bench's COPY that does not name the column (``Claim.written_xid``).
WRITTEN_XID = RawSQL("pg_current_xact_id()::text::bigint", [], output_field=models.BigIntegerField())
WRITTEN_XID_INDEX = "claim_written_xid_brin"
WRITTEN_XID_PAGES_PER_RANGE = 128   # PostgreSQL's default, named: supervision's rebuild summarizes by range


# The values are policy.rules.common.OUT_OF_AREA; the labels are the staff's (one enum in the API schema).
OUT_OF_AREA_CHOICES = [
    ("none", _("本地就医")), ("long_term", _("异地长期（已备案）")), ("temporary", _("临时外出（已备案）")),
    ("unregistered", _("异地就医未备案"))]


class Claim(models.Model):
    """One outpatient settlement record 门诊结算记录. Append-only: never updated after insert except
    for ``monthly_run_id`` (stamped when an approved monthly run counted it); a reversal is a new row
    whose amounts are the original's negated and whose ``reverses`` names the original.

    Status of a reversal row: ``reversal`` (撤销). The contract's three statuses describe decisions
    about a visit; a reversal is not a decision about a visit but the undoing of one, so it gets its
    own status and the API answers it with ``reverses`` = the original's ``setl_id``. It keeps the
    original's visit time, providers, ratio and parameter version, so period sums (settlement
    actuals, accumulators) net out by simply adding every row."""

    class Status(models.TextChoices):
        SETTLED = "settled", _("已结算")
        NOT_COVERED = "not_covered", _("不予支付")
        PENDING_REVIEW = "pending_review", _("待审核")
        REVERSAL = "reversal", _("撤销")

    class Benefit(models.TextChoices):
        ORDINARY = "ordinary", _("普通门诊")
        TCM = "tcm", _("中医门诊")
        HYPERTENSION = "hypertension", _("两病-高血压")
        DIABETES = "diabetes", _("两病-糖尿病")
        SPECIAL_ITEM = "special_item", _("特殊检查治疗")

    setl_id = models.CharField(_("结算ID"), max_length=32, unique=True)
    # Region and district are copied from the member's row (whose own foreign keys guarantee them)
    # when the claim is decided, so the database does not check them again on every insert: two
    # key lookups with row locks per claim, a third of the insert's cost before this was measured.
    admdvs = models.ForeignKey("policy.Region", on_delete=models.PROTECT, db_column="admdvs", related_name="+",
                               db_constraint=False, db_index=False, verbose_name=_("统筹区"))
    district = models.ForeignKey("policy.District", on_delete=models.PROTECT, db_column="district", related_name="+",
                                 db_constraint=False, db_index=False, verbose_name=_("参保人县区"))
    # The single-column indexes Django would add on these keys are left out: the composite indexes
    # in Meta start with the same column and serve the same lookups (PROTECT checks, joins).
    # The member is not checked again by the database on every insert (a key lookup with a row lock
    # per claim, 5 µs of the server's ~70 µs a claim, measured on a COPY of 6 000 claims): a
    # claim is written only by claims/store.py in the transaction that holds its member's
    # ``Accumulator`` row for the visit's year locked (created there when missing), and that row's
    # own, checked, foreign key keeps the member from being deleted while it exists (accumulator rows
    # are never deleted). Django's PROTECT still guards deletes through the ORM.
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="claims", db_index=False,
                               db_constraint=False, verbose_name=_("参保人"))
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="claims",
                                 db_index=False, verbose_name=_("就诊机构"))
    # The provider whose capitation/settlement line carries the fund payment: the signed provider for
    # a Nanchang referral, a village clinic's centre, the selected provider for a Heyuan emergency.
    charged_provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="charged_claims",
                                         db_index=False, verbose_name=_("结算归属机构"))
    visit_at = models.DateTimeField(_("就诊时间"))
    visit_date = models.DateField(_("就诊日期"))  # local (Asia/Shanghai) date of visit_at, for aggregation
    benefit = models.CharField(_("门诊类别"), max_length=14, choices=Benefit.choices, default=Benefit.ORDINARY)
    emergency = models.BooleanField(_("急诊抢救"), default=False)
    referral = models.BooleanField(_("转诊"), default=False)
    # Derived from the treating provider's admdvs and the registration in force (RULES.md "Out-of-area
    # care"; policy/rules/out_of_area.py): none, long_term, temporary or unregistered.
    out_of_area = models.CharField(_("异地就医"), max_length=12, default="none", choices=OUT_OF_AREA_CHOICES)
    channel = models.CharField(_("结算方式"), max_length=8, default="direct")
    exclusion = models.CharField(_("除外情形"), max_length=30, null=True, blank=True)
    # 外配处方: at a pharmacy, the medical provider whose prescription was filled (it rated the visit;
    # the pharmacy is still the treating and charged provider). Keyed by code, so the API answers it
    # without a join.
    prescribing_provider = models.ForeignKey(
        "providers.Provider", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        to_field="fixmedins_code", db_column="prescribing_fixmedins_code", db_index=False,
        verbose_name=_("外配处方开方机构"))

    medfee_sumamt = models.DecimalField(_("医疗费总额"), **MONEY)
    fulamt_ownpay_amt = models.DecimalField(_("全自费金额"), default=0, **MONEY)
    overlmt_selfpay = models.DecimalField(_("超限价自费"), default=0, **MONEY)
    preselfpay_amt = models.DecimalField(_("先行自付"), default=0, **MONEY)
    inscp_scp_amt = models.DecimalField(_("政策范围内费用"), **MONEY)

    status = models.CharField(_("状态"), max_length=16, choices=Status.choices)
    reason = models.CharField(_("原因"), max_length=40, null=True, blank=True)
    act_pay_dedc = models.DecimalField(_("本次起付线"), **MONEY)
    pool_prop_selfpay = models.DecimalField(_("基金支付比例"), max_digits=5, decimal_places=4)
    hifp_pay = models.DecimalField(_("统筹基金支付"), **MONEY)
    psn_part_amt = models.DecimalField(_("个人负担"), **MONEY)
    acct_pay = models.DecimalField(_("个人账户支付"), default=0, **MONEY)
    psn_cash_pay = models.DecimalField(_("现金支付"), default=0, **MONEY)
    acct_used = models.BooleanField(_("使用个人账户"), default=False)
    # Summary of the fee details (费用明细), for fund-supervision indicators without joining the
    # lines: the sum of the items of category "exam" (检查), of charge level "03" (丙类/自费,
    # out of the catalogue) and of all items (= medfee_sumamt when details are given). 0 when the
    # request had no details; negated on a reversal.
    exam_amount = models.DecimalField(_("检查费用"), default=0, db_default=0, **MONEY)
    out_of_catalogue_amount = models.DecimalField(_("目录外(丙类)费用"), default=0, db_default=0, **MONEY)
    itemised_amount = models.DecimalField(_("费用明细合计"), default=0, db_default=0, **MONEY)

    # Why: the accumulator deltas this record applied, the ordered explanation, the facts it saw.
    deltas = models.JSONField(_("累计变动"), default=dict)
    steps = models.JSONField(_("计算步骤"), default=list)
    inputs = models.JSONField(_("输入事实"), default=dict)
    parameter_set = models.ForeignKey("policy.ParameterSet", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="claims", verbose_name=_("政策参数版本"))

    # One reversal per claim: unique among the reversals only. Its index in the database is partial
    # (``WHERE reverses_id IS NOT NULL``, migration claims 0011), as every original claim has none: a
    # NULL entry per insert was index work for nothing. Every reader of it names a reversed claim
    # (``reverses_id = x``, or a join on it), which implies the key is not null.
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversed_by", verbose_name=_("撤销的原结算"))
    # Unique when given (``claim_idempotency_key_unique`` in Meta: an index of the keys only).
    idempotency_key = models.CharField(_("幂等键"), max_length=100, null=True, blank=True)
    # SHA-256 of the request's content when it carried an idempotency_key (a retry is compared with it); else "".
    request_hash = models.CharField(max_length=64, blank=True)
    monthly_run_id = models.BigIntegerField(_("计入月结算批次"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("结算时间"), auto_now_add=True)
    # Indexed only where given (``claim_created_by_idx``): a file's visits have no user.
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", db_index=False, verbose_name=_("经办人/接口账号"))
    # Supervision counts the claims into its tallies by this (``supervision.tallies``: a watermark of
    # transaction ids, no queue row per claim). Set by the database only (``WRITTEN_XID``; the claims
    # writer leaves the column out of its inserts, ``claims.rows``). 0 for the claims recorded before
    # it (migration claims 0009): they were counted by then.
    written_xid = models.BigIntegerField(_("写入事务号"), db_default=WRITTEN_XID, editable=False)

    class Meta:
        verbose_name = _("门诊结算")
        verbose_name_plural = _("门诊结算")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["admdvs", "visit_date", "charged_provider"]),
            models.Index(fields=["charged_provider", "visit_date"]),
            models.Index(fields=["member", "visit_at"]),
            models.Index(fields=["provider", "visit_date"]),
            models.Index(fields=["district"], name="claims_claim_district_idx"),  # district clerks' lists
            # The few pharmacy fills, for a prescriber's page and the PROTECT check (no scan of every claim).
            models.Index(fields=["prescribing_provider"], name="claim_prescriber_idx",
                         condition=models.Q(prescribing_provider__isnull=False)),
            # A user's claims (the SET_NULL when a user is deleted): the claims that have one.
            models.Index(fields=["created_by"], name="claim_created_by_idx",
                         condition=models.Q(created_by__isnull=False)),
            # Supervision's catch-up reads the claims written since its watermark. BRIN, not a btree:
            # a new row's entry goes into the table's unsummarized tail (nearly free; a btree entry per
            # claim is a page write on the claim's path), and the catch-up reads the tail's ranges
            # only (the ids grow with the table's physical order). ``autosummarize``: autovacuum
            # summarizes each range once it is full, so the unsummarized tail stays short.
            BrinIndex(fields=["written_xid"], name=WRITTEN_XID_INDEX, autosummarize=True,
                      pages_per_range=WRITTEN_XID_PAGES_PER_RANGE),
        ]
        constraints = [
            # A partial unique index: a claim without a key (a file's visits, most of them) adds no
            # entry (an entry per claim was 2 µs of the server's ~70 µs, on a COPY of 6 000 claims).
            # The replay's read (``idempotency_key = ANY(...)``, claims/store.py) implies the key is
            # not null, so PostgreSQL reads this index for it; two claims under one key still fail.
            models.UniqueConstraint(fields=["idempotency_key"], condition=models.Q(idempotency_key__isnull=False),
                                    name="claim_idempotency_key_unique"),
        ]
        permissions = [
            ("reverse_claim", _("可撤销门诊结算")),
            ("review_claim", _("可审核待审门诊结算")),
        ]

    def __str__(self) -> str:
        return self.setl_id


class Accumulator(models.Model):
    """A member's year-to-date figures. Changed only by the claims service with this row locked;
    always equal to the sum of the ``deltas`` of the member's claims of that year."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="accumulators")
    year = models.PositiveSmallIntegerField(_("年度"))
    fund_paid = models.DecimalField(_("统筹基金累计支付"), default=0, **MONEY)
    # Other year-to-date buckets by name (deductible per level, sub-caps, 24-hour windows...),
    # as {"name": "123.45"}; the region module decides the names.
    buckets = models.JSONField(_("分项累计"), default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("年度累计")
        verbose_name_plural = _("年度累计")
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="accumulator_member_year_unique")]

    def __str__(self) -> str:  # the admin's titles and history pages
        return f"{self.member.psn_name} {self.year}年度累计"


class ClaimItem(models.Model):
    """One fee detail line 费用明细 of a claim (optional in the request; when given, the lines add
    up to the claim's ``medfee_sumamt``). Written with the claim, never changed."""

    class Category(models.TextChoices):
        DRUG = "drug", _("西药")
        TCM_DRUG = "tcm_drug", _("中药")
        EXAM = "exam", _("检查")
        TREATMENT = "treatment", _("治疗")
        MATERIAL = "material", _("材料")
        SERVICE = "service", _("医疗服务")
        OTHER = "other", _("其他")

    class ChargeLevel(models.TextChoices):
        A = "01", _("甲类")
        B = "02", _("乙类")
        SELF = "03", _("丙类/自费")

    # Not checked by the database per line: claims/store.py writes a claim and its lines in one
    # transaction (the line's claim id is the one just written), and claims are never deleted.
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="items", db_constraint=False,
                              verbose_name=_("结算"))
    code = models.CharField(_("项目编码"), max_length=50)
    name = models.CharField(_("项目名称"), max_length=100)
    category = models.CharField(_("费用类别"), max_length=10, choices=Category.choices)
    chrgitm_lv = models.CharField(_("收费项目等级"), max_length=2, choices=ChargeLevel.choices)
    amount = models.DecimalField(_("金额"), **MONEY)

    class Meta:
        verbose_name = _("费用明细")
        verbose_name_plural = _("费用明细")
        ordering = ["claim", "id"]
        indexes = [models.Index(fields=["code"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
