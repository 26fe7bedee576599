"""The one place of labels (config/labels.py) covers every code the rules can produce, and the one
number format (config/display.py) prints money, ratios, counts and documents as staff read them."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from config import display, labels
from policy.rules import REASONS, REGIONS


def test_every_reason_code_of_the_rules_has_a_chinese_label():
    # given the rules' reason codes; then each has a label in Chinese (a new code fails here until labelled)
    missing = sorted(set(REASONS) - set(labels.REASON_LABELS))
    assert not missing, f"add to config/labels.py REASON_LABELS: {missing}"
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in labels.REASON_LABELS.values())


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_every_parameter_of_every_region_has_a_label_and_a_unit(region):
    missing = sorted(set(REGIONS[region].PARAMETERS) - set(labels.PARAMETER_LABELS))
    assert not missing, f"add to config/labels.py PARAMETER_LABELS: {missing}"
    for name, spec in REGIONS[region].PARAMETERS.items():
        label, unit, _help = labels.parameter_label(name)
        assert unit == "%" if spec.kind.startswith("ratio") else True, name


def test_the_one_number_format():
    assert display.money(Decimal("1234.5")) == "¥1,234.50"
    assert display.money("-12") == "-¥12.00"          # a reversal
    assert display.money("0.005") == "¥0.01"           # half-up, as money is rounded
    assert display.ratio("0.55") == "55.00%" and display.ratio(Decimal("0.0525")) == "5.25%"
    assert display.count(12345) == "12,345" and display.amount(None) == "—"


def test_a_document_is_a_labelled_table_with_codes_as_labels():
    # given a claim's inputs as recorded
    html = str(display.data_table({"request": {"channel": "direct", "medfee_sumamt": "1234.50", "referral": False},
                                   "ytd_before": {"fund": "51.00", "deductible:2": "30.00"}}))
    # then keys and codes read in Chinese, money with ¥, booleans 是/否, and no JSON
    for shown in ("请求", "结算方式", "直接结算", "医疗费总额", "¥1,234.50", "转诊", "否", "统筹基金累计支付",
                  "起付线累计（二级）", "¥30.00"):
        assert shown in html, shown
    assert '{"' not in html and "direct" not in html and "medfee_sumamt" not in html


def test_a_rule_note_quoting_a_field_names_it_by_its_label():
    assert display.readable_note("政策范围内费用 200.00 元（inscp_scp_amt，起付和比例的基数）") == \
        "政策范围内费用 200.00 元（政策范围内费用，起付和比例的基数）"


def test_the_rules_parameter_messages_read_in_chinese():
    assert labels.parameter_message("age 5 is in groups 1 and 2") == "年龄 5 同时属于第 1 组和第 2 组"
    assert labels.parameter_message("a ratio lies between 0 and 1 (e.g. 0.55)") == "比例应在 0% 到 100% 之间"
    assert labels.parameter_message("something new") == "参数值无效"


def test_import_messages_carry_no_english_in_brackets():
    # the staff read import errors in Chinese only: no "(required)" or "(file too large)" after them
    sources = Path(__file__).resolve().parents[2] / "imports"
    english = re.compile(r'[\u4e00-\u9fff」”）][^"\n]*\s\([a-z][a-z ,/:-]+\)"')
    found = [f"{path.name}: {m.group(0)}" for path in sources.glob("*.py") for m in english.finditer(path.read_text())]
    assert not found, found
