"""One import of one file: what, who, how far, and what was wrong with it."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        PROVIDERS = "providers", _("定点医疗机构")
        MEMBERS = "members", _("参保人")
        SIGNUPS = "signups", _("签约/选点")
        CLAIMS = "claims", _("门诊结算")
        REGISTRATIONS = "registrations", _("异地就医备案")

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("导入中")
        PREVIEWED = "previewed", _("已预检（未写入）")
        DONE = "done", _("已完成")
        REFUSED = "refused", _("已拒绝（未写入）")
        DUPLICATE = "duplicate", _("重复文件（未写入）")
        FAILED = "failed", _("出错（未写入）")

    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    file_name = models.CharField(_("文件名"), max_length=255)
    file = models.FileField(_("上传文件"), upload_to="imports/uploads/%Y/%m/", blank=True)
    sha256 = models.CharField(_("文件SHA-256"), max_length=64, db_index=True)
    size = models.BigIntegerField(_("文件大小"), default=0)
    dry_run = models.BooleanField(_("仅预检"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    message = models.TextField(_("说明"), blank=True)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    rows_written = models.PositiveIntegerField(_("写入行数"), default=0)
    rows_skipped = models.PositiveIntegerField(_("已存在跳过"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    errors = models.JSONField(_("错误（前若干条）"), default=list, blank=True)
    preview = models.JSONField(_("预览（前若干行）"), default=list, blank=True)
    rows_per_second = models.PositiveIntegerField(_("行/秒"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("经办人"))
    error_report = models.FileField(_("错误报告"), upload_to="imports/reports/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-id"]
        constraints = [
            # The same file is written at most once per kind: the second import writes nothing.
            models.UniqueConstraint(fields=["kind", "sha256"], condition=models.Q(status="done"),
                                    name="importjob_kind_sha_done_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status not in (self.Status.PENDING, self.Status.RUNNING)


class ImportedMembers(models.Model):
    """Members created by one members import, as a run of consecutive ids: the import's audit record
    for each member in it (which job, so which file and hash; who; when).

    Why a range and not one ``MemberChange`` per member: the per-member row and its foreign-key check
    were a quarter of the database's work per imported member. The loader reserves each batch's ids in
    one sequence sweep; the ids it was handed (and only those) are cut into runs of consecutive
    integers, so every id in [first_id, last_id] is a member this import created. Ids drawn meanwhile by
    another session leave a hole between two runs, never inside one. Sequences never hand out an id
    twice (unless someone resets one by hand below the ids in use), so no later member can fall inside
    a stored run. Written in the import's transaction: a
    refused file leaves no range."""

    job = models.ForeignKey(ImportJob, null=True, blank=True, on_delete=models.PROTECT, related_name="member_ranges",
                            verbose_name=_("导入任务"))
    # Unique: runs never overlap, and this index answers "the run holding member id X" in one probe.
    first_id = models.BigIntegerField(_("起始参保人ID"), unique=True)
    last_id = models.BigIntegerField(_("结束参保人ID"))
    loaded_at = models.DateTimeField(_("导入时间"))
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("经办人"))

    class Meta:
        verbose_name = _("导入的参保人")
        verbose_name_plural = _("导入的参保人")
        ordering = ["first_id"]
        constraints = [models.CheckConstraint(condition=models.Q(last_id__gte=models.F("first_id")),
                                              name="importedmembers_ordered_range")]

    def __str__(self) -> str:
        return f"{self.first_id}–{self.last_id}"

    @property
    def count(self) -> int:
        return self.last_id - self.first_id + 1
