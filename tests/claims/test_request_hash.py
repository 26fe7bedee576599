"""The idempotency hash: orjson writes exactly the canonical JSON bytes the hash was defined on, so the
hashes stored with earlier claims (and a retried request's) stay equal."""
import hashlib
from datetime import datetime, UTC
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from claims.requests import _CANONICAL, AMOUNT_FIELDS, ClaimRequest, FeeDetail, claim_request_parse

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


@settings(max_examples=300, deadline=None)
@given(certno=text, code=text, name=text, payer=st.one_of(st.none(), text), exclusion=st.one_of(st.none(), text),
       amount=st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2))
def test_the_hash_is_sha256_of_the_canonical_json(certno, code, name, payer, exclusion, amount):
    # given a request with arbitrary text (control characters, quotes, CJK, emoji) and amounts
    request = ClaimRequest(
        admdvs="411300", certno=certno, fixmedins_code=code, visit_at=datetime(2025, 3, 1, 1, 30, tzinfo=UTC),
        medfee_sumamt=amount, fulamt_ownpay_amt=Decimal("0.00"), overlmt_selfpay=Decimal("0.00"),
        preselfpay_amt=Decimal("0.00"), inscp_scp_amt=amount, exclusion=exclusion, acct_payer_certno=payer,
        fee_details=(FeeDetail(code=code, name=name, category="drug", chrgitm_lv="01", amount=amount),))
    # when it is hashed / then the hash is that of json.dumps(sort_keys, compact, non-ASCII kept)
    canonical = _CANONICAL.encode(request.content()).encode()
    assert request.content_hash() == hashlib.sha256(canonical).hexdigest()


def test_a_known_request_keeps_its_hash():
    # given the request of a claim stored before the hash was computed with orjson
    request = ClaimRequest(
        admdvs="360100", certno="36010219800101001X", fixmedins_code="H36010200001",
        visit_at=datetime(2025, 3, 1, 1, 30, tzinfo=UTC), medfee_sumamt=Decimal("120.50"),
        fulamt_ownpay_amt=Decimal("10.00"), overlmt_selfpay=Decimal("0.00"), preselfpay_amt=Decimal("0.50"),
        inscp_scp_amt=Decimal("110.00"), fee_details=(FeeDetail(code="X1", name="阿莫西林\"胶囊\"", category="drug",
                                                                chrgitm_lv="01", amount=Decimal("120.50")),))
    # then its hash is the one json.dumps gave (computed before the change)
    assert request.content_hash() == KNOWN


KNOWN = "9eaf5a38b4cbe1139ad2001c89c3af1d6b901223a711a38d6f64c885dcae1008"  # by the json.dumps implementation


BODY = {"admdvs": "360100", "certno": "36010219800101001X", "fixmedins_code": "H36010200001",
        "visit_at": "2025-03-01T09:30:00+08:00", "medfee_sumamt": "120.50", "inscp_scp_amt": "120.50"}


def test_request_under_a_key_keeps_its_content_hash():
    # Given a parsed request whose hash was worked out
    request = claim_request_parse(BODY)
    digest = request.content_hash()
    # When it is given an idempotency key (as the import does for key-less rows)
    keyed = request.with_idempotency_key("import:" + digest[:56])
    # Then the key is set, the content and hash are the same, and a fresh parse agrees
    assert keyed.idempotency_key == "import:" + digest[:56]
    assert keyed.content_hash() == digest == claim_request_parse({**BODY, "idempotency_key": "x"}).content_hash()
    assert keyed.content() == request.content()


def test_the_content_keeps_its_key_order():
    # given a request with every optional part sent (a family-account payer, a prescriber)
    request = claim_request_parse({
        "admdvs": "370300", "certno": "37030019800101001X", "fixmedins_code": "P370300001",
        "visit_at": "2024-03-05T09:41:00+08:00", "acct_used": True, "acct_payer_certno": "37030019800101002X",
        "prescribing_fixmedins_code": "H370300001", "medfee_sumamt": "20.00", "inscp_scp_amt": "20.00"})
    # then inputs.request lists its keys in the order clients have always read (the amounts in AMOUNT_FIELDS')
    assert list(request.content()) == [
        "admdvs", "certno", "fixmedins_code", "visit_at", "benefit", "emergency", "referral", "out_of_area", "channel",
        "exclusion", "acct_used", "acct_payer_certno", "prescribing_fixmedins_code", *AMOUNT_FIELDS, "fee_details"]
    assert request.content()["visit_at"] == "2024-03-05T09:41:00+08:00"
