"""The JSON parser and the pagination every API view uses (settings.REST_FRAMEWORK). Kept apart from
``config.api``: DRF imports these while ``rest_framework.views`` is being defined."""
import json
from decimal import Decimal

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ParseError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """``?limit=`` at most MAX_LIMIT (an unbounded one read a whole district in one page), and an
    ``?offset=`` beyond MAX_OFFSET is a 400 instead of a database error (OFFSET takes a bigint)."""

    max_limit = 500
    MAX_OFFSET = 100_000_000

    def get_offset(self, request):
        offset = super().get_offset(request)
        if offset > self.MAX_OFFSET:
            raise DjangoValidationError({self.offset_query_param: [
                f"offset 最大为 {self.MAX_OFFSET} (offset too large)"]})
        return offset


def json_depth_check(value, *, max_depth: int) -> None:
    """Refuse a parsed JSON value nested deeper than ``max_depth`` (walked without recursion), or with a
    NUL character in a string. Deeper
    than the interpreter's recursion limit, the parser itself stops with a RecursionError, which
    ``BoundedJSONParser`` answers with the same 400 (it was a 500)."""
    level = [value]
    for depth in range(1, max_depth + 2):
        # A NUL in a key or a string: PostgreSQL cannot store it in text (it was a database error).
        if any(isinstance(item, str) and "\x00" in item or isinstance(item, dict) and any("\x00" in k for k in item)
               for item in level):
            raise ParseError("JSON 字符串含 NUL 字符 (a JSON string contains a NUL character)")
        level = [child for item in level if isinstance(item, (dict, list))
                 for child in (item.values() if isinstance(item, dict) else item)]
        if not level:
            return
        if depth > max_depth:
            break
    raise ParseError(f"JSON 嵌套超过 {max_depth} 层 (JSON nested deeper than {max_depth} levels)")


class BoundedJSONParser(JSONParser):
    """JSON with numbers as Decimal (never float: "Numbers are accepted as strings or JSON numbers"),
    nesting bounded (``API_JSON_MAX_DEPTH``); the body's size was bounded before (config.middleware)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        if len(raw) > settings.REQUEST_BODY_MAX_BYTES:  # a body without a declared length
            raise ParseError("请求体过大 (request body too large)")
        try:
            data = json.loads(raw.decode(encoding), parse_float=Decimal)
        except RecursionError:
            raise ParseError(f"JSON 嵌套过深 (JSON nested deeper than {settings.API_JSON_MAX_DEPTH} levels)") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {str(exc)[:200]}") from None
        json_depth_check(data, max_depth=settings.API_JSON_MAX_DEPTH)
        return data


_DRF_JSON_DEFAULT = JSONEncoder().default


class OrjsonRenderer(JSONRenderer):
    """DRF's ``JSONRenderer`` writing with orjson: the same compact UTF-8 JSON (byte for byte for a
    claim's answer), in 3 instead of 49 µs of CPU per claim (measured in-process). What orjson has
    no type for (Decimal, lazy text, ...) and dates and times go through DRF's own encoder, as
    before. An indented answer (``Accept: application/json; indent=4``) is left to DRF's renderer.
    Set on the hot claim view (claims/views.py)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        return orjson.dumps(data, default=_DRF_JSON_DEFAULT,
                            option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS)
