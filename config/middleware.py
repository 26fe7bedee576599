"""Request body limit, before any view, parser or form reads a byte of the body.

Django checks ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only when ``request.body`` or ``request.POST`` is read;
DRF's parsers read the stream themselves, so a 200 MB JSON body was parsed whole. Here the declared
length (``CONTENT_LENGTH``, which the WSGI server also bounds what can be read by) is compared with the
limit for the kind of body: a file upload (multipart) may be as large as an import accepts, anything
else ``REQUEST_BODY_MAX_BYTES``. Over it: 413 with a JSON message, nothing read.
"""
from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Content-Length 无效 (invalid Content-Length)"}, status=400)
        multipart = (request.META.get("CONTENT_TYPE") or "").lower().startswith("multipart/form-data")
        limit = settings.UPLOAD_BODY_MAX_BYTES if multipart else settings.REQUEST_BODY_MAX_BYTES
        if length > limit:
            return JsonResponse({"detail": f"请求体 {length} 字节，超过上限 {limit} 字节 "
                                           f"(request body too large: at most {limit} bytes)",
                                 "code": "body_too_large"}, status=413)
        return self.get_response(request)


class NulInQueryMiddleware:
    """A NUL character in a query parameter is a 400: PostgreSQL cannot hold one in text, so a filter
    such as ``?admdvs=%00`` ended in a database error (a 500). Form fields refuse it themselves
    (Django's ProhibitNullCharactersValidator) and the JSON parser refuses it in bodies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "%00" in request.META.get("QUERY_STRING", "") and any(
                "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            return JsonResponse({"detail": "查询参数含 NUL 字符 (a query parameter contains a NUL character)"},
                                status=400)
        return self.get_response(request)
