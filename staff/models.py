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
