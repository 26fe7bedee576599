"""The project's middleware: the request body limit, NUL in a query, and the browser's middleware
skipped by token-authenticated API calls (at the end).

Request body limit, before any view, parser or form reads a byte of the body.

Django checks ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only when ``request.body`` or ``request.POST`` is read;
DRF's parsers read the stream themselves, so a 200 MB JSON body was parsed whole. Here the declared
length (``CONTENT_LENGTH``, which the WSGI server also bounds what can be read by) is compared with the
limit for the kind of body: a file upload (multipart) may be as large as an import accepts, anything
else ``REQUEST_BODY_MAX_BYTES``. Over it: 413 with a JSON message, nothing read.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth import middleware as _auth
from django.contrib.messages import middleware as _messages
from django.contrib.sessions import middleware as _session
from django.http import JsonResponse
from django.middleware import locale as _locale


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


# ---------------------------------------------------------------------------------------------
# The browser's middleware, skipped by a call to the API made with a token
# ---------------------------------------------------------------------------------------------
def token_api_call(request) -> bool:
    """A call to ``/api/`` carrying ``Authorization: Token …`` (a clinic system's or an integration's
    client, the hot ``POST /api/v1/claims/`` and ``POST /api/national/``). Decided once per request.

    Such a call is authenticated by its token alone: DRF's ``SessionAuthentication`` (tried first)
    reads the user the authentication middleware would have set and, finding none, leaves the call
    to ``TokenAuthentication``; a session cookie sent along with a token is not read. Its answers
    are JSON, where no message is ever shown, and there is one language (settings.LANGUAGES, the
    default, which such a call gets without the locale middleware). So the session, the locale, the
    lazy ``request.user`` and the message storage are work done for nothing: about 0.12 ms of CPU a
    call (measured in-process, the WSGI application called directly), on a request that costs 3-4 ms. The
    CSRF middleware stays (DRF's views are exempt from it; without a cookie it costs next to
    nothing, and Django's deploy checks look for it by its name)."""
    decided = getattr(request, "_token_api_call", None)
    if decided is None:
        authorization = request.META.get("HTTP_AUTHORIZATION", "")
        # DRF's TokenAuthentication reads the keyword case-insensitively
        decided = request.path_info.startswith("/api/") and authorization[:6].lower() == "token "
        request._token_api_call = decided
    return decided


class SkippedByTokenApiCalls:
    """Mixed into a Django middleware (settings.MIDDLEWARE names the subclasses, which Django's admin
    checks accept): a token API call passes straight on (``token_api_call``); anything else — the
    admin, the staff pages, the API used from a signed-in browser — goes through the middleware as
    before."""

    def __call__(self, request):
        if token_api_call(request):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(SkippedByTokenApiCalls, _session.SessionMiddleware):
    pass


class LocaleMiddleware(SkippedByTokenApiCalls, _locale.LocaleMiddleware):
    pass


class AuthenticationMiddleware(SkippedByTokenApiCalls, _auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(SkippedByTokenApiCalls, _messages.MessageMiddleware):
    pass
