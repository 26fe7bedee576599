"""The national transactions before settlement: 1101 person, 2201 registration, 2203 visit
information, 2204 fee details, 2205 their cancellation. Input shapes: openhis
``Input_1101`` (data1101), ``Input_2201`` (data2201), ``Input_2203A`` (mdtrtinfo + diseinfo),
``Input_2204`` (feedetail list), ``Input_2205`` (data2205); answers: ``Output_1101`` (baseinfo,
insuinfo, idetinfo), ``Output_2201`` (data), ``Output_2204`` (result)."""
from __future__ import annotations

import json
import secrets
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django.db import connection
from django.db.models import Exists, OuterRef, Q, Subquery

from accounts.models import Account
from claims.models import Claim
from claims.rows import columns, model_from_row, width
from members.models import Member

from .envelope import Refused, amount, date_text, money, moment, node, number, text
from .mapping import (CATALOGUE_EXTENSION, CERT_TYPE_ID_CARD, ER_FLAGS, INSUTYPES, PSN_CERT_TYPE_ID_CARD,
                      PSN_INSU_STAS, RX_CIRC_FLAGS, charge_level_for, flag, item_category_for, med_type_for,
                      member_key_of, psn_no_for)
from .models import FeeDetail, Message, NationalSettlement, SignIn, Visit
from .services import Context


# ---------------------------------------------------------------------------------------------
# Shared checks
# ---------------------------------------------------------------------------------------------
def member_of(context: Context, psn_no: str, *, where: str = "data") -> Member:
    """The member a psn_no names, checked against the envelope's insured region 参保地."""
    admdvs, member_id = member_key_of(psn_no)
    member = Member.objects.filter(pk=member_id, admdvs_id=admdvs).first()
    if member is None:
        raise Refused(f"{where}.psn_no: 人员编号 {psn_no} 不存在 (no such person)")
    insuplc = str(context.message.get("insuplc_admdvs") or "")
    if insuplc != member.admdvs_id:
        raise Refused(f"insuplc_admdvs: 参保地医保区划 {insuplc or '(空)'} 与人员 {psn_no} 的参保地 "
                      f"{member.admdvs_id} 不符")
    return member


def area_check(context: Context) -> None:
    """就医地 = the treating provider's region (the engine then derives out-of-area from it)."""
    area = str(context.message.get("mdtrtarea_admvs") or "")
    if area != context.provider.admdvs_id:
        raise Refused(f"mdtrtarea_admvs: 就医地医保区划 {area} 与定点机构所在区划 {context.provider.admdvs_id} 不符")


def cert_check(data: dict, member: Member, *, where: str = "data") -> None:
    cert_type = text(data, "mdtrt_cert_type", where=where, max_length=3)
    if cert_type != CERT_TYPE_ID_CARD:
        raise Refused(f"{where}.mdtrt_cert_type: 就诊凭证类型 {cert_type} 不受理，仅受理 02 居民身份证 "
                      "(01 电子凭证 / 03 社保卡 need a registry this back office does not hold)")
    if text(data, "mdtrt_cert_no", where=where).upper() != member.certno:
        psn_no = psn_no_for(admdvs=member.admdvs_id, member_id=member.pk)
        raise Refused(f"{where}.mdtrt_cert_no: 就诊凭证编号与人员编号 {psn_no} 的身份证号不符")


# The visit's fields a settlement never reads (the registration's doctor and department, its
# outpatient number, its row's time): left out of ``settlement_read`` and deferred on its visit.
VISIT_UNREAD = frozenset({"created_at", "ipt_otp_no", "atddr_no", "dr_name", "dept_code", "dept_name"})

UNSETTLED_DETAIL = ("id", "feedetl_sn", "med_list_codg", "hilist_name", "chrgitm_lv", "med_chrgitm_type", "er_flag",
                    "rx_circ_flag", "rxno")


def visit_query(provider, mdtrt_id: str):
    """The clinic's visit ``mdtrt_id`` with ``settled`` (a settlement in force, not reversed) and
    the member's account ``balance``, in one round trip."""
    return (Visit.objects.select_related("member").filter(mdtrt_id=mdtrt_id, provider=provider)
            .annotate(settled=Exists(NationalSettlement.objects.filter(visit=OuterRef("pk"),
                                                                       claim__reversed_by__isnull=True)),
                      balance=Subquery(Account.objects.filter(member=OuterRef("member")).values("balance")[:1])))


@cache
def settlement_read_sql(provider: str) -> str:
    """``settlement_read``'s statement; ``provider``: the SQL giving the clinic's provider id, ``%s``
    (a parameter) or the column of the statement this one is joined into laterally (the token's:
    national/views.py). Parameters: ``settlement_read_params``."""
    detail = ", ".join(f"'{name}', d.{name}" for name in UNSETTLED_DETAIL)
    return (
        f"SELECT (SELECT a.answer FROM {Message._meta.db_table} a WHERE a.provider_id = {provider} AND a.msgid = %s), "
        f"EXISTS (SELECT 1 FROM {SignIn._meta.db_table} g WHERE g.provider_id = {provider} AND g.sign_no = %s), "
        f"EXISTS (SELECT 1 FROM {NationalSettlement._meta.db_table} s WHERE s.visit_id = v.id AND NOT EXISTS "
        f"(SELECT 1 FROM {Claim._meta.db_table} r WHERE r.reverses_id = s.claim_id)), "
        f"(SELECT b.balance FROM {Account._meta.db_table} b WHERE b.member_id = v.member_id LIMIT 1), "
        # json, not jsonb: the details are only sent back to be parsed here, and building jsonb (its
        # keys sorted, then written out as text again) is work the server does for nothing
        f"(SELECT json_agg(json_build_object({detail}, 'amount', d.det_item_fee_sumamt::text) ORDER BY d.id) "
        f"FROM {FeeDetail._meta.db_table} d WHERE d.visit_id = v.id AND d.chrg_bchno = %s "
        "AND d.cancelled_at IS NULL AND d.claim_id IS NULL), "
        f"{columns(Visit, 'v', VISIT_UNREAD)}, {columns(Member, 'm')} FROM (SELECT 1) AS one LEFT JOIN "
        f"({Visit._meta.db_table} v JOIN {Member._meta.db_table} m ON m.id = v.member_id) "
        f"ON v.mdtrt_id = %s AND v.provider_id = {provider}")


def settlement_read_params(*, mdtrt_id: str, batch: str, msgid: str, sign_no: str) -> list:
    """The parameters of ``settlement_read_sql`` (the provider's aside)."""
    return [msgid, sign_no, batch, mdtrt_id]


def settlement_read(provider, *, mdtrt_id: str, batch: str, msgid: str, sign_no: str) -> tuple:
    """(the first answer to ``msgid`` or None, whether ``sign_no`` is a sign-in of the clinic, the
    visit or None) for a 2206/2207, in one round trip: the visit as ``visit_query`` gives it, with
    ``details``, the batch's uploaded, unsettled, uncancelled fee details (dicts of
    ``UNSETTLED_DETAIL`` and ``amount`` as text, the exact Decimal), in upload order.

    Plain SQL (claims/rows.py): building this statement through the ORM cost more CPU than the
    rest of the message together (its subqueries and annotations compiled on every call). The
    national door reads the same with the message's token (national/views.py), a round trip less;
    this standalone form serves a message answered without it (``national_message_answer`` called
    directly)."""
    with connection.cursor() as cursor:
        cursor.execute(settlement_read_sql("%s"), [provider.pk, msgid, provider.pk, sign_no, batch, mdtrt_id,
                                                   provider.pk])
        row = cursor.fetchone()
    return settlement_read_row(row, batch=batch)


def settlement_read_row(row, *, batch: str) -> tuple:
    """``settlement_read``'s answer from its statement's row (``row`` starting at its first column)."""
    first, signed_in, settled, balance, details = row[:5]
    visit = model_from_row(Visit, row, 5, unread=VISIT_UNREAD)
    if visit is not None:
        visit.member = model_from_row(Member, row, 5 + width(Visit, VISIT_UNREAD))
        details = json.loads(details) if isinstance(details, str) else details
        visit.settled, visit.balance, visit.details, visit.details_batch = settled, balance, details or [], batch
    return (json.loads(first) if isinstance(first, str) else first), signed_in, visit


def visit_of(context: Context, data: dict, *, where: str = "data", batch: str | None = None) -> Visit:
    """The clinic's own registered visit ``mdtrt_id`` of the person ``psn_no`` (``visit_query``;
    the one already read with the message's replay check when it is that visit and batch)."""
    mdtrt_id = text(data, "mdtrt_id", where=where, max_length=30)
    visit = context.visit
    if visit is None or visit.mdtrt_id != mdtrt_id or batch is None or visit.details_batch != batch:
        visit = visit_query(context.provider, mdtrt_id).first()
        if visit is not None and batch is not None:
            visit.details = [_detail_dict(d) for d in FeeDetail.objects.filter(
                visit=visit, chrg_bchno=batch, cancelled_at=None, claim=None).order_by("id")]
    if visit is None:
        raise Refused(f"{where}.mdtrt_id: 本机构无就诊ID {mdtrt_id} (no such visit at this provider)")
    psn_no = text(data, "psn_no", where=where, max_length=30)
    if psn_no != psn_no_for(admdvs=visit.member.admdvs_id, member_id=visit.member_id):
        raise Refused(f"{where}.psn_no: 人员编号 {psn_no} 与就诊 {mdtrt_id} 的人员不符")
    context.member_ids.append(visit.member_id)  # the access log's subject (services.PERSONAL_DATA)
    return visit


def _detail_dict(detail: FeeDetail) -> dict:
    return {**{name: getattr(detail, name) for name in UNSETTLED_DETAIL}, "amount": str(detail.det_item_fee_sumamt)}


def account_balance(member: Member) -> Decimal:
    return Account.objects.filter(member=member).values_list("balance", flat=True).first() or Decimal("0.00")


# ---------------------------------------------------------------------------------------------
# 1101 person information
# ---------------------------------------------------------------------------------------------
def person_info(context: Context) -> dict:
    data = node(context.message, "data")
    cert_type = text(data, "mdtrt_cert_type", max_length=3)
    if cert_type != CERT_TYPE_ID_CARD:
        raise Refused(f"data.mdtrt_cert_type: 就诊凭证类型 {cert_type} 不受理，仅受理 02 居民身份证")
    certno = text(data, "mdtrt_cert_no").upper()
    members = list(Member.objects.filter(certno=certno))
    insuplc = str(context.message.get("insuplc_admdvs") or "")
    if insuplc:
        members = [m for m in members if m.admdvs_id == insuplc]
    if not members:
        where = f"(参保地 {insuplc})" if insuplc else ""
        raise Refused(f"data.mdtrt_cert_no: 未查询到身份证号 {certno} 的参保人{where}")
    if len(members) > 1:
        raise Refused(f"insuplc_admdvs: 身份证号 {certno} 在多个统筹区参保，请填写参保地医保区划")
    member = members[0]
    context.member_ids.append(member.pk)
    today = context.received.date()
    return {
        "baseinfo": {"psn_no": psn_no_for(admdvs=member.admdvs_id, member_id=member.pk),
                     "psn_cert_type": PSN_CERT_TYPE_ID_CARD, "certno": member.certno, "psn_name": member.psn_name,
                     "gend": member.gend, "naty": None, "brdy": date_text(member.brdy), "age": member.age_on(today),
                     "expContent": None},
        "insuinfo": [{"balc": money(account_balance(member)), "insutype": member.insutype,
                      "psn_type": member.psn_type, "psn_insu_stas": PSN_INSU_STAS[member.status],
                      "psn_insu_date": date_text(member.enrolled_on),
                      "paus_insu_date": date_text(member.left_on) if member.left_on else None,
                      "cvlserv_flag": "0", "insuplc_admdvs": member.admdvs_id, "emp_name": None}],
        "idetinfo": [],
    }


# ---------------------------------------------------------------------------------------------
# 2201 registration, 2203 visit information
# ---------------------------------------------------------------------------------------------
def visit_register(context: Context) -> dict:
    data = node(context.message, "data")
    member = member_of(context, text(data, "psn_no", max_length=30))
    area_check(context)
    insutype = text(data, "insutype", max_length=6)
    if insutype not in INSUTYPES or insutype != member.insutype:
        raise Refused(f"data.insutype: 险种类型 {insutype} 与参保人的险种 {member.insutype} 不符")
    cert_check(data, member)
    context.member_ids.append(member.pk)
    begntime = moment(data, "begntime")
    visit = Visit.objects.create(
        mdtrt_id=f"{context.provider.admdvs_id}{begntime:%Y%m%d}{secrets.token_hex(8)}", provider=context.provider,
        member=member, insutype=insutype, begntime=begntime, ipt_otp_no=text(data, "ipt_otp_no", max_length=30),
        atddr_no=text(data, "atddr_no", required=False, max_length=30),
        dr_name=text(data, "dr_name", required=False, max_length=50),
        dept_code=text(data, "dept_code", required=False, max_length=30),
        dept_name=text(data, "dept_name", required=False, max_length=100),
        caty=text(data, "caty", required=False, max_length=6))
    return {"data": {"mdtrt_id": visit.mdtrt_id, "psn_no": psn_no_for(admdvs=member.admdvs_id, member_id=member.pk),
                     "ipt_otp_no": visit.ipt_otp_no}}


def visit_info_upload(context: Context) -> dict:
    info = node(context.message, "mdtrtinfo")
    if not isinstance(info, dict):
        raise Refused("input.mdtrtinfo: 应为对象 (must be an object)")
    visit = visit_of(context, info, where="mdtrtinfo")
    if visit.settled:
        raise Refused(f"mdtrtinfo.mdtrt_id: 就诊 {visit.mdtrt_id} 已结算，不能修改就诊信息 (already settled)")
    code = text(info, "med_type", where="mdtrtinfo", max_length=6)
    med_type_for(code, provider_kind=context.provider.kind)
    diagnoses = context.message["input"].get("diseinfo") or []
    if not isinstance(diagnoses, list) or not all(isinstance(d, dict) for d in diagnoses):
        raise Refused("input.diseinfo: 诊断信息应为对象列表 (must be a list of objects)")
    for index, diagnosis in enumerate(diagnoses):
        text(diagnosis, "diag_code", where=f"diseinfo[{index}]", max_length=20)
    visit.med_type = code
    visit.dise_codg = text(info, "dise_codg", where="mdtrtinfo", required=False, max_length=30)
    visit.diagnoses = diagnoses
    visit.save(update_fields=["med_type", "dise_codg", "diagnoses"])
    return {}


def main_diagnosis(visit: Visit) -> str:
    """The diagnosis ranked first (diag_srt_no 1), else the first sent, else the 病种编码."""
    ranked = [d for d in visit.diagnoses if str(d.get("diag_srt_no", "")).strip() == "1"]
    chosen = ranked or visit.diagnoses
    return str(chosen[0].get("diag_code") or "") if chosen else visit.dise_codg


# ---------------------------------------------------------------------------------------------
# 2204 fee details, 2205 their cancellation
# ---------------------------------------------------------------------------------------------
def _er_flag(raw, where: str) -> str:
    """exp_content.er_flag: openhis sends a list of objects; the national text a JSON object or string."""
    if raw in (None, "", []):
        return ""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise Refused(f"{where}.exp_content: 扩展参数应为 JSON (must be JSON)") from None
    entries = raw if isinstance(raw, list) else [raw]
    flags = {str(e.get("er_flag")) for e in entries if isinstance(e, dict) and e.get("er_flag") not in (None, "")}
    for value in flags:
        flag(value, ER_FLAGS, f"{where}.exp_content.er_flag", "急诊标志")
    return "1" if "1" in flags else ("0" if flags else "")


def _carries_catalogue(item: dict) -> bool:
    """Whether a detail carries any of the optional catalogue extension's fields (mapping.py (4))."""
    return any(item.get(name) not in (None, "") for name in CATALOGUE_EXTENSION)


def _catalogue(item: dict, *, where: str, extended: bool) -> dict:
    """The detail's catalogue fields: all three when its line set carries the extension, none when
    it does not (a line set is all one or all the other; mapping.py (4)). Blank when absent."""
    if not extended:
        sent = next((name for name in CATALOGUE_EXTENSION if item.get(name) not in (None, "")), None)
        if sent is not None:
            raise Refused(f"{where}.{sent}: 扩展字段 {'/'.join(CATALOGUE_EXTENSION)} 须同一批明细每行都传或都不传，"
                          "本批明细未传 (the catalogue extension: every line of the set or none)")
        return {name: "" for name in CATALOGUE_EXTENSION}
    missing = next((name for name in CATALOGUE_EXTENSION if item.get(name) in (None, "")), None)
    if missing is not None:
        raise Refused(f"{where}.{missing}: 扩展字段 {'/'.join(CATALOGUE_EXTENSION)} 须同一批明细每行都传或都不传，"
                      "本批明细已传，此行缺少 (the catalogue extension: every line of the set or none)")
    values = {name: text(item, name, where=where, max_length=size)
              for name, size in zip(CATALOGUE_EXTENSION, (100, 3, 6))}
    charge_level_for(values["chrgitm_lv"], where=where)
    item_category_for(values["med_chrgitm_type"], where=where)
    return values


def fee_details_upload(context: Context) -> dict:
    items = node(context.message, "feedetail")
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise Refused("input.feedetail: 费用明细应为非空对象列表 (a non-empty list of objects)")
    visit = visit_of(context, items[0], where="feedetail[0]")
    extended = _carries_catalogue(items[0])  # the line set's choice; every other line must make the same
    rows, seen = [], set()
    for index, item in enumerate(items):
        where = f"feedetail[{index}]"
        if text(item, "mdtrt_id", where=where, max_length=30) != visit.mdtrt_id:
            raise Refused(f"{where}.mdtrt_id: 一次上传只能包含同一就诊的明细 (one visit per upload)")
        if text(item, "psn_no", where=where, max_length=30) != psn_no_for(admdvs=visit.member.admdvs_id,
                                                                          member_id=visit.member_id):
            raise Refused(f"{where}.psn_no: 人员编号与就诊 {visit.mdtrt_id} 的人员不符")
        sn = text(item, "feedetl_sn", where=where, max_length=30)
        if sn in seen:
            raise Refused(f"{where}.feedetl_sn: 费用明细流水号 {sn} 重复 (duplicate in this upload)")
        seen.add(sn)
        total = amount(item, "det_item_fee_sumamt", where=where)
        cnt, pric = number(item, "cnt", where=where, places=4), number(item, "pric", where=where, places=6)
        if (cnt * pric).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) != total:
            raise Refused(f"{where}.det_item_fee_sumamt: 明细项目费用总额 {total} 应等于 数量×单价 = {cnt}×{pric}")
        rows.append(FeeDetail(
            visit=visit, feedetl_sn=sn, chrg_bchno=text(item, "chrg_bchno", where=where, max_length=30),
            med_list_codg=text(item, "med_list_codg", where=where), det_item_fee_sumamt=total, cnt=cnt, pric=pric,
            medins_list_codg=text(item, "medins_list_codg", where=where, max_length=150),
            fee_ocur_time=moment(item, "fee_ocur_time", where=where),
            rxno=text(item, "rxno", where=where, required=False, max_length=30),
            rx_circ_flag=_rx_circ_flag(item, where), **_catalogue(item, where=where, extended=extended),
            bilg_dept_codg=text(item, "bilg_dept_codg", where=where, required=False, max_length=30),
            bilg_dr_codg=text(item, "bilg_dr_codg", where=where, required=False, max_length=30),
            er_flag=_er_flag(item.get("exp_content"), where)))
    # One read: the details already uploaded under these numbers, and whether the batches' unsettled
    # details carry the extension (a batch, settled as one at 2207, is one line set however many
    # uploads built it).
    batches = {r.chrg_bchno for r in rows}
    present = list(FeeDetail.objects.filter(visit=visit, cancelled_at=None)
                   .filter(Q(feedetl_sn__in=seen) | Q(chrg_bchno__in=batches, claim=None))
                   .values_list("feedetl_sn", "chrg_bchno", "claim_id", "hilist_name"))
    taken = {sn for sn, _, _, _ in present if sn in seen}
    if taken:
        raise Refused(f"feedetail.feedetl_sn: 费用明细流水号 {', '.join(sorted(taken))} 已上传 (already uploaded; "
                      "cancel with 2205 first)")
    other = next((batch for _, batch, claim_id, name in present
                  if batch in batches and claim_id is None and bool(name) != extended), None)
    if other is not None:
        index = next(i for i, r in enumerate(rows) if r.chrg_bchno == other)
        raise Refused(f"feedetail[{index}].{CATALOGUE_EXTENSION[0]}: 收费批次 {other} 已上传的明细"
                      f"{'未' if extended else '已'}传扩展字段 {'/'.join(CATALOGUE_EXTENSION)}，"
                      "同一批次须每行都传或都不传"
                      " (the batch's earlier lines made the other choice; cancel with 2205 first)")
    FeeDetail.objects.bulk_create(rows)
    return {"result": [{"feedetl_sn": r.feedetl_sn, "det_item_fee_sumamt": money(r.det_item_fee_sumamt),
                        "cnt": f"{r.cnt:.4f}", "pric": f"{r.pric:.6f}",
                        # Output_2204's two strings: null when the set came without the extension
                        # (openhis reads them as C# string, which null leaves unset)
                        "chrgitm_lv": r.chrgitm_lv or None, "med_chrgitm_type": r.med_chrgitm_type or None,
                        "memo": ""} for r in rows]}


def _rx_circ_flag(item: dict, where: str) -> str:
    value = text(item, "rx_circ_flag", where=where, required=False, max_length=3)
    flag(value, RX_CIRC_FLAGS, f"{where}.rx_circ_flag", "外购处方标志")
    return value


def fee_details_cancel(context: Context) -> dict:
    data = node(context.message, "data")
    visit = visit_of(context, data)
    batch = text(data, "chrg_bchno", max_length=30)
    unsettled = FeeDetail.objects.filter(visit=visit, cancelled_at=None, claim=None)
    # "0000" cancels every unsettled detail of the visit (Input_2205: 传入"0000"删除所有未结算明细).
    cancelled = (unsettled if batch == "0000" else unsettled.filter(Q(chrg_bchno=batch))).update(
        cancelled_at=context.received)
    if not cancelled:
        raise Refused(f"data.chrg_bchno: 就诊 {visit.mdtrt_id} 无收费批次 {batch} 的未结算明细 (nothing to cancel)")
    return {}
