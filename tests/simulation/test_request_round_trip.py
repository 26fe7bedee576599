"""claims.requests.claim_request_from_content is the inverse of ClaimRequest.content(): a replay sees
the visit the claim recorded, every field (fee details included), without its idempotency key."""
from decimal import Decimal

from claims.requests import claim_request_from_content, claim_request_parse


def test_content_round_trips_to_the_same_request():
    original = claim_request_parse({
        "admdvs": "370300", "certno": "370302197001010011", "fixmedins_code": "P1",
        "visit_at": "2024-03-01T10:00:00+08:00", "medfee_sumamt": "120.00", "fulamt_ownpay_amt": "20.00",
        "inscp_scp_amt": "100.00", "benefit": "tcm", "emergency": True, "out_of_area": "temporary",
        "acct_used": True, "acct_payer_certno": "370302197001010029", "idempotency_key": "k-1",
        "fee_details": [{"code": "A1", "name": "药", "category": "drug", "chrgitm_lv": "01", "amount": "100.00"},
                        {"code": "B2", "name": "自费", "category": "other", "chrgitm_lv": "03", "amount": "20.00"}]})
    rebuilt = claim_request_from_content(original.content())
    assert rebuilt.content() == original.content()
    assert rebuilt.idempotency_key is None and rebuilt.fee_details[1].amount == Decimal("20.00")
    assert rebuilt.visit_local == original.visit_local


def test_a_parsed_request_is_the_one_the_constructor_makes():
    # given a request's fields as the parsers give them, and the same fields through ClaimRequest(...)
    from datetime import datetime

    from claims.requests import SHANGHAI, ClaimRequest

    data = {"admdvs": "370300", "certno": "370302197001010011", "fixmedins_code": "P1",
            "visit_at": "2024-03-01T10:00:00+08:00", "medfee_sumamt": "120.00", "fulamt_ownpay_amt": "20.00",
            "inscp_scp_amt": "100.00", "emergency": True}
    # when parsed (twice: the second time the repeated codes and self-paid parts come from the memo)
    first, second = claim_request_parse(data), claim_request_parse(dict(data))
    built = ClaimRequest(admdvs="370300", certno="370302197001010011", fixmedins_code="P1",
                         visit_at=datetime(2024, 3, 1, 10, tzinfo=SHANGHAI), medfee_sumamt=Decimal("120.00"),
                         inscp_scp_amt=Decimal("100.00"), fulamt_ownpay_amt=Decimal("20.00"), emergency=True)
    # then every field (defaults included), equality, the hash and the content are the constructor's
    assert first == second == built and hash(first) == hash(built)
    assert first.content() == built.content() and first.content_hash() == built.content_hash()
    assert (first.benefit, first.channel, first.out_of_area, first.fee_details) == ("ordinary", "direct", None, ())


def test_a_refused_code_is_refused_every_time_not_remembered():
    # given a request whose provider code is not a code
    import pytest
    from django.core.exceptions import ValidationError

    data = {"admdvs": "370300", "certno": "370302197001010011", "fixmedins_code": "诊所 1",
            "visit_at": "2024-03-01T10:00:00+08:00", "medfee_sumamt": "100.00", "inscp_scp_amt": "100.00"}
    # when parsed twice, then refused twice, naming the field
    for _ in range(2):
        with pytest.raises(ValidationError) as refused:
            claim_request_parse(data)
        assert list(refused.value.message_dict) == ["fixmedins_code"]
