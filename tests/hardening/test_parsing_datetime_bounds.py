"""config.parsing.datetime_parse(_local): the sane years hold for the moment as written AND in the
zone it is read in, so no later astimezone can overflow (the second check runs for the edge years only)."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from config.parsing import ParseError, datetime_parse, datetime_parse_local

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("text", [
    "1900-01-01T00:30:00+09:00",   # 1899-12-31 23:30 in Shanghai (+08:00)
    "2099-12-31T23:30:00-01:00",   # 2100-01-01 08:30 in Shanghai
    "1899-12-31T23:30:00+08:00",   # outside as written
])
def test_a_moment_leaving_the_sane_years_in_the_zone_is_refused(text):
    with pytest.raises(ParseError):
        datetime_parse(text, default_tz=SHANGHAI)


@pytest.mark.parametrize("text", [
    "1900-01-01T00:30:00+08:00", "2099-12-31T15:00:00+00:00", "2024-03-05T01:41:00+00:00", "2024-03-05T09:41:00",
])
def test_the_local_time_is_the_moment_in_the_zone(text):
    moment, local = datetime_parse_local(text, default_tz=SHANGHAI)
    assert local == moment and local.tzinfo is SHANGHAI
    assert local.isoformat() == moment.astimezone(SHANGHAI).isoformat()
    assert datetime_parse(text, default_tz=SHANGHAI) is not None


def test_an_aware_datetime_passes_through():
    moment = datetime(2024, 3, 5, 1, 41, tzinfo=timezone(timedelta(hours=-3)))
    assert datetime_parse_local(moment, default_tz=SHANGHAI) == (moment, moment.astimezone(SHANGHAI))
