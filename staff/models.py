from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffScope(models.Model):
    """Which districts a staff user may see: the whole city of a region, or some of its districts.

    A user without a scope sees nothing (superusers see everything). Every list, detail, search,
    export and API endpoint goes through ``staff.scope``.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scope",
                                verbose_name=_("用户"))
    all_regions = models.BooleanField(_("全部统筹区"), default=False)
    region = models.ForeignKey("policy.Region", null=True, blank=True, on_delete=models.PROTECT,
                               verbose_name=_("统筹区"), help_text=_("选择统筹区且不选县区 = 全市"))
    districts = models.ManyToManyField("policy.District", blank=True, verbose_name=_("县区"))

    class Meta:
        verbose_name = _("数据范围")
        verbose_name_plural = _("数据范围")
        permissions = [("view_full_certno", "可查看完整身份证号")]

    def __str__(self) -> str:
        return f"{self.user} 数据范围"

    def clean(self) -> None:
        if not self.all_regions and not self.region_id:
            raise ValidationError({"region": _("请选择统筹区，或勾选全部统筹区")})


class AuditEvent(models.Model):
    """Append-only record of a change: who, when, through which channel, before and after."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("操作人"))
    channel = models.CharField(_("渠道"), max_length=10)
    action = models.CharField(_("操作"), max_length=30)
    model = models.CharField(_("对象类型"), max_length=60, db_index=True)
    object_id = models.CharField(_("对象"), max_length=64)
    before = models.JSONField(_("变更前"), default=dict)
    after = models.JSONField(_("变更后"), default=dict)

    class Meta:
        verbose_name = _("变更审计")
        verbose_name_plural = _("变更审计")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"])]

    def __str__(self) -> str:
        return f"变更审计 #{self.pk}"


class AccessLog(models.Model):
    """Who viewed or exported personal data, and when (个人信息保护法)."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    # No database constraint: the user is the request's own, authenticated in it, and the check
    # PostgreSQL made at COMMIT locked that user's row (FOR KEY SHARE) on every logged request — a
    # clinic system account's row shared by all its concurrent messages (national/models.py, above
    # Message). Deleting a user still nulls the entries: SET_NULL is the ORM's, made either way.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("用户"), db_constraint=False)
    action = models.CharField(_("操作"), max_length=20)  # view / export / list
    what = models.CharField(_("数据"), max_length=60)
    object_ids = models.JSONField(_("对象"), default=list)
    count = models.PositiveIntegerField(_("条数"), default=0)
    path = models.CharField(_("地址"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("个人信息访问日志")
        verbose_name_plural = _("个人信息访问日志")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"访问记录 #{self.pk}"
