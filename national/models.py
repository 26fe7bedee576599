"""Records of the national interface 国家医保平台接口 (see national/README.md).

A clinic system account is bound to one provider; what it sends is answered once per ``msgid``
(the answer is kept and returned again for a repeated message). Visits registered by 2201 and their
fee details (2204/2205) live here; the settlement itself is the claims engine's ``Claim``, linked
by ``NationalSettlement`` with the national facts the engine does not need (med_type, insutype,
the clinic's charge batch).
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


class ClinicAccount(models.Model):
    """A clinic's system account 机构接口账号: a login without staff rights whose API token may
    transact through ``POST /api/national/`` as ``provider`` only."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clinic_account",
                                verbose_name=_("登录账号"))
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="clinic_accounts",
                                 verbose_name=_("定点机构"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("创建人"))

    class Meta:
        verbose_name = _("机构接口账号")
        verbose_name_plural = _("机构接口账号")

    def __str__(self) -> str:
        return f"{self.user.username} → {self.provider_id}"


class SignIn(models.Model):
    """A 9001 sign-in 签到: one ``sign_no`` per clinic, operator and day."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="+")
    opter_no = models.CharField(_("操作员编号"), max_length=30)
    sign_day = models.DateField(_("签到日期"))
    sign_no = models.CharField(_("签到编号"), max_length=30, unique=True)
    signed_at = models.DateTimeField(_("签到时间"), auto_now_add=True)
    ip = models.CharField(max_length=40, blank=True)
    mac = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("签到")
        verbose_name_plural = _("签到")
        constraints = [models.UniqueConstraint(fields=["provider", "opter_no", "sign_day"],
                                               name="national_signin_operator_day")]


# Foreign keys without a database constraint (``db_constraint=False``) on the rows a 2207 writes.
# PostgreSQL checks a deferred foreign key at COMMIT with a ``SELECT … FOR KEY SHARE`` of the
# referenced row: a row lock, which writes the row's header (WAL) and, when the clinic's other
# messages hold the same provider's or user's row, a multixact. Those checks made a 2207's COMMIT
# cost 0.9 ms of server CPU against 0.28 for a REST claim (national/README.md, measured per statement). They
# guard nothing here that the writes do not guarantee already:
# - the claim a fee detail or a national settlement names was INSERTed a statement before, in the
#   same transaction, by the same code (national/settlement.py ``settlement_record``), and claims
#   are never deleted (a reversal is a new claim);
# - the visit and the provider were read in this request (the token's statement) and are never
#   deleted: no code, admin or API deletes them, and the ORM still refuses to delete a row that
#   these reference (``on_delete=PROTECT`` is the ORM's check, made with or without the constraint).
# The fee detail's visit keeps its constraint: 2204 writes it from a client's mdtrt_id.


class Message(models.Model):
    """A message answered: the first answer to (clinic, msgid), returned again for a repeat."""

    # Unindexed alone: the unique (provider, msgid) index serves every read (all are by both).
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="+",
                                 db_constraint=False, db_index=False)
    msgid = models.CharField(_("发送方报文ID"), max_length=60)
    infno = models.CharField(_("交易编号"), max_length=6)
    infcode = models.SmallIntegerField(_("交易状态码"))
    answer = models.JSONField(_("应答"))
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("接口报文")
        verbose_name_plural = _("接口报文")
        constraints = [models.UniqueConstraint(fields=["provider", "msgid"], name="national_message_once")]


class Visit(models.Model):
    """An outpatient registration 门诊挂号 (2201) and its visit information (2203)."""

    mdtrt_id = models.CharField(_("就诊ID"), max_length=30, unique=True)
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("定点机构"))
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("参保人"))
    insutype = models.CharField(_("险种类型"), max_length=6)
    begntime = models.DateTimeField(_("就诊时间"))
    ipt_otp_no = models.CharField(_("门诊号"), max_length=30)
    atddr_no = models.CharField(_("医师编码"), max_length=30, blank=True)
    dr_name = models.CharField(_("医师姓名"), max_length=50, blank=True)
    dept_code = models.CharField(_("科室编码"), max_length=30, blank=True)
    dept_name = models.CharField(_("科室名称"), max_length=100, blank=True)
    caty = models.CharField(_("科别"), max_length=6, blank=True)
    med_type = models.CharField(_("医疗类别"), max_length=6, blank=True)  # 2203
    dise_codg = models.CharField(_("病种编码"), max_length=30, blank=True)
    diagnoses = models.JSONField(_("诊断信息"), default=list)  # 2203 diseinfo, as sent
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("门诊就诊登记")
        verbose_name_plural = _("门诊就诊登记")
        indexes = [models.Index(fields=["provider", "begntime"])]

    def __str__(self) -> str:
        return self.mdtrt_id


class FeeDetail(models.Model):
    """One uploaded fee detail 费用明细 (2204); a cancellation (2205) stamps ``cancelled_at``;
    a settlement (2207) stamps the claim it was settled with."""

    # Unindexed alone: every read by visit is by (visit, feedetl_sn) or (visit, chrg_bchno) of the
    # uncancelled details, which the two partial indexes below serve (Meta).
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="fee_details", db_index=False)
    feedetl_sn = models.CharField(_("费用明细流水号"), max_length=30)
    chrg_bchno = models.CharField(_("收费批次号"), max_length=30)
    med_list_codg = models.CharField(_("医疗目录编码"), max_length=50)
    medins_list_codg = models.CharField(_("医药机构目录编码"), max_length=150)
    # The optional catalogue extension for med_list_codg (national/mapping.py (4)): what the settled
    # claim's ClaimItem records. Blank on every detail of a batch an unchanged national client sent.
    hilist_name = models.CharField(_("医保目录名称"), max_length=100, blank=True)
    chrgitm_lv = models.CharField(_("收费项目等级"), max_length=3, blank=True)
    med_chrgitm_type = models.CharField(_("医疗收费项目类别"), max_length=6, blank=True)
    det_item_fee_sumamt = models.DecimalField(_("明细项目费用总额"), **MONEY)
    cnt = models.DecimalField(_("数量"), max_digits=16, decimal_places=4)
    pric = models.DecimalField(_("单价"), max_digits=18, decimal_places=6)
    fee_ocur_time = models.DateTimeField(_("费用发生时间"))
    rxno = models.CharField(_("处方号"), max_length=30, blank=True)
    rx_circ_flag = models.CharField(_("外购处方标志"), max_length=3, blank=True)
    bilg_dept_codg = models.CharField(_("开单科室编码"), max_length=30, blank=True)
    bilg_dr_codg = models.CharField(_("开单医生编码"), max_length=30, blank=True)
    er_flag = models.CharField(_("急诊标志"), max_length=6, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    # Indexed for the settled details only (Meta.indexes ``national_feedetail_settled``): see there.
    claim = models.ForeignKey("claims.Claim", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("结算"), db_index=False, db_constraint=False)  # see Message

    class Meta:
        verbose_name = _("费用明细(接口)")
        verbose_name_plural = _("费用明细(接口)")
        constraints = [models.UniqueConstraint(fields=["visit", "feedetl_sn"], condition=models.Q(cancelled_at=None),
                                               name="national_feedetail_once")]
        # The unsettled details of a visit's batch (what 2206/2207 read and 2207 links to its claim:
        # national/transactions.py settlement_read_sql, settlement._settlement_link) by their own
        # index, and the claim's details (2208) by one that holds the settled ones only. With a
        # plain claim_id index the prepared statements' generic plans, once the statistics said
        # unsettled details were rare (as they are wherever most visits are settled), went by its
        # NULL entries: every unsettled detail of every clinic read for one message (0.3-0.6 ms of
        # server CPU with 500 of them, growing with their number).
        indexes = [models.Index(fields=["visit", "chrg_bchno"], condition=models.Q(claim=None, cancelled_at=None),
                                name="national_feedetail_unsettled"),
                   models.Index(fields=["claim"], condition=models.Q(claim__isnull=False),
                                name="national_feedetail_settled")]


class NationalSettlement(models.Model):
    """The national facts of a claim settled through 2207 (the claim itself is claims.Claim)."""

    # Both without a database constraint: see Message.
    claim = models.OneToOneField("claims.Claim", on_delete=models.PROTECT, related_name="national",
                                 db_constraint=False)
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="settlements", db_constraint=False)
    medins_setl_id = models.CharField(_("医药机构结算ID"), max_length=60)  # the 2207 msgid
    med_type = models.CharField(_("医疗类别"), max_length=6)
    insutype = models.CharField(_("险种类型"), max_length=6)
    mdtrt_cert_type = models.CharField(_("就诊凭证类型"), max_length=3)
    psn_setlway = models.CharField(_("个人结算方式"), max_length=6)
    chrg_bchno = models.CharField(_("收费批次号"), max_length=30)
    clr_type = models.CharField(_("清算类别"), max_length=6)
    invono = models.CharField(_("发票号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("接口结算")
        verbose_name_plural = _("接口结算")


class Reconciliation(models.Model):
    """A 3201 daily-totals reconciliation 对总账: the clinic's figures and ours for the period."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("定点机构"))
    insutype = models.CharField(_("险种"), max_length=6)
    clr_type = models.CharField(_("清算类别"), max_length=6)
    setl_optins = models.CharField(_("结算经办机构"), max_length=6)
    stmt_begndate = models.DateField(_("对账开始日期"))
    stmt_enddate = models.DateField(_("对账结束日期"))
    clinic_medfee_sumamt = models.DecimalField(_("机构医疗费总额"), **MONEY)
    clinic_fund_pay_sumamt = models.DecimalField(_("机构基金支付总额"), **MONEY)
    clinic_acct_pay = models.DecimalField(_("机构个人账户支付"), **MONEY)
    clinic_setl_cnt = models.IntegerField(_("机构结算笔数"))
    medfee_sumamt = models.DecimalField(_("医疗费总额"), **MONEY)
    fund_pay_sumamt = models.DecimalField(_("基金支付总额"), **MONEY)
    acct_pay = models.DecimalField(_("个人账户支付"), **MONEY)
    setl_cnt = models.IntegerField(_("结算笔数"))
    balanced = models.BooleanField(_("对账平衡"))
    msgid = models.CharField(max_length=60)
    created_at = models.DateTimeField(_("对账时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("对总账")
        verbose_name_plural = _("对总账")
        ordering = ["-stmt_begndate", "provider_id", "-id"]
        indexes = [models.Index(fields=["balanced", "stmt_begndate"])]
