from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from policy.rules import REGIONS


class Provider(models.Model):
    """A designated provider 定点医疗机构 (or pharmacy 定点零售药店)."""

    class Level(models.TextChoices):
        L1 = "1", _("一级及以下")
        L2 = "2", _("二级")
        L3 = "3", _("三级")
        UNRATED = "9", _("未定级")

    class Kind(models.TextChoices):
        TOWNSHIP = "township", _("乡镇卫生院")
        COMMUNITY = "community", _("社区卫生服务中心")
        VILLAGE = "village", _("村卫生室/站")
        ELDERCARE = "eldercare", _("养老机构内设医疗机构")
        HOSPITAL = "hospital", _("医院")
        COUNTY_TCM = "county_tcm", _("县级中医医院")
        PHARMACY = "pharmacy", _("定点零售药店")

    class Status(models.TextChoices):
        ACTIVE = "active", _("正常")
        SUSPENDED = "suspended", _("暂停")
        TERMINATED = "terminated", _("终止")

    fixmedins_code = models.CharField(_("定点机构编码"), max_length=30, unique=True)
    fixmedins_name = models.CharField(_("定点机构名称"), max_length=100, db_index=True)
    # Out-of-area providers 异地定点机构 (RULES.md "Out-of-area care") carry the city-level code of where
    # they are (e.g. 440100) and a district of that city, neither of which is one of our Region /
    # District rows: so no database constraint (db_constraint=False) — providers/services.py checks a
    # provider of our regions against districts.csv and an out-of-area one by its code's prefix. They
    # stay ForeignKeys for our own providers' joins and filters; code reads ``admdvs_id`` /
    # ``district_id`` (the plain codes), never the related row, which an out-of-area provider lacks.
    admdvs = models.ForeignKey("policy.Region", on_delete=models.PROTECT, related_name="providers",
                               db_column="admdvs", db_constraint=False, verbose_name=_("统筹区"))
    district = models.ForeignKey("policy.District", on_delete=models.PROTECT, related_name="providers",
                                 db_column="district", db_constraint=False, verbose_name=_("县区"))
    dedc_hosp_lv = models.CharField(_("等级"), max_length=1, choices=Level.choices)
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="village_clinics",
                               to_field="fixmedins_code", db_column="parent_code",
                               verbose_name=_("一体化管理的乡镇/社区中心"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    status_changed_on = models.DateField(_("状态变更日期"), null=True, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("定点医疗机构")
        verbose_name_plural = _("定点医疗机构")
        ordering = ["fixmedins_code"]
        indexes = [models.Index(fields=["admdvs", "district", "status"])]

    def __str__(self) -> str:
        return f"{self.fixmedins_name} ({self.fixmedins_code})"

    @property
    def out_of_area(self) -> bool:
        """A designated provider outside the five regions 异地定点机构 (belongs to no district of ours)."""
        return self.admdvs_id not in REGIONS

    @property
    def benefit_level(self) -> str:
        """Level for deductibles and ratios: 未定级 (9) is treated as 一级 (1)."""
        return "1" if self.dedc_hosp_lv == self.Level.UNRATED else self.dedc_hosp_lv

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.admdvs_id and self.out_of_area:
            if self.district_id and self.district_id[:4] != self.admdvs_id[:4]:
                errors["district"] = _("县区 %(d)s 不在异地统筹区 %(r)s 内（前四位应相同）") % {
                    "d": self.district_id, "r": self.admdvs_id}
        elif self.district_id and self.admdvs_id and self.district.region_id != self.admdvs_id:
            errors["district"] = _("县区 %(d)s 不属于统筹区 %(r)s") % {"d": self.district_id, "r": self.admdvs_id}
        if self.kind == self.Kind.VILLAGE:
            if not self.parent_id:
                errors["parent_code"] = _("村卫生室必须填写其一体化管理的乡镇卫生院/社区中心")
        elif self.parent_id:
            errors["parent_code"] = _("只有村卫生室可以填写上级中心")
        if self.parent_id and not errors.get("parent_code"):
            parent = Provider.objects.filter(fixmedins_code=self.parent_id).first()
            if parent is None:
                errors["parent_code"] = _("上级中心 %(c)s 不存在") % {"c": self.parent_id}
            elif parent.kind not in (self.Kind.TOWNSHIP, self.Kind.COMMUNITY):
                errors["parent_code"] = _("上级中心必须是乡镇卫生院或社区卫生服务中心")
            elif parent.admdvs_id != self.admdvs_id:
                errors["parent_code"] = _("上级中心必须在同一统筹区")
        if errors:
            raise ValidationError(errors)
