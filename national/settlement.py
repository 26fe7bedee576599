"""The national settlement transactions, through the one claims engine:

- 2206 pre-settlement 预结算: ``claims.services.claim_decide`` — the same loader, settle step and
  account payment as a settlement, in a transaction that is rolled back (nothing recorded);
- 2207 settlement 结算: ``claims.services.claim_settle`` — the same decision, recorded as a Claim
  (the records the REST door writes), linked to the visit and its fee details;
- 2208 reversal 撤销: ``claims.services.claim_reverse`` — the negated Claim, accumulators restored;
- 3201 totals reconciliation 对总账: the clinic's figures against its claims in the period.

Input shapes: openhis ``Input_2206`` (data2206), ``Input_2207`` (data2207), ``Input_2208``,
``Input_3201``; answers ``Output_2206``/``Output_2207`` (setlinfo + setldetail), ``Output_2208``,
``Output_3201`` (stmtinfo).

**Reading (2206 amounts):** Input_2206 carries only ``medfee_sumamt``; the three self-paid parts
default to 0 as in ``POST /claims/`` and ``inscp_scp_amt`` is what remains. A client may send the
parts (2207's fields) in 2206 too, and then 2206 decides exactly what 2207 will. In both,
``medfee_sumamt`` must equal the charge batch's uploaded fee details (2204), as the platform requires.
"""
from __future__ import annotations

import time
from decimal import Decimal

from django.db.models import Count, Q, Sum

from claims.models import Claim
from claims.request_fields import CLOCK_SKEW_SECONDS
from claims.requests import ClaimRequest
from claims.requests import FeeDetail as FeeDetailLine
from claims.services import SYSTEM_SCOPE, claim_decide, claim_reverse, claim_settle
from claims.store import LedgerKnown
from members.models import Member
from providers.models import Provider

from .envelope import Refused, amount, date_text, day, money, node, ratio, text, time_text
from .mapping import (ACCT_USED, CATALOGUE_EXTENSION, FUND_PAY_TYPES, INSUTYPES, PRESCRIBER_FIELD,
                      PSN_CERT_TYPE_ID_CARD, PSN_SETLWAY_ITEMS, benefit_for, charge_level_for, clr_type_for, flag,
                      item_category_for, med_type_for, psn_no_for)
from .models import FeeDetail, NationalSettlement, Reconciliation
from .services import AnswerWith, Context
from .transactions import account_balance, area_check, cert_check, main_diagnosis, visit_of

ZERO = Decimal("0.00")
OTHER_FUNDS = ("cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay")  # not in this system


class _Settlement:
    """A 2206/2207 message checked and turned into the engine's request."""

    def __init__(self, context: Context, *, parts_required: bool):
        data = node(context.message, "data")
        batch = text(data, "chrg_bchno", max_length=30)
        visit = visit_of(context, data, batch=batch)
        # POST /claims/ refuses a visit in the future (claims.requests, "visit_at"); the same engine
        # behind this door refuses it too (CONTRACT.md "National interface": the visit time is 2201's
        # begntime), with the same tolerance for a clinic clock running ahead.
        if visit.begntime.timestamp() > time.time() + CLOCK_SKEW_SECONDS:
            raise Refused(f"data.mdtrt_id: 就诊时间(【2201】begntime) {time_text(visit.begntime)} 晚于当前时间 "
                          "(the visit is in the future)")
        member = visit.member
        insuplc = str(context.message.get("insuplc_admdvs") or "")
        if insuplc != member.admdvs_id:
            raise Refused(f"insuplc_admdvs: 参保地医保区划 {insuplc or '(空)'} 与人员的参保地 {member.admdvs_id} 不符")
        area_check(context)
        cert_check(data, member)
        insutype = text(data, "insutype", max_length=6)
        if insutype != visit.insutype:
            raise Refused(f"data.insutype: 险种类型 {insutype} 与挂号时的险种 {visit.insutype} 不符")
        code = text(data, "med_type", max_length=6)
        med_type = med_type_for(code, provider_kind=context.provider.kind)
        if visit.med_type and visit.med_type != code:
            raise Refused(f"data.med_type: 医疗类别 {code} 与【2203】上传的 {visit.med_type} 不符")
        setlway = text(data, "psn_setlway", max_length=6)
        if setlway != PSN_SETLWAY_ITEMS:
            raise Refused(f"data.psn_setlway: 个人结算方式 {setlway} 不受理，仅 01 按项目结算")
        acct_used = flag(text(data, "acct_used_flag", max_length=1), ACCT_USED, "data.acct_used_flag",
                         "个人账户使用标志")
        medfee = amount(data, "medfee_sumamt")
        own, over, pre = (amount(data, name, required=parts_required)
                          for name in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt"))
        if parts_required or data.get("inscp_scp_amt") not in (None, ""):
            inscp = amount(data, "inscp_scp_amt")
        else:
            inscp = medfee - own - over - pre
            if inscp < 0:
                raise Refused(f"data.medfee_sumamt: 医疗费总额 {medfee} 小于自付部分之和 {own + over + pre}")
        details = visit.details
        if not details:
            raise Refused(f"data.chrg_bchno: 收费批次 {batch} 无已上传未结算的费用明细，请先【2204】上传")
        fee_details = _claim_items(details, batch=batch)
        uploaded = sum((Decimal(d["amount"]) for d in details), ZERO)
        if uploaded != medfee:
            raise Refused(f"data.medfee_sumamt: 医疗费总额 {medfee} 与收费批次 {batch} 已上传明细合计 {uploaded} 不符")
        if visit.settled:
            raise Refused(f"data.mdtrt_id: 就诊 {visit.mdtrt_id} 已结算，如需重新结算请先【2208】撤销")
        self.visit, self.member, self.med_type, self.batch = visit, member, code, batch
        self.balance = visit.balance or ZERO  # the account's balance before this visit (none: 0)
        self.detail_ids = [d["id"] for d in details]
        self.invono = text(data, "invono", required=False, max_length=20)
        self.clr_type = clr_type_for(context.provider.kind)
        self.request = ClaimRequest(
            admdvs=member.admdvs_id, certno=member.certno, fixmedins_code=context.provider.fixmedins_code,
            visit_at=visit.begntime, medfee_sumamt=medfee, inscp_scp_amt=inscp, fulamt_ownpay_amt=own,
            overlmt_selfpay=over, preselfpay_amt=pre,
            benefit=benefit_for(admdvs=member.admdvs_id, caty=visit.caty, main_diagnosis=main_diagnosis(visit)),
            emergency=med_type.emergency or any(d["er_flag"] == "1" for d in details), exclusion=med_type.exclusion,
            acct_used=acct_used, prescribing_fixmedins_code=_prescriber(context, data, details),
            fee_details=fee_details)


def _claim_items(details: list[dict], *, batch: str) -> tuple[FeeDetailLine, ...]:
    """The batch's details as the request's fee-detail lines (the engine records them as the
    claim's ClaimItem rows) when they carry the catalogue extension; none when they do not — an
    unchanged national client's lines stay fee details only: no catalogue here, so no level or
    type is guessed (national/mapping.py (4)). 2204 keeps a batch all one or all the other; a batch
    that is mixed all the same is refused, never half itemised."""
    extended = [bool(d["hilist_name"]) for d in details]
    if not any(extended):
        return ()
    if not all(extended):
        bare = details[extended.index(False)]
        raise Refused(f"feedetail(feedetl_sn {bare['feedetl_sn']}).{CATALOGUE_EXTENSION[0]}: 收费批次 {batch} "
                      f"的明细部分传了扩展字段 {'/'.join(CATALOGUE_EXTENSION)}，部分未传，"
                      "请【2205】撤销后重新【2204】上传")
    lines = []
    for detail in details:
        where = f"feedetail(feedetl_sn {detail['feedetl_sn']})"
        lines.append(FeeDetailLine(code=detail["med_list_codg"], name=detail["hilist_name"],
                                   category=item_category_for(detail["med_chrgitm_type"], where=where),
                                   chrgitm_lv=charge_level_for(detail["chrgitm_lv"], where=where),
                                   amount=Decimal(detail["amount"])))
    return tuple(lines)


def _prescriber(context: Context, data: dict, details: list[dict]) -> str | None:
    """外配处方: the prescribing provider a pharmacy's batch fills (national/mapping.py (3))."""
    code = text(data, PRESCRIBER_FIELD, required=False, max_length=30) or None
    if context.provider.kind != Provider.Kind.PHARMACY:
        return code  # the engine refuses a prescription outside a pharmacy, naming the field
    filled = [d["rxno"] or d["feedetl_sn"] for d in details if d["rx_circ_flag"] == "1"]
    if filled and code is None:
        raise Refused(f"data.{PRESCRIBER_FIELD}: 收费批次含外购处方明细(rx_circ_flag=1，处方号 {filled[0]})，"
                      "国家接口报文不含开方机构，请填写开方定点医疗机构编号 (the prescribing provider is required)")
    if code is not None and not filled:
        raise Refused(f"data.{PRESCRIBER_FIELD}: 收费批次无外购处方明细(rx_circ_flag=1)，不应填写开方机构 "
                      "(no detail of the batch fills a prescription)")
    return code


def settlement_preview(context: Context) -> dict:
    """2206: the whole decision, nothing recorded."""
    checked = _Settlement(context, parts_required=False)
    outcome = claim_decide(request=checked.request, by=context.user, scope=SYSTEM_SCOPE, known=_known(context, checked))
    if outcome.error is not None:
        raise outcome.error
    claim = outcome.claim
    info = setlinfo(claim, member=checked.member, mdtrt_id=checked.visit.mdtrt_id, med_type=checked.med_type,
                    clr_type=checked.clr_type, balc=checked.balance - claim.acct_pay, setl_time=context.received,
                    medins_setl_id=context.message["msgid"])
    del info["setl_id"]  # Output_2206 has none: nothing was settled
    return {"setlinfo": info, "setldetail": setldetail(claim, insutype=checked.visit.insutype)}


def settlement_record(context: Context) -> dict:
    """2207: the decision recorded (the same claim a REST POST /claims/ writes). The engine writes
    inside the message's transaction (no savepoint of its own: a refusal rolls the message back
    whole); the national record, the fee details' link and the answer follow in one statement."""
    checked = _Settlement(context, parts_required=True)
    claim, _ = claim_settle(request=checked.request, by=context.user, scope=SYSTEM_SCOPE, savepoint=False,
                            known=_known(context, checked))
    context.with_answer = _settlement_link(claim, checked, medins_setl_id=context.message["msgid"])
    # When the account paid, its row is locked by this transaction now: read the balance it left.
    balance = account_balance(checked.member) if claim.acct_pay else checked.balance
    info = setlinfo(claim, member=checked.member, mdtrt_id=checked.visit.mdtrt_id, med_type=checked.med_type,
                    clr_type=checked.clr_type, balc=balance, setl_time=claim.created_at,
                    medins_setl_id=context.message["msgid"])
    return {"setlinfo": info, "setldetail": setldetail(claim, insutype=checked.visit.insutype)}


def _known(context: Context, checked: _Settlement) -> LedgerKnown:
    """What this message has read already that the engine's ledger reads too (claims/store.py
    ``LedgerKnown``): the member, read with the visit, and the provider when its centre was read
    with the token (national/views.py ``ClinicTokenAuthentication``) — two statements less."""
    centre_read = getattr(context.account, "centre_read", False)
    return LedgerKnown(members=(checked.member,), providers=(context.provider,) if centre_read else ())


def _settlement_link(claim: Claim, checked: _Settlement, *, medins_setl_id: str) -> AnswerWith:
    """The national record of the claim and its fee details marked settled, written with the answer.

    Re-checked there, after the engine took the member's accumulator lock (so a concurrent 2207 of
    the same member has committed and is seen): every detail the decision read is still uploaded,
    uncancelled and unsettled, and the visit has no other settlement in force. Otherwise the message
    is refused and the claim rolls back with it."""
    details, settlements, claims = (FeeDetail._meta.db_table, NationalSettlement._meta.db_table,
                                    Claim._meta.db_table)
    # A settlement's claim is always there (written with it: national/models.py, above Message), so
    # the reversal is looked up by the settlement's claim_id directly, as settlement_read does.
    return AnswerWith(
        # By the visit and batch the details were read by (the same rows): so the unsettled-details
        # index finds them (national.models.FeeDetail), not a walk of every unsettled detail.
        ctes=[f"settled AS (UPDATE {details} SET claim_id = %s WHERE visit_id = %s AND chrg_bchno = %s "
              "AND id = ANY(%s) AND claim_id IS NULL AND cancelled_at IS NULL RETURNING 1)",
              f"linked AS (INSERT INTO {settlements} (claim_id, visit_id, medins_setl_id, med_type, insutype, "
              "mdtrt_cert_type, psn_setlway, chrg_bchno, clr_type, invono) "
              "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s WHERE NOT EXISTS (SELECT 1 FROM "
              f"{settlements} s WHERE s.visit_id = %s AND NOT EXISTS "
              f"(SELECT 1 FROM {claims} r WHERE r.reverses_id = s.claim_id)) RETURNING 1)"],
        params=[claim.pk, checked.visit.pk, checked.batch, checked.detail_ids, claim.pk, checked.visit.pk,
                medins_setl_id, checked.med_type, checked.visit.insutype, "02", PSN_SETLWAY_ITEMS, checked.batch,
                checked.clr_type, checked.invono, checked.visit.pk],
        check="(SELECT count(*) FROM settled) = %s AND EXISTS (SELECT 1 FROM linked)",
        check_params=[len(checked.detail_ids)],
        refusal=f"data.mdtrt_id: 就诊 {checked.visit.mdtrt_id} 已结算或收费批次 {checked.batch} 的明细已变更"
                "(并发的结算或撤销)，请重新查询后再结算 (settled or changed meanwhile)")


def settlement_reverse(context: Context) -> dict:
    """2208: the settlement ``setl_id`` of the clinic's visit reversed; its fee details free again."""
    data = node(context.message, "data")
    visit = visit_of(context, data)
    setl_id = text(data, "setl_id", max_length=32)
    record = NationalSettlement.objects.filter(visit=visit, claim__setl_id=setl_id).select_related("claim").first()
    if record is None:
        raise Refused(f"data.setl_id: 就诊 {visit.mdtrt_id} 无结算 {setl_id} (no such settlement of this visit)")
    reversal = claim_reverse(setl_id=setl_id, by=context.user, scope=SYSTEM_SCOPE)
    FeeDetail.objects.filter(claim=record.claim).update(claim=None)
    info = {"mdtrt_id": visit.mdtrt_id, "setl_id": reversal.setl_id, "clr_optins": reversal.admdvs_id,
            "setl_time": time_text(reversal.created_at), **_amounts(reversal),
            "balc": money(account_balance(visit.member)), "acct_mulaid_pay": money(ZERO),
            "hosp_part_amt": money(ZERO), "medins_setl_id": context.message["msgid"],
            "pdn_cash_pay": money(reversal.psn_cash_pay)}  # sic: Output_2208's spelling of psn_cash_pay
    return {"setlinfo": info, "setldetail": setldetail(reversal, insutype=visit.insutype)}


def _amounts(claim: Claim) -> dict:
    return {"medfee_sumamt": money(claim.medfee_sumamt), "fulamt_ownpay_amt": money(claim.fulamt_ownpay_amt),
            "overlmt_selfpay": money(claim.overlmt_selfpay), "preselfpay_amt": money(claim.preselfpay_amt),
            "inscp_scp_amt": money(claim.inscp_scp_amt), "act_pay_dedc": money(claim.act_pay_dedc),
            "hifp_pay": money(claim.hifp_pay), "pool_prop_selfpay": ratio(claim.pool_prop_selfpay),
            **{name: money(ZERO) for name in OTHER_FUNDS},
            "fund_pay_sumamt": money(claim.hifp_pay), "psn_part_amt": money(claim.psn_part_amt),
            "acct_pay": money(claim.acct_pay), "psn_cash_pay": money(claim.psn_cash_pay)}


def setlinfo(claim: Claim, *, member: Member, mdtrt_id: str, med_type: str, clr_type: str, balc: Decimal,
             setl_time, medins_setl_id: str) -> dict:
    """Output_2207 ``setlinfo`` (Output_2206's is the same without ``setl_id``)."""
    return {
        "mdtrt_id": mdtrt_id, "setl_id": claim.setl_id,
        "psn_no": psn_no_for(admdvs=member.admdvs_id, member_id=member.pk), "psn_name": member.psn_name,
        "psn_cert_type": PSN_CERT_TYPE_ID_CARD, "certno": member.certno, "gend": member.gend, "naty": None,
        "brdy": date_text(member.brdy), "age": member.age_on(claim.visit_date), "insutype": member.insutype,
        "psn_type": member.psn_type, "cvlserv_flag": "0", "setl_time": time_text(setl_time),
        "mdtrt_cert_type": "02", "med_type": med_type, **_amounts(claim),
        "hosp_part_amt": money(ZERO), "balc": money(balc), "acct_mulaid_pay": money(ZERO),
        "medins_setl_id": medins_setl_id, "clr_optins": member.admdvs_id, "clr_way": None, "clr_type": clr_type,
    }


def setldetail(claim: Claim, *, insutype: str) -> list[dict]:
    """One fund line: the pooling fund 统筹基金 (the only fund this system pays from)."""
    code, name = FUND_PAY_TYPES[insutype]
    process = "；".join(f"{step.get('rule')}: {step.get('note') or step.get('amount')}" for step in claim.steps)
    return [{"fund_pay_type": code, "inscp_scp_amt": money(claim.inscp_scp_amt), "crt_payb_lmt_amt": None,
             "fund_payamt": money(claim.hifp_pay), "fund_pay_type_name": name, "setl_proc_info": process[:4000]}]


# ---------------------------------------------------------------------------------------------
# 3201 totals reconciliation
# ---------------------------------------------------------------------------------------------
def totals_reconcile(context: Context) -> dict:
    """The clinic's totals for the period against its claims dated in it (visit day), net of
    reversals; the count is of settlements not reversed (CONTRACT.md "National interface")."""
    data = node(context.message, "data")
    provider = context.provider
    insutype = text(data, "insutype", max_length=6)
    if insutype not in INSUTYPES:
        raise Refused(f"data.insutype: 险种类型 {insutype} 不受理 (310, 390)")
    clr_type = text(data, "clr_type", max_length=6)
    if clr_type != clr_type_for(provider.kind):
        raise Refused(f"data.clr_type: 清算类别 {clr_type} 与本机构不符，应为 {clr_type_for(provider.kind)}")
    setl_optins = text(data, "setl_optins", max_length=6)
    begin, end = day(data, "stmt_begndate"), day(data, "stmt_enddate")
    if end < begin:
        raise Refused("data.stmt_enddate: 对账结束日期早于开始日期")
    clinic = {name: amount(data, name) for name in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay")}
    count = data.get("fixmedins_setl_cnt")
    if isinstance(count, bool) or not str(count).isdigit():
        raise Refused(f"data.fixmedins_setl_cnt: {count!r} 应为非负整数 (a non-negative integer)")
    ours = Claim.objects.filter(provider=provider, admdvs_id=setl_optins, member__insutype=insutype,
                                visit_date__range=(begin, end)).aggregate(
        medfee_sumamt=Sum("medfee_sumamt"), fund_pay_sumamt=Sum("hifp_pay"), acct_pay=Sum("acct_pay"),
        count=Count("id", filter=Q(reverses__isnull=True, reversed_by__isnull=True)))
    ours = {name: ours[name] or ZERO for name in clinic} | {"count": ours["count"]}
    context.listed = ours["count"]
    differences = [f"{name} 机构 {clinic[name]} / 中心 {ours[name]}" for name in clinic if clinic[name] != ours[name]]
    if int(count) != ours["count"]:
        differences.append(f"fixmedins_setl_cnt 机构 {int(count)} / 中心 {ours['count']}")
    Reconciliation.objects.create(
        provider=provider, insutype=insutype, clr_type=clr_type, setl_optins=setl_optins, stmt_begndate=begin,
        stmt_enddate=end, clinic_medfee_sumamt=clinic["medfee_sumamt"],
        clinic_fund_pay_sumamt=clinic["fund_pay_sumamt"], clinic_acct_pay=clinic["acct_pay"],
        clinic_setl_cnt=int(count), medfee_sumamt=ours["medfee_sumamt"], fund_pay_sumamt=ours["fund_pay_sumamt"],
        acct_pay=ours["acct_pay"], setl_cnt=ours["count"], balanced=not differences, msgid=context.message["msgid"])
    return {"stmtinfo": {"setl_optins": setl_optins, "stmt_rslt": "1" if differences else "0",
                         "stmt_rslt_dscr": "对账不平：" + "；".join(differences) if differences else "对账平衡"}}
