"""Providers 定点医疗机构: the rules of ``providers.services`` checked in memory. Provider files are small
(thousands of rows), so the rows are held until the end: a village clinic's centre may come later in
the same file, and the parent rules are checked once every row is known (one query for stored centres).
"""
from __future__ import annotations

from policy.rules.out_of_area import is_city_code
from providers.models import Provider

from . import cells
from .cells import CellError
from .columns import PROVIDERS
from .context import Context, RowCells, RowError

HEADERS = {c.field: c.header for c in PROVIDERS}
LEVELS = {k: str(v) for k, v in Provider.Level.choices}
KINDS = {k: str(v) for k, v in Provider.Kind.choices}
STATUSES = {k: str(v) for k, v in Provider.Status.choices}
CENTRES = (Provider.Kind.TOWNSHIP, Provider.Kind.COMMUNITY)
COMPARED = ("fixmedins_name", "admdvs_id", "district_id", "dedc_hosp_lv", "kind", "parent_id", "status")
# record: (row, code, name, admdvs, district, level, kind, parent_code, status)


class ProviderRows:
    kind = "providers"

    def __init__(self, *, ctx: Context, positions: dict[str, int], job_id, by, write: bool):
        self.ctx, self.positions, self.by = ctx, positions, by
        self.seen: dict[str, int] = {}
        self.pending: list[tuple] = []
        self.values: dict[int, list] = {}
        self.skipped = 0

    def parse(self, number: int, values: list):
        self.values[number] = values
        row = RowCells(number, values, self.positions, HEADERS)
        errors, get = row.errors, row.get

        def fail(name, message, rule):
            row.fail(name, CellError(message, rule))

        code = get("fixmedins_code", cells.code, max_length=30, label="定点机构编码")
        if code == "":
            fail("fixmedins_code", "请填写定点机构编码", "required")
        name = get("fixmedins_name", cells.text)
        if name == "":
            fail("fixmedins_name", "请填写定点机构名称", "required")
        elif name and len(name) > 100:
            fail("fixmedins_name", "名称最长100个字符", "invalid")
        admdvs = get("admdvs", cells.code, length=6, label="统筹区")
        # 异地定点机构 (RULES.md "Out-of-area care"): a city-level code that is not one of our regions,
        # with a district of that city checked by its prefix (districts.csv lists only ours).
        out_of_area = bool(admdvs) and admdvs not in self.ctx.regions
        if out_of_area and not is_city_code(admdvs):
            fail("admdvs", f"统筹区 {admdvs} 不存在，也不是地市级行政区划代码",
                 "unknown_region")
        district = get("district", cells.code, length=6, label="县区")
        owner = self.ctx.district_region.get(district) if district else None
        if out_of_area:
            if district and is_city_code(admdvs) and district[:4] != admdvs[:4]:
                fail("district", f"县区 {district} 不在异地统筹区 {admdvs} 内（前四位应相同）(not in that city)",
                     "district_region")
            elif district and not self.ctx.scope.covers(admdvs=admdvs, district=district):
                fail("district", "您的权限范围不包括异地定点机构", "scope")
        elif district and owner is None:
            fail("district", f"县区 {district} 不存在", "unknown_district")
        elif district and admdvs and owner != admdvs:
            fail("district", f"县区 {district} 不属于统筹区 {admdvs}", "district_region")
        elif district and admdvs and not self.ctx.scope.covers(admdvs=admdvs, district=district):
            fail("district", f"您的权限范围不包括县区 {district}", "scope")
        level = get("dedc_hosp_lv", cells.choice, choices=LEVELS, label="等级")
        kind = get("kind", cells.choice, choices=KINDS, label="类别")
        parent = get("parent_code", cells.code, max_length=30, label="上级中心编码")
        status = get("status", cells.choice, choices=STATUSES, label="状态", default=Provider.Status.ACTIVE)
        if kind == Provider.Kind.VILLAGE and parent == "":
            fail("parent_code", "村卫生室必须填写其一体化管理的乡镇卫生院/社区中心",
                 "parent_required")
        elif kind and kind != Provider.Kind.VILLAGE and parent:
            fail("parent_code", "只有村卫生室可以填写上级中心", "parent_forbidden")
        elif parent and parent == code:
            fail("parent_code", "上级中心不能是机构自身", "parent_self")
        if errors:
            return None, errors
        first = self.seen.get(code)
        if first is not None:
            return None, [RowError(number, HEADERS["fixmedins_code"], code,
                                   f"与第 {first} 行重复（定点机构编码）", "duplicate")]
        self.seen[code] = number
        return (number, code, name, admdvs, district, level, kind, parent or None, status), []

    def check_batch(self, records):
        """Codes already stored: identical → skipped, otherwise refused (one query per batch)."""
        stored = {p[0]: tuple(p[1:]) for p in Provider.objects.filter(
            fixmedins_code__in=[r[1] for r in records]).values_list("fixmedins_code", *COMPARED)}
        fresh, errors = [], []
        for record in records:
            old = stored.get(record[1])
            if old is None:
                fresh.append(record)
            elif old == tuple(record[2:]):
                self.skipped += 1
            else:
                errors.append(RowError(record[0], HEADERS["fixmedins_code"], record[1],
                                       f"定点机构编码 {record[1]} 已存在且信息不同；变更请在机构页面办理", "exists"))
        self.pending.extend(fresh)  # held for the parent checks (dry run too) and the final write
        return fresh, errors

    def write(self, records) -> list:
        return []

    def finalize(self) -> list[RowError]:
        """Village clinics' centres: in this file or stored; a township/community centre of the same region."""
        in_file = {r[1]: r for r in self.pending}
        wanted = {r[7] for r in self.pending if r[7] and r[7] not in in_file}
        stored = {p.fixmedins_code: (p.admdvs_id, p.kind) for p in Provider.objects.filter(fixmedins_code__in=wanted)}
        errors = []
        for record in self.pending:
            parent = record[7]
            if not parent:
                continue
            found = (in_file[parent][3], in_file[parent][6]) if parent in in_file else stored.get(parent)
            message = None
            if found is None:
                message, rule = f"上级中心 {parent} 不存在（文件中和系统中都没有）", "unknown_provider"
            elif found[1] not in CENTRES:
                message = "上级中心必须是乡镇卫生院或社区卫生服务中心"
                rule = "parent_kind"
            elif found[0] != record[3]:
                message, rule = "上级中心必须在同一统筹区", "parent_region"
            if message:
                errors.append(RowError(record[0], HEADERS["parent_code"], parent, message, rule))
        return errors

    def finish(self) -> None:
        today = self.ctx.today
        Provider.objects.bulk_create([
            Provider(fixmedins_code=r[1], fixmedins_name=r[2], admdvs_id=r[3], district_id=r[4], dedc_hosp_lv=r[5],
                     kind=r[6], parent_id=r[7], status=r[8],
                     status_changed_on=None if r[8] == Provider.Status.ACTIVE else today)
            # Centres first, so a database that checks foreign keys at once is satisfied too.
            for r in sorted(self.pending, key=lambda r: r[7] is not None)], batch_size=1000)

    @staticmethod
    def preview(record) -> dict:
        names = ("row", "fixmedins_code", "fixmedins_name", "admdvs", "district", "dedc_hosp_lv", "kind",
                 "parent_code", "status")
        return dict(zip(names, record))
