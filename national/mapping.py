"""The one table from the national interface's codes to the claims engine's facts 接口代码映射.

Every national code the interface accepts is a row of ``TABLE``; a code that is not there is
refused (infcode -1 naming the field and the value), never guessed. The code values are the
national platform's dictionaries (医疗保障信息平台 定点医药机构接口规范 数据字典) as the public HIS
client newtouch-cloud/openhis sends them (WinServiceAPI/YiBaoInterface/Models/Input/*.cs: the
``med_type``, ``mdtrt_cert_type``, ``psn_setlway``, ``acct_used_flag``, ``er_flag`` fields).

| field | code | national meaning | our fact |
|---|---|---|---|
| med_type 医疗类别 | 11 | 普通门诊 | benefit ``ordinary`` (Ganzhou: ``tcm`` / two diseases, see below) |
| med_type | 12 | 门诊挂号 | as 11 (the registration fee of an ordinary visit) |
| med_type | 13 | 急诊 | as 11 with ``emergency`` true |
| med_type | 14 | 门诊慢特病 | ``exclusion`` ``chronic`` (the chronic-disease benefit is not in this system; RULES.md) |
| med_type | 41 | 定点药店购药 | as 11, only at a provider of kind ``pharmacy`` (and 41 only there) |
| med_type | anything else (21 住院, 51 生育门诊, ...) | | refused: not an outpatient pooling visit |
| mdtrt_cert_type 就诊凭证类型 | 02 | 居民身份证 | ``certno`` = mdtrt_cert_no |
| mdtrt_cert_type | 01, 03 | 电子凭证, 社保卡 | refused: no e-voucher or card registry here |
| psn_setlway 个人结算方式 | 01 | 按项目结算 | the engine's ordinary settlement (02 按定额: refused) |
| acct_used_flag 个人账户使用标志 | 0 / 1 | | ``acct_used`` false / true |
| er_flag 急诊标志 (2204 exp_content) | 1 | 急诊 | ``emergency`` true; 0 非急诊; 2, 3 (术前检查, 择期手术) refused |
| insutype 险种类型 | 310 / 390 | 职工 / 居民基本医疗保险 | must be the member's ``insutype`` |
| insuplc_admdvs 参保地区划 | 6 digits | | must be the member's region ``admdvs`` |
| mdtrtarea_admvs 就医地区划 | 6 digits | | must be the provider's ``admdvs`` (1) |
| caty 科别 (2201) | 50… | 中医科 | Ganzhou: benefit ``tcm`` (中医门诊) |
| diseinfo main diagnosis (2203) | ICD-10 I10–I15 | 高血压 | Ganzhou: benefit ``hypertension`` (两病) |
| diseinfo main diagnosis (2203) | ICD-10 E10–E14 | 糖尿病 | Ganzhou: benefit ``diabetes`` (两病) |
| clr_type 清算类别 (answer, 3201) | 11 / 41 | 门诊 / 药店购药 | the provider's kind (pharmacy → 41) |
| fund_pay_type 基金支付类型 (answer) | 310100 / 390100 | 职工统筹基金 / 居民基本医疗保险基金 | ``hifp_pay`` |
| psn_insu_stas 参保状态 (1101) | 1 / 2 / 4 | 正常 / 暂停 / 终止参保 | status active / suspended / left, deceased |
| cvlserv_flag 公务员标志 (answer) | 0 | 非公务员 | this system pays no civil-servant subsidy 公务员医疗补助 to anyone |
| psn_no 人员编号 (answer, then input) | admdvs + 10-digit member id | | the member; stable for the member's life |
| chrgitm_lv 收费项目等级 (2204 extension (4)) | 01 / 02 / 03 | 甲类 / 乙类 / 丙类 | ``ClaimItem.chrgitm_lv`` the same |
| med_chrgitm_type 医疗收费项目类别 (2204 extension (4)) | 09 | 西药费 | ``ClaimItem.category`` ``drug`` |
| med_chrgitm_type | 10, 11 | 中药饮片费, 中成药费 | ``tcm_drug`` (中药 = 中药饮片 + 中成药, 药品管理法) |
| med_chrgitm_type | 03, 04 | 检查费, 化验费 | ``exam`` (2) |
| med_chrgitm_type | 05, 06 | 治疗费, 手术费 | ``treatment`` |
| med_chrgitm_type | 08 | 卫生材料费 | ``material`` |
| med_chrgitm_type | 01, 02, 07, 12, 13 | 床位费, 诊察费, 护理费, 一般诊疗费, 挂号费 | ``service`` (医疗服务) |
| med_chrgitm_type | 14 | 其他费 | ``other`` |
| med_list_codg 医疗目录编码 (2204) | catalogue code | | (4): ``ClaimItem.code``, ``hilist_name`` its name |
| rx_circ_flag 外购处方标志 (2204) | 0 / 1 | 否 / 是 | at a pharmacy, 1 needs the prescriber (3) |
| prescribing_fixmedins_code (2206/2207) | provider code | 外配处方开方机构 | the request's fact of that name (3) |

(1) When it is not the member's region the engine derives ``out_of_area`` from the member's
registrations (RULES.md "Out-of-area care"); the interface sends no out-of-area fact of its own.

(2) Our categories have no laboratory line: a 化验 is a diagnostic test, counted with the
examinations in supervision's ``exam_share`` (检查占比), which watches diagnostic over-use.

(3) **Prescriptions 外配处方 (reading).** The national 2204 marks a filled outside prescription
(``rx_circ_flag`` 1, with its ``rxno``) but names no prescribing institution anywhere in
2201–2207 (openhis Input_2204/2206/2207); the institution travels only in the electronic
prescription transactions (openhis Input_D001/D003 ``fixmedinsCode``: uploaded by the prescribing
hospital to the platform, which this back office is not). A pharmacy's 2206/2207 whose batch holds
a detail with ``rx_circ_flag`` 1 must therefore send the prescriber in ``data.prescribing_fixmedins_code``
(the REST contract's name; checked by claims/prescriptions.py as a REST fill's); without it the
message is refused naming that field, and a prescriber sent for a batch without such a detail is
refused too (the two would disagree about whether a prescription is filled). A pharmacy batch
without one is a purchase without a prescription (RULES.md: ``pharmacy_not_covered``).

(4) **Fee details, and the optional catalogue extension (reading).** Input_2204's ``feedetail``
carries no charge level or charge type: the platform takes both from its catalogue and answers
them (Output_2204 ``chrgitm_lv``, ``med_chrgitm_type``). This back office holds no catalogue, so it
cannot look them up, and a ``ClaimItem`` needs both (supervision's ``exam_amount`` from the
category, ``out_of_catalogue_amount`` from level 03). So:

- **An unchanged client** (openhis Input_2204 as it is) is accepted: its details are stored with
  the national fields and linked to the claim that settles them, and 2206/2207 decide the visit
  from their own amounts (``medfee_sumamt`` = the batch's uploaded details) exactly as for any
  claim — the settlement is identical. The details do not become ``ClaimItem`` rows (no level is
  guessed), so the claim's ``itemised_amount`` is 0 and supervision's item-level indicators
  (``exam_share``, ``out_of_catalogue_share``, whose denominator is ``itemised_amount``) do not see
  those lines; its claim-level indicators see the claim as any other. Output_2204 answers
  ``chrgitm_lv`` and ``med_chrgitm_type`` as null (C# ``string`` there: left unset).
- **A client sending the extension**: each detail carries ``CATALOGUE_EXTENSION`` (``hilist_name``,
  ``chrgitm_lv``, ``med_chrgitm_type``) beside Input_2204's, as the HIS holds them from the
  catalogue it downloads (1312, openhis ``dataOutput1312``: ``hilist_code`` = ``med_list_codg``). At
  2207 the batch's details are then the ``ClaimRequest``'s ``fee_details`` (code, name, category
  and level by the rows above, amount), recorded by the engine as the claim's ``ClaimItem`` rows
  exactly as a REST claim's; Output_2204 answers the two codes.
- A line set — one upload, and one ``chrg_bchno`` batch across its uploads — carries all three on
  every line or none on any: a line without one of them in a set that carries them, a line with
  one in a set that does not, or a code not in the rows above is refused at 2204 (infcode -1
  naming ``feedetail[i].<field>``; nothing of the upload is stored).

**Reading (Ganzhou):** a TCM department and a two-disease main diagnosis on one visit are two
different benefits; the interface does not say which the clinic meant, so that visit is refused
naming both. ``special_item`` (特殊检查治疗) has no national med_type of its own in the dictionary
above and is not reachable through this interface. Outside Ganzhou the benefit is ``ordinary``.
"""
from __future__ import annotations

from dataclasses import dataclass

GANZHOU = "360700"


class Unmapped(ValueError):
    """A national value with no row in the table: the answer's err_msg names the field and value."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class MedType:
    name: str
    emergency: bool = False
    exclusion: str | None = None
    pharmacy: bool = False


MED_TYPES = {
    "11": MedType("普通门诊"),
    "12": MedType("门诊挂号"),
    "13": MedType("急诊", emergency=True),
    "14": MedType("门诊慢特病", exclusion="chronic"),
    "41": MedType("定点药店购药", pharmacy=True),
}
CERT_TYPE_ID_CARD = "02"
PSN_SETLWAY_ITEMS = "01"
ACCT_USED = {"0": False, "1": True}
ER_FLAGS = {"0": False, "1": True}
INSUTYPES = ("310", "390")
TCM_CATY_PREFIX = "50"
TWO_DISEASES = {"hypertension": ("I10", "I11", "I12", "I13", "I15"), "diabetes": ("E10", "E11", "E12", "E13", "E14")}
CLR_TYPE_OUTPATIENT, CLR_TYPE_PHARMACY = "11", "41"
FUND_PAY_TYPES = {"310": ("310100", "职工基本医疗保险统筹基金"), "390": ("390100", "城乡居民基本医疗保险基金")}
PSN_INSU_STAS = {"active": "1", "suspended": "2", "left": "4", "deceased": "4"}
PSN_CERT_TYPE_ID_CARD = "01"  # 人员证件类型 居民身份证（户口簿）
CHRGITM_LVS = {"01": "甲类", "02": "乙类", "03": "丙类"}  # national code = ClaimItem.chrgitm_lv
MED_CHRGITM_TYPES = {  # 医疗收费项目类别 -> (national name, ClaimItem.category)
    "01": ("床位费", "service"), "02": ("诊察费", "service"), "03": ("检查费", "exam"), "04": ("化验费", "exam"),
    "05": ("治疗费", "treatment"), "06": ("手术费", "treatment"), "07": ("护理费", "service"),
    "08": ("卫生材料费", "material"), "09": ("西药费", "drug"), "10": ("中药饮片费", "tcm_drug"),
    "11": ("中成药费", "tcm_drug"), "12": ("一般诊疗费", "service"), "13": ("挂号费", "service"),
    "14": ("其他费", "other")}
# The optional 2204 extension (4): all three on every line of a batch, or none.
CATALOGUE_EXTENSION = ("hilist_name", "chrgitm_lv", "med_chrgitm_type")
RX_CIRC_FLAGS = {"0": False, "1": True}
PRESCRIBER_FIELD = "prescribing_fixmedins_code"


def med_type_for(code: str, *, provider_kind: str) -> MedType:
    med_type = MED_TYPES.get(code)
    if med_type is None:
        raise Unmapped("med_type", f"医疗类别 {code!r} 不是本系统受理的门诊统筹类别(可用 {', '.join(MED_TYPES)})")
    if med_type.pharmacy != (provider_kind == "pharmacy"):
        raise Unmapped("med_type", f"医疗类别 {code} 与机构类别不符："
                                   "41 定点药店购药只用于定点零售药店，药店只能使用 41")
    return med_type


def charge_level_for(code: str, *, where: str) -> str:
    """ClaimItem.chrgitm_lv of a detail's catalogue level (the national codes are ours)."""
    if code not in CHRGITM_LVS:
        raise Unmapped(f"{where}.chrgitm_lv", f"收费项目等级 {code!r} 不是有效值(可用 01 甲类, 02 乙类, 03 丙类)")
    return code


def item_category_for(code: str, *, where: str) -> str:
    """ClaimItem.category of a detail's 医疗收费项目类别."""
    if code not in MED_CHRGITM_TYPES:
        raise Unmapped(f"{where}.med_chrgitm_type", f"医疗收费项目类别 {code!r} 不是有效值"
                                                    f"(可用 {', '.join(MED_CHRGITM_TYPES)})")
    return MED_CHRGITM_TYPES[code][1]


def clr_type_for(provider_kind: str) -> str:
    return CLR_TYPE_PHARMACY if provider_kind == "pharmacy" else CLR_TYPE_OUTPATIENT


def flag(value, table: dict, field: str, meaning: str) -> bool:
    if value in (None, ""):
        return False
    if str(value) not in table:
        raise Unmapped(field, f"{meaning} {value!r} 不是有效值(可用 {', '.join(table)})")
    return table[str(value)]


def benefit_for(*, admdvs: str, caty: str, main_diagnosis: str) -> str:
    """Ganzhou's TCM and two-disease benefits from the department and the main diagnosis; else
    ordinary (the other regions have one outpatient benefit in this system)."""
    if admdvs != GANZHOU:
        return "ordinary"
    candidates = []
    if caty.startswith(TCM_CATY_PREFIX):
        candidates.append("tcm")
    code = main_diagnosis.strip().upper()
    candidates += [name for name, prefixes in TWO_DISEASES.items() if code.startswith(prefixes)]
    if len(candidates) > 1:
        raise Unmapped("caty", f"科别 {caty}(中医科)与主诊断 {code}(两病)分属不同待遇(中医门诊/两病)，无法确定，"
                               "请分别挂号结算")
    return candidates[0] if candidates else "ordinary"


def psn_no_for(*, admdvs: str, member_id: int) -> str:
    return f"{admdvs}{member_id:010d}"


def member_key_of(psn_no: str) -> tuple[str, int]:
    """(admdvs, member id) of a psn_no; ``Unmapped`` if it is not one of ours."""
    if not isinstance(psn_no, str) or len(psn_no) != 16 or not psn_no.isdigit():
        raise Unmapped("psn_no", f"人员编号 {psn_no!r} 不是本系统的人员编号(请先以【1101】获取)")
    return psn_no[:6], int(psn_no[6:])
