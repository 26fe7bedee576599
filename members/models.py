from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def first_of_next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


class Member(models.Model):
    """An enrollee 参保人 of one region; (admdvs, certno) is unique."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("参保")
        SUSPENDED = "suspended", _("暂停")
        LEFT = "left", _("终止参保")
        DECEASED = "deceased", _("死亡")

    # The composite (admdvs, id) and (district, id) indexes below serve these lookups; plain FK
    # indexes would only slow bulk loads of millions of members.
    # No database constraint of their own (db_constraint=False) on admdvs and district: (admdvs, district)
    # must be a policy_district (region_id, code), i.e. the district exists and lies in the member's
    # region. A composite foreign key did that from members/migrations/0005 (Django has no composite
    # keys); since 0012 triggers check it once per statement, set-based, under the same name
    # (member_region_district_fk): the key's per-row query and lock were ~7 µs of the database's ~25 µs
    # per imported member (imports/README.md). They stay ForeignKeys for the ORM (joins, filters, admin,
    # select_related). The services and the import also check region and district before writing.
    # Both columns are COLLATE "C" (raw SQL in 0011, like certno's db_collation below).
    admdvs = models.ForeignKey("policy.Region", on_delete=models.PROTECT, related_name="members",
                               db_column="admdvs", db_index=False, db_constraint=False, verbose_name=_("统筹区"))
    # COLLATE "C" (with admdvs and district, members/migrations/0011): codes compared byte by byte in the
    # indexes, not through the locale's strcoll (~4 µs of the database's time per imported member).
    certno = models.CharField(_("身份证号"), max_length=18, db_collation="C")
    psn_name = models.CharField(_("姓名"), max_length=50)
    insutype = models.CharField(_("险种"), max_length=3, choices=[("310", "职工医保"), ("390", "城乡居民医保")])
    psn_type = models.CharField(_("人员类别"), max_length=4)
    retired_on = models.DateField(_("退休办理日期"), null=True, blank=True)
    contribution_base = models.DecimalField(_("缴费基数"), max_digits=12, decimal_places=2, null=True, blank=True)
    poverty = models.BooleanField(_("建档立卡贫困人口"), default=False)
    district = models.ForeignKey("policy.District", on_delete=models.PROTECT, related_name="members",
                                 db_column="district", db_index=False, db_constraint=False, verbose_name=_("县区"))
    enrolled_on = models.DateField(_("参保日期"))
    brdy = models.DateField(_("出生日期"))
    gend = models.CharField(_("性别"), max_length=1, choices=[("1", "男"), ("2", "女")])
    status = models.CharField(_("参保状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    left_on = models.DateField(_("终止参保日期"), null=True, blank=True)
    # 异地安置 is no longer a date on the member: it is an out-of-area registration of kind
    # ``resettled`` (OutOfAreaRegistration below, RULES.md "Out-of-area care"), with its destination,
    # history and cancellation (第三十一、三十二条); members/migrations/0008 dropped the old column.
    # 门诊特殊慢性病 certifications (Ganzhou two-disease rule, Nanchang exclusion): disease codes.
    chronic_diseases = models.JSONField(_("门诊慢特病认定"), default=list, blank=True)
    # 只参加住院保险(不建账户) (CONTRACT.md ``inpatient_only``): no personal account; in Ganzhou no
    # outpatient pooling either (第三条). A database default too: the bulk loaders (COPY) leave it out.
    inpatient_only = models.BooleanField(_("只参加住院保险"), default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("参保人")
        verbose_name_plural = _("参保人")
        ordering = ["-id"]
        # One member per (region, certno). certno first: the same index then serves the lookups by certno
        # alone (admin search, the claims list, the API's certno filter) as well as by (region, certno),
        # so no separate certno index is kept up to date on every insert (members/migrations/0004).
        constraints = [
            models.UniqueConstraint(fields=["certno", "admdvs"], name="member_certno_region_unique"),
            # The uniqueness above holds for a person only if every path stores one spelling of a
            # certno: the normalised one (config.parsing.code_normalise, then members.certno). The
            # database refuses any other (full-width or Arabic-Indic digits, a lower-case x, blanks).
            models.CheckConstraint(condition=models.Q(certno__regex=r"^[0-9]{17}[0-9X]$"),
                                   name="member_certno_normalised"),
        ]
        # (admdvs, id) and (district, id) ascending, although the pages list newest first: PostgreSQL reads
        # a btree backwards for ``ORDER BY id DESC`` (no sort, same plan), and new members' increasing ids
        # append at the right edge of their group, which keeps the pages full instead of splitting them
        # half-empty (members/migrations/0003).
        indexes = [
            models.Index(fields=["district", "id"], name="member_district_id_idx"),
            models.Index(fields=["admdvs", "id"], name="member_region_id_idx"),
            # Prefix search by name (LIKE '王%') uses this on PostgreSQL; other backends ignore opclasses.
            models.Index(fields=["psn_name"], name="member_name_prefix_idx", opclasses=["varchar_pattern_ops"]),
            # City-wide filters on the rare values (left, deceased, poverty-registered) stay indexed
            # lookups instead of scanning millions of active members.
            models.Index(fields=["status", "-id"], name="member_not_active_idx", condition=~models.Q(status="active")),
            models.Index(fields=["admdvs", "id"], name="member_poverty_id_idx", condition=models.Q(poverty=True)),
        ]

    def __str__(self) -> str:
        return f"{self.psn_name}"

    def person_type_on(self, day: date) -> str:
        """'employed' or 'retired' on a day: a retirement processed on D counts from the 1st of the
        month after D (办理之日次月起; RULES.md applies it in every region)."""
        if self.retired_on is not None:
            return "retired" if day >= first_of_next_month(self.retired_on) else "employed"
        return "retired" if self.psn_type.startswith("12") else "employed"

    def age_on(self, day: date) -> int:
        return day.year - self.brdy.year - ((day.month, day.day) < (self.brdy.month, self.brdy.day))


class MemberChange(models.Model):
    """Append-only history of a member's registration and status changes (who, when, before/after)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="changes", verbose_name=_("参保人"))
    changed_at = models.DateTimeField(_("变更时间"), auto_now_add=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("经办人"))
    action = models.CharField(_("操作"), max_length=20)
    before = models.JSONField(_("变更前"), default=dict)
    after = models.JSONField(_("变更后"), default=dict)

    class Meta:
        verbose_name = _("参保人变更记录")
        verbose_name_plural = _("参保人变更记录")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.member.psn_name} {self.changed_at:%Y-%m-%d %H:%M} 变更" if self.changed_at else "参保人变更"


class SignUp(models.Model):
    """A sign-up 签约 (Nanchang) / selection 选点 (Heyuan). Append-only: a change is a new row.

    The member's provider on a day is the latest sign-up in effect on it (greatest effective_from,
    then the later request); for a month, the one in effect on its last day.
    """

    class Reason(models.TextChoices):
        FIRST = "first", _("首次签约")
        ANNUAL = "annual", _("年度重新选择")
        ADDRESS_CHANGE = "address_change", _("住址变更")
        PROVIDER_SUSPENDED = "provider_suspended", _("原机构暂停/终止")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="signups", verbose_name=_("参保人"))
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="signups",
                                 verbose_name=_("签约机构"))
    applied_on = models.DateField(_("申请日期"))
    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices)
    family_doctor = models.BooleanField(_("家庭医生签约"), default=False)
    effective_from = models.DateField(_("生效日期"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("经办人"))

    class Meta:
        verbose_name = _("签约/选点")
        verbose_name_plural = _("签约/选点")
        ordering = ["member", "effective_from", "id"]
        indexes = [
            models.Index(fields=["member", "effective_from", "id"]),
            models.Index(fields=["provider", "effective_from"]),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.provider_id} ({self.effective_from})"


class OutOfAreaRegistration(models.Model):
    """An out-of-area registration 异地就医备案 (RULES.md "Out-of-area care").

    In force from ``start_on`` to ``end_on`` inclusive (open while ``end_on`` is null). At most one is
    in force for a member on any day (checked under the member's row lock by
    members/registrations.py, the only writer). Never deleted: a cancellation 取消备案 sets
    ``end_on`` and ``cancelled_on`` to the cancellation day, so the history stays readable and
    claims decided earlier keep their meaning.
    """

    class Kind(models.TextChoices):
        RESETTLED = "resettled", _("异地安置")
        LONG_TERM = "long_term", _("异地长期居住/常驻异地工作")
        TEMPORARY = "temporary", _("临时外出就医")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="out_of_area_registrations",
                               verbose_name=_("参保人"))
    kind = models.CharField(_("备案类别"), max_length=10, choices=Kind.choices)
    # The city-level GB/T 2260 code of the destination (e.g. 440100); never the member's own region.
    dest_admdvs = models.CharField(_("就医地统筹区"), max_length=6)
    start_on = models.DateField(_("开始日期"))
    end_on = models.DateField(_("结束日期"), null=True, blank=True, help_text=_("含当日；空表示长期有效"))
    cancelled_on = models.DateField(_("取消备案日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("经办人"))
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("取消经办人"))

    class Meta:
        verbose_name = _("异地就医备案")
        verbose_name_plural = _("异地就医备案")
        ordering = ["member", "start_on", "id"]
        indexes = [models.Index(fields=["member", "start_on", "id"], name="oar_member_start_idx"),
                   models.Index(fields=["dest_admdvs", "start_on"], name="oar_dest_start_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_on__isnull=True) | models.Q(end_on__gte=models.F("start_on")),
                                   name="oar_period_ordered"),
            models.CheckConstraint(condition=~models.Q(kind="temporary") | models.Q(end_on__isnull=False),
                                   name="oar_temporary_has_end"),
        ]

    def __str__(self) -> str:
        end = self.end_on.isoformat() if self.end_on else "…"
        return f"{self.get_kind_display()} → {self.dest_admdvs} ({self.start_on.isoformat()}~{end})"

    def in_force_on(self, day: date) -> bool:
        return self.start_on <= day and (self.end_on is None or day <= self.end_on)
