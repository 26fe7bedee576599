"""The request parse walks the fields a row carries; what it answers does not depend on the row's
key order, and every refusal is reported as the field-order parse reports it."""
import pytest
from django.core.exceptions import ValidationError

from claims.requests import claim_request_parse

ROW = {"admdvs": "360100", "certno": "360102197005010112", "fixmedins_code": "NC-T1",
       "visit_at": "2024-03-01T10:00:00+08:00", "medfee_sumamt": "120.00", "inscp_scp_amt": "100.00",
       "fulamt_ownpay_amt": "20.00", "benefit": "ordinary"}


def _refusal(row: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        claim_request_parse(row)
    return caught.value.message_dict


def test_given_the_same_row_in_another_key_order_with_unknown_keys_then_the_same_request():
    # when a row is parsed as sent, and with its keys reversed and a key the contract does not name
    reordered = {"note": "ignored", **dict(reversed(list(ROW.items())))}
    # then the requests are equal, with the same local visit time
    first, second = claim_request_parse(ROW), claim_request_parse(reordered)
    assert first == second and first.visit_local == second.visit_local


def test_given_several_problems_in_any_key_order_then_each_is_reported_in_field_order():
    # given a row with a bad certno, a missing provider and an amount with three decimals, keys reversed
    row = {**ROW, "certno": "12345", "medfee_sumamt": "120.001"}
    del row["fixmedins_code"]
    errors = _refusal(dict(reversed(list(row.items()))))
    # then every problem is named, in the request's field order
    assert list(errors) == ["certno", "fixmedins_code", "medfee_sumamt"]
    assert errors["fixmedins_code"] == ["必填 (this field is required)"]


def test_given_a_refused_certno_twice_then_it_is_refused_twice():
    # a refused text is never kept among the parsed-once answers
    for _ in range(2):
        assert "certno" in _refusal({**ROW, "certno": "36010219700501011"})
    # and a good certno, parsed once and then from memory, gives the same request
    assert claim_request_parse(ROW) == claim_request_parse(dict(ROW))


def test_given_amounts_that_do_not_add_up_then_the_identity_is_refused():
    errors = _refusal({**ROW, "inscp_scp_amt": "90.00"})
    assert list(errors) == ["medfee_sumamt"]
