"""The rules a member record must meet, whoever registers it: the API and the admin
(``members.services``) and the spreadsheet import (``imports.rows_members``) call the same
``member_fields_check``, so a person is accepted, normalised and refused alike on both paths.

Pure: no database. The caller looks up the region's scheme and the district's region (one query
each in the service, the file's preloaded maps in the import) and passes them in, with today's date.
What needs the database (an already registered certno, a clerk's district scope) stays with the caller.

Where the two paths differed before they shared this function, the stricter reading was kept:

- certno: normalised once by ``config.parsing.code_normalise`` inside ``members.certno.parse_certno``
  (NFKC: full-width digits typed in a form are ASCII afterwards; invisible characters and blanks go;
  upper case), and only ASCII digits pass: the service used to store a certno of full-width digits,
  which the import would then not find. Every lookup (API, admin search, claims) uses the same step,
  and the database refuses any other spelling (members/migrations/0007).
- name: ``config.parsing.text_normalise`` (NFKC, format characters such as zero-width spaces removed,
  so a name of zero-width spaces is empty and refused) and at most 50 characters (the import's rule;
  the service sent a longer name to the database, which refused it with an error instead of a message).
- person type: four ASCII digits (``"15²³".isdigit()`` is true; the service accepted it).
- enrolment date: not after today (the import's rule; the service accepted a future date), not before
  1900 (``config.parsing.DATE_MIN``). Leaving: not before birth nor before enrolment (issue 21).
- contribution base: a finite Decimal, not negative, at most two decimals and within the column
  (12 digits, 2 after the point), as the import's money cells require; the service checked the sign
  only, so the database rounded a third decimal away or refused a too large base with an error.

Messages are marked for translation and keep the service's wording (the English catalogue has them);
the import writes each one in Chinese with its English translation after it (``Problem.bilingual``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from config.parsing import DATE_MIN, text_normalise
from django.utils.translation import gettext, gettext_noop, override

from .certno import CertnoError, parse_certno

# psn_type prefixes allowed per scheme (national codes): 310 employee = 11xx employed / 12xx retired;
# 390 resident = 14xx / 15xx / 16xx.
PSN_TYPE_PREFIXES = {"310": ("11", "12"), "390": ("14", "15", "16")}
RETIRED_PREFIX = "12"
INSUTYPES = {"310": "职工医保", "390": "城乡居民医保"}
# members.Member.Status values (tests/foundation compare them); a member who left or died has a date.
STATUSES = ("active", "suspended", "left", "deceased")
ENDED_STATUSES = ("left", "deceased")
NAME_MAX_LENGTH = 50  # members.Member.psn_name
# The largest base members.Member.contribution_base holds: 12 digits, 2 after the point.
MAX_CONTRIBUTION_BASE = Decimal("9999999999.99")
FEN = Decimal("0.01")


@dataclass(frozen=True)
class Problem:
    """One broken rule: a short machine-readable ``rule`` and a message (a msgid and its arguments)."""

    rule: str
    msgid: str
    params: dict = field(default_factory=dict, hash=False)

    @property
    def message(self) -> str:
        """The message in the active language."""
        text = gettext(self.msgid)
        return text % self.params if self.params else text

    def bilingual(self) -> str:
        """Chinese, then the English translation in brackets (an import's error report is read by both)."""
        with override("zh-hans"):
            chinese = self.message
        with override("en"):
            english = self.message
        return chinese if english == chinese else f"{chinese} ({english})"


@dataclass
class MemberCheck:
    """The normalised values (certno, brdy and gend only when the certno is valid) and the problems by field."""

    certno: str | None = None
    brdy: date | None = None
    gend: str | None = None
    psn_name: str = ""
    errors: dict[str, list[Problem]] = field(default_factory=dict)

    def add(self, name: str, rule: str, msgid: str, **params) -> None:
        self.errors.setdefault(name, []).append(Problem(rule, msgid, params))

    def messages(self) -> dict[str, list[str]]:
        return {name: [p.message for p in problems] for name, problems in self.errors.items()}


def member_fields_check(*, certno: str | None, psn_name: str | None, admdvs: str | None, insutype: str | None,
                        psn_type: str | None, district: str | None, enrolled_on: date | None,
                        retired_on: date | None = None, contribution_base: Decimal | None = None,
                        status: str = "active", left_on: date | None = None, chronic_diseases: list | tuple = (),
                        inpatient_only: bool = False,
                        region_insutype: str | None, district_region: str | None, today: date) -> MemberCheck:
    """Check one member record as a whole; the problems are keyed by field name, none means valid.

    ``region_insutype``: the scheme of region ``admdvs`` (None: no such region); ``district_region``:
    the region district ``district`` lies in (None: no such district). A check that ties a field to
    another one whose value is unknown (None, e.g. an import cell that could not be read) is skipped.
    """
    check = MemberCheck()
    add = check.add
    try:
        facts = parse_certno(certno or "", today=today)  # normalises (config.parsing.code_normalise)
    except CertnoError as exc:
        add("certno", "certno", str(exc))
    else:
        check.certno, check.brdy, check.gend = facts.certno, facts.birth_date, facts.gender
    brdy = check.brdy

    check.psn_name = name = text_normalise(psn_name)
    if not name:
        add("psn_name", "required", gettext_noop("姓名不能为空"))
    elif len(name) > NAME_MAX_LENGTH:
        add("psn_name", "invalid", gettext_noop("姓名最长50个字符"))

    if region_insutype is None:
        add("admdvs", "unknown_region", gettext_noop("统筹区 %(r)s 不存在"), r=admdvs)
    elif insutype is not None and insutype != region_insutype:
        add("insutype", "insutype_region", gettext_noop("险种 %(t)s 与统筹区 %(r)s 的险种 %(e)s 不符"),
            t=insutype, r=admdvs, e=region_insutype)
    prefixes = PSN_TYPE_PREFIXES.get(insutype or "")
    if prefixes is None:
        add("insutype", "enum", gettext_noop("险种只能是 310（职工医保）或 390（城乡居民医保）"))
    elif not (psn_type and len(psn_type) == 4 and psn_type.isascii() and psn_type.isdigit()
              and psn_type[:2] in prefixes):
        add("psn_type", "psn_type_insutype",
            gettext_noop("人员类别 %(p)s 不适用于险种 %(t)s（应为 %(ok)s 开头的4位代码）"),
            p=psn_type, t=insutype, ok="/".join(f"{p}xx" for p in prefixes))

    if district_region is None:
        add("district", "unknown_district", gettext_noop("县区 %(d)s 不存在"), d=district)
    elif admdvs is not None and district_region != admdvs:
        add("district", "district_region", gettext_noop("县区 %(d)s 不属于统筹区 %(r)s"), d=district, r=admdvs)

    if enrolled_on is None:
        add("enrolled_on", "required", gettext_noop("请填写参保日期"))
    elif enrolled_on < DATE_MIN:
        add("enrolled_on", "range", gettext_noop("参保日期不能早于 %(d)s"), d=DATE_MIN.isoformat())
    elif brdy and enrolled_on < brdy:
        add("enrolled_on", "range", gettext_noop("参保日期不能早于出生日期"))
    elif enrolled_on > today:
        add("enrolled_on", "range", gettext_noop("参保日期不能晚于今天"))

    if retired_on is not None:
        if psn_type is not None and not (psn_type.startswith(RETIRED_PREFIX) and insutype == "310"):
            add("retired_on", "retired_on", gettext_noop("只有退休人员（人员类别12xx）才能填写退休办理日期"))
        elif retired_on > today:
            add("retired_on", "range", gettext_noop("退休办理日期不能晚于今天"))
        elif retired_on < (brdy or DATE_MIN):
            add("retired_on", "range", gettext_noop("退休办理日期不能早于出生日期"))

    _check_base(check, contribution_base)

    if status not in STATUSES:
        add("status", "enum", gettext_noop("参保状态只能是 %(s)s"), s=", ".join(STATUSES))
    if left_on is not None:
        # The last insured day: not in the future, and not before the person was born or enrolled
        # (a leaving date before birth was accepted before; a visit could never be covered then).
        if left_on > today:
            add("left_on", "range", gettext_noop("终止参保日期不能晚于今天"))
        elif brdy and left_on < brdy:
            add("left_on", "range", gettext_noop("终止参保日期不能早于出生日期"))
        elif enrolled_on is not None and left_on < enrolled_on:
            add("left_on", "range", gettext_noop("终止参保日期不能早于参保日期"))
    if status in ENDED_STATUSES and left_on is None:
        add("left_on", "required", gettext_noop("终止参保或死亡时须填写终止参保日期"))
    if not isinstance(chronic_diseases, (list, tuple)):
        add("chronic_diseases", "invalid", gettext_noop("门诊慢特病认定应为病种代码列表"))
    # The inpatient-only scheme 只参加住院保险(不建账户) is an employee scheme's option (Ganzhou 第三条,
    # Heyuan 第七条(四)); the resident scheme has no such enrolment (and no account to waive).
    if inpatient_only and insutype is not None and insutype != "310":
        add("inpatient_only", "inpatient_only_insutype",
            gettext_noop("只参加住院保险（不建账户）仅适用于职工医保（险种310）"))
    return check


def _check_base(check: MemberCheck, base: Decimal | None) -> None:
    if base is None:
        return
    # A Decimal only: a float has already lost the amount that was meant (money is never a float).
    if not isinstance(base, Decimal) or not base.is_finite():
        check.add("contribution_base", "invalid", gettext_noop("缴费基数应为金额（最多两位小数）"))
    elif base < 0:
        check.add("contribution_base", "range", gettext_noop("缴费基数不能为负数"))
    elif base > MAX_CONTRIBUTION_BASE:
        check.add("contribution_base", "range", gettext_noop("缴费基数过大，最多 %(max)s"), max=MAX_CONTRIBUTION_BASE)
    elif base != base.quantize(FEN):
        check.add("contribution_base", "invalid", gettext_noop("缴费基数最多两位小数"))
