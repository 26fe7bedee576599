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
