"""GB 11643 resident ID numbers: checksum MOD 11-2, birth date, gender, 18 characters only."""
from datetime import date

import pytest

from members.certno import CertnoError, check_digit, make_certno, parse_certno


def test_given_valid_certno_when_parsed_then_birth_date_and_gender_come_from_it():
    # 11010519491231002X: weights·digits sum = 167, 167 mod 11 = 2 -> check "X"; 17th digit 2 is even: female.
    facts = parse_certno("11010519491231002X")
    assert facts.certno == "11010519491231002X"
    assert facts.birth_date == date(1949, 12, 31)
    assert facts.gender == "2"


def test_given_lower_case_x_when_parsed_then_stored_upper_case():
    assert parse_certno(" 11010519491231002x ").certno == "11010519491231002X"


def test_given_odd_sequence_digit_when_parsed_then_male():
    certno = make_certno(area="360102", birth=date(1970, 5, 1), sequence=11)
    assert parse_certno(certno).gender == "1"


def test_given_wrong_check_digit_when_parsed_then_refused_naming_the_expected_digit():
    with pytest.raises(CertnoError, match="校验码错误（应为 X"):
        parse_certno("110105194912310021")


def test_given_impossible_birth_date_when_parsed_then_refused():
    first17 = "36010219700230001"  # 30 February 1970
    with pytest.raises(CertnoError, match="出生日期 19700230 不是有效日期"):
        parse_certno(first17 + check_digit(first17))


def test_given_future_birth_date_when_parsed_then_refused():
    first17 = "36010220990101001"
    with pytest.raises(CertnoError, match="超出合理范围"):
        parse_certno(first17 + check_digit(first17), today=date(2024, 1, 1))


def test_given_old_15_digit_id_when_parsed_then_refused():
    with pytest.raises(CertnoError, match="15位"):
        parse_certno("110105491231002")


@pytest.mark.parametrize("raw", ["", "1101051949123100", "11010519491231002Y", "1101051949123100211"])
def test_given_wrong_shape_when_parsed_then_refused(raw):
    with pytest.raises(CertnoError):
        parse_certno(raw)
