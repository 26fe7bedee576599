"""The browser's middleware (session, locale, authentication, messages) is skipped by calls to /api/
made with a token (config.middleware ``token_api_call``: CPU off the hot claim doors), and by
nothing else: a signed-in browser using the API keeps its session and DRF's CSRF check, the admin
its session and messages."""
import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from config.middleware import token_api_call
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


class _Request:
    def __init__(self, path: str, authorization: str | None = None):
        self.path_info = path
        self.META = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}


@pytest.mark.parametrize(("path", "authorization", "skipped"), [
    ("/api/v1/claims/", "Token abc", True),
    ("/api/national/", "token abc", True),  # DRF reads the keyword case-insensitively
    ("/api/v1/claims/", None, False),  # a signed-in browser: session and CSRF as before
    ("/api/v1/claims/", "Bearer abc", False),
    ("/admin/", "Token abc", False),  # only the API
    ("/apix/", "Token abc", False),
])
def test_which_calls_skip_the_browser_middleware(path, authorization, skipped):
    assert token_api_call(_Request(path, authorization)) is skipped


def test_a_token_call_gets_no_session_and_is_authenticated_by_its_token():
    # given a staff member's token, and a session cookie of another (signed-in) staff member
    caller, other = make_staff(all_regions=True), make_staff(all_regions=True)
    token = Token.objects.create(user=caller)
    client = Client()
    client.force_login(other)
    # when the API is called with the token
    response = client.get("/api/v1/claims/", HTTP_AUTHORIZATION=f"Token {token.key}")
    # then it answers as the token's user, read from the token alone (no session was loaded)
    assert response.status_code == 200
    assert not hasattr(response.wsgi_request, "session")
    assert response.wsgi_request.user == caller


def test_a_signed_in_browser_keeps_its_session_and_drfs_csrf_check():
    # given a signed-in staff member whose browser sends its session cookie (CSRF enforced)
    user = make_staff(all_regions=True, superuser=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    # when it reads the API: the session authenticates it
    read = client.get("/api/v1/claims/")
    assert read.status_code == 200
    assert read.wsgi_request.session.session_key
    assert read.wsgi_request.user == user
    # when it posts without the CSRF token: DRF refuses it, as before
    posted = client.post("/api/v1/claims/", {}, content_type="application/json")
    assert posted.status_code == 403
    assert "CSRF" in posted.json()["detail"]


def test_the_admin_keeps_session_and_messages():
    # given a signed-in superuser
    client = Client()
    client.force_login(make_staff(all_regions=True, superuser=True))
    # when an admin page is read, even with a token header
    response = client.get("/admin/", HTTP_AUTHORIZATION="Token abc")
    # then the session signed it in and the message storage is there
    assert response.status_code == 200
    assert response.wsgi_request.session.session_key
    assert hasattr(response.wsgi_request, "_messages")
