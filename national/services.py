"""National interface services: clinic system accounts, sign-in, and answering one message.

``national_message_answer`` is the whole interface: the envelope checked, the transaction chosen by
``infno``, its work and the answer recorded in one transaction, and a repeated ``msgid`` answered
with the first answer (like the REST ``idempotency_key``). A refused message changes nothing but
the record of its answer. The transactions that settle go through the claims engine
(claims.services ``claim_settle`` / ``claim_decide`` / ``claim_reverse``): national/settlement.py.
"""
from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.http import Http404
from rest_framework.authtoken.models import Token

from config.errors import Conflict
from providers.models import Provider
from staff.audit import access_log, access_log_insert_sql, audit_record

from .envelope import ENVELOPE_REQUIRED, Refused, answer, answer_json, now_local, text, time_text
from .mapping import Unmapped
from .models import ClinicAccount, Message, SignIn


# ---------------------------------------------------------------------------------------------
# Clinic system accounts
# ---------------------------------------------------------------------------------------------
def clinic_account_ensure(*, fixmedins_code: str, by=None) -> tuple[ClinicAccount, str, bool]:
    """The provider's clinic system account, created with its API token when missing. Returns
    (account, token key, created). The account is no staff member: it can reach only the national
    interface (the REST API and the admin require staff)."""
    provider = Provider.objects.filter(fixmedins_code=fixmedins_code).first()
    if provider is None:
        raise ValidationError({"fixmedins_code": [f"定点机构 {fixmedins_code} 不存在 (no such provider)"]})
    with transaction.atomic():
        account = ClinicAccount.objects.select_related("user").filter(provider=provider).order_by("id").first()
        created = account is None
        if created:
            user = get_user_model().objects.create_user(username=f"his-{fixmedins_code}", is_staff=False)
            user.set_unusable_password()
            user.save(update_fields=["password"])
            account = ClinicAccount.objects.create(user=user, provider=provider,
                                                   created_by=by if getattr(by, "pk", None) else None)
            audit_record(action="create", model_label="national.ClinicAccount", object_id=account.pk, before=None,
                         after={"fixmedins_code": fixmedins_code, "username": user.username}, user=by,
                         channel=None)
        token, _ = Token.objects.get_or_create(user=account.user)
    return account, token.key, created


def clinic_account_of(user) -> ClinicAccount | None:
    account = getattr(user, "_clinic_account", None)
    if account is None and getattr(user, "is_authenticated", False):
        account = ClinicAccount.objects.select_related("provider").filter(user=user).first()
        user._clinic_account = account
    return account


# ---------------------------------------------------------------------------------------------
# One message
# ---------------------------------------------------------------------------------------------
@dataclass
class Context:
    """What a transaction handler sees."""

    account: ClinicAccount
    provider: Provider
    user: Any
    message: dict
    received: datetime
    member_ids: list[int] = field(default_factory=list)  # whose personal data the message read or wrote
    listed: int | None = None  # how many records a listing message read (3201: the claims counted)
    visit: Any = None  # 2206/2207: the visit read with the replay check (transactions.settlement_read)
    with_answer: AnswerWith | None = None  # statements written with the answer, in its round trip


@dataclass
class AnswerWith:
    """Writes that go with the answer's record in one statement (data-modifying CTEs before the
    INSERT of the Message), and a condition on them read back from it: when ``check`` is false the
    message is refused with ``refusal`` and everything it wrote rolls back."""

    ctes: list[str]
    params: list
    check: str
    check_params: list
    refusal: str


# 个人信息保护法 access log (staff.AccessLog, as the REST reads of personal data are logged by
# staff.middleware): infno -> (action, what). Every transaction that names a person is logged with
# the member's id: 1101 answers the person; 2201-2205 read the person and write their visit, its
# diagnoses and fee details; 2206-2208 answer the settlement with the person's name and ID number;
# 3201 reads the clinic's claims in aggregate (a list, no ids). 9001 names no one.
PERSONAL_DATA = {"1101": ("view", "members.Member"), "2201": ("view", "national.Visit"),
                 "2203": ("view", "national.Visit"), "2204": ("view", "national.Visit"),
                 "2205": ("view", "national.Visit"), "2206": ("view", "claims.Claim"),
                 "2207": ("view", "claims.Claim"), "2208": ("view", "claims.Claim"), "3201": ("list", "claims.Claim")}


Handler = Callable[[Context], dict]


def _handlers() -> dict[str, Handler]:
    from . import settlement, transactions

    return {"9001": sign_in, "1101": transactions.person_info, "2201": transactions.visit_register,
            "2203": transactions.visit_info_upload, "2204": transactions.fee_details_upload,
            "2205": transactions.fee_details_cancel, "2206": settlement.settlement_preview,
            "2207": settlement.settlement_record, "2208": settlement.settlement_reverse,
            "3201": settlement.totals_reconcile}


def national_message_answer(*, account: ClinicAccount, message: Any, user, read: tuple | None = None) -> dict:
    """The answer envelope to one message (see the module docstring). ``read``: for a 2206/2207,
    ``transactions.settlement_read``'s answer when the caller read it already (with the message's
    token: national/views.py), for this account's provider and this message
    (``settlement_read_args``)."""
    received = now_local()
    provider = account.provider
    if not isinstance(message, dict):
        return answer(infcode=-1, received=received, err_msg="报文应为 JSON 对象 (the body must be an object)")
    try:
        msgid = text(message, "msgid", where="报文", max_length=60)
    except Refused as exc:
        return answer(infcode=-1, received=received, err_msg=exc.err_msg)
    sign_no = str(message.get("sign_no") or "")
    if read is None:
        read = _settlement_read(provider, message)
    first, signed_in, visit = read if read is not None else (*_first_answer_and_sign_in(provider, msgid, sign_no),
                                                             None)
    if isinstance(first, str):  # a driver that hands jsonb back as text
        first = json.loads(first)
    if first is not None:
        if first.get("infcode") == 0:
            _access_logged(user, message, msgid, member_ids=(), replay=True)  # disclosed again
        return first
    region = str(message.get("mdtrtarea_admvs") or "")
    context = Context(account=account, provider=provider, user=user, message=message, received=received,
                      visit=visit)
    try:
        try:
            # The work and its answer commit together; a refusal rolls the work back whole and the
            # refusal is recorded on its own (no savepoint around the work: two round trips less).
            with transaction.atomic():
                output = _dispatch(context, signed_in=signed_in)
                result = answer(infcode=0, received=received, output=output, admdvs=region)
                _record(provider, msgid, message, result, context.with_answer,
                        logged=_access_log_row(user, message, msgid, member_ids=context.member_ids,
                                               count=context.listed))
        except Refused as exc:
            result = answer(infcode=-1, received=received, err_msg=exc.err_msg, admdvs=region)
            with transaction.atomic():
                _record(provider, msgid, message, result)
    except IntegrityError:
        # The same msgid answered meanwhile by a concurrent request (the unique (clinic, msgid)
        # index waited for it): its answer is the first one, and ours was rolled back whole.
        first = Message.objects.filter(provider=provider, msgid=msgid).values_list("answer", flat=True).first()
        if first is None:
            raise
        return first
    return result


def _first_answer_and_sign_in(provider: Provider, msgid: str, sign_no: str) -> tuple[dict | None, bool]:
    """The answer already given to ``msgid`` (None if none) and whether ``sign_no`` is one of the
    clinic's sign-ins, in one round trip."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT m.answer FROM {Message._meta.db_table} m WHERE m.provider_id = %s AND m.msgid = %s), "
            f"EXISTS (SELECT 1 FROM {SignIn._meta.db_table} s WHERE s.provider_id = %s AND s.sign_no = %s)",
            [provider.pk, msgid, provider.pk, sign_no])
        return cursor.fetchone()


def settlement_read_args(message: Any) -> dict | None:
    """For a 2206/2207, the keyword arguments of its settlement read (transactions.settlement_read:
    first answer, signed in, visit and its batch's fee details in one round trip); None for another
    message (or one without a valid msgid or a textual mdtrt_id and chrg_bchno: its refusal comes
    from the usual checks). Read before the message's transaction: 2207 re-checks what matters in
    the statement that links the settlement (settlement._settlement_link), after the member's
    accumulator lock."""
    if not isinstance(message, dict) or str(message.get("infno")) not in ("2206", "2207"):
        return None
    data = message["input"].get("data") if isinstance(message.get("input"), dict) else None
    if not isinstance(data, dict):
        return None
    mdtrt_id, batch = data.get("mdtrt_id"), data.get("chrg_bchno")
    if not (isinstance(mdtrt_id, str) and isinstance(batch, str)):
        return None
    try:
        msgid = text(message, "msgid", where="报文", max_length=60)
    except Refused:
        return None
    return {"mdtrt_id": mdtrt_id.strip(), "batch": batch.strip(), "msgid": msgid,
            "sign_no": str(message.get("sign_no") or "")}


def _settlement_read(provider: Provider, message: dict):
    """``settlement_read_args``'s read for a 2206/2207 (None for another message)."""
    from .transactions import settlement_read

    args = settlement_read_args(message)
    return None if args is None else settlement_read(provider, **args)


def _access_logged(user, message: dict, msgid: str, *, member_ids, count: int | None = None,
                   replay: bool = False) -> None:
    """A message that read or wrote personal data, in the access log (only when answered with
    infcode 0: a refusal answers nothing of the person)."""
    infno = str(message.get("infno") or "")
    if infno not in PERSONAL_DATA:
        return
    action, what = PERSONAL_DATA[infno]
    access_log(user=user, action=action, what=what, object_ids=member_ids, count=count,
               path=f"/api/national/ infno={infno} msgid={msgid}{' (replay)' if replay else ''}")


def _access_log_row(user, message: dict, msgid: str, *, member_ids, count: int | None) -> tuple[str, list] | None:
    """``_access_logged``'s entry as an INSERT to send with the answer's record (``_record``); None
    for a message that names no one."""
    infno = str(message.get("infno") or "")
    if infno not in PERSONAL_DATA:
        return None
    action, what = PERSONAL_DATA[infno]
    return access_log_insert_sql(user=user, action=action, what=what, object_ids=member_ids, count=count,
                                 path=f"/api/national/ infno={infno} msgid={msgid}")


def _record(provider: Provider, msgid: str, message: dict, result: dict, with_answer: AnswerWith | None = None,
            *, logged: tuple[str, list] | None = None) -> None:
    """The answer's record; with it, in the same statement, the transaction's own writes
    (``with_answer``) and the access-log entry (``logged``: 个人信息保护法, committed with what it
    disclosed), each a data-modifying CTE: one round trip for all of them."""
    infno = str(message.get("infno") or "")[:6]
    ctes, params = (list(with_answer.ctes), list(with_answer.params)) if with_answer is not None else ([], [])
    if logged is not None:
        ctes.append(f"logged AS ({logged[0]})")
        params.extend(logged[1])
    if not ctes:
        Message.objects.create(provider=provider, msgid=msgid, infno=infno, infcode=result["infcode"], answer=result)
        return
    check, check_params = (with_answer.check, with_answer.check_params) if with_answer is not None else ("true", [])
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH {', '.join(ctes)} INSERT INTO {Message._meta.db_table} "
            "(provider_id, msgid, infno, infcode, answer, received_at) VALUES (%s, %s, %s, %s, %s::jsonb, %s) "
            f"RETURNING {check}",
            [*params, provider.pk, msgid, infno, result["infcode"],
             answer_json(result).decode(), timezone.now(), *check_params])
        if not cursor.fetchone()[0]:
            raise Refused(with_answer.refusal)


def _dispatch(context: Context, *, signed_in: bool) -> dict:
    message, provider = context.message, context.provider
    for name in ENVELOPE_REQUIRED:
        if message.get(name) in (None, ""):
            raise Refused(f"{name}: 报文头必填项 (envelope field required)")
    if str(message["fixmedins_code"]) != provider.fixmedins_code:
        raise Refused(f"fixmedins_code: {message['fixmedins_code']} 与接口账号绑定的定点机构 {provider.fixmedins_code} "
                      "不符，只能以本机构身份交易 (the account transacts only as its own provider)")
    if not isinstance(message["input"], dict):
        raise Refused("input: 交易输入应为 JSON 对象 (must be an object)")
    infno = str(message["infno"])
    handler = _handlers().get(infno)
    if handler is None:
        raise Refused(f"infno: 交易编号 {infno} 不受理 (supported: {', '.join(_handlers())})")
    if infno != "9001" and not signed_in:
        raise Refused(f"sign_no: 签到编号 {message.get('sign_no')!r} 无效，请先签到【9001】 (sign in first)")
    try:
        return handler(context)
    except Unmapped as exc:
        raise Refused(f"{exc.field}: {exc.args[0].split(': ', 1)[1]}") from None
    except ValidationError as exc:
        raise Refused(refusal_text(exc)) from None
    except Conflict as exc:
        raise Refused(exc.message) from None
    except Http404 as exc:
        raise Refused(str(exc)) from None


def refusal_text(exc: ValidationError) -> str:
    """The engine's refusal (field -> messages) as one err_msg, each message after its field."""
    if hasattr(exc, "error_dict"):
        return "；".join(f"{field}: {m}" for field, errors in exc.message_dict.items() for m in errors)
    return "；".join(exc.messages)


# ---------------------------------------------------------------------------------------------
# 9001 sign-in
# ---------------------------------------------------------------------------------------------
def sign_in(context: Context) -> dict:
    """One ``sign_no`` per clinic, operator and day: a second sign-in that day returns the same."""
    data = context.message["input"].get("signIn")
    if not isinstance(data, dict):
        raise Refused("input.signIn: 缺少签到节点 signIn (required node missing)")
    opter_no = text(data, "opter_no", where="signIn", max_length=30)
    day = context.received.date()
    record, _ = SignIn.objects.get_or_create(
        provider=context.provider, opter_no=opter_no, sign_day=day,
        defaults={"sign_no": f"{day:%Y%m%d}{secrets.token_hex(8)}",
                  "ip": text(data, "ip", where="signIn", required=False, max_length=40),
                  "mac": text(data, "mac", where="signIn", required=False, max_length=40)})
    return {"signinoutb": {"sign_time": time_text(record.signed_at), "sign_no": record.sign_no}}
