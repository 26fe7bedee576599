"""Finding 9: the production posture. ``check --deploy`` with the README's production variables gives no
warning; without DJANGO_SECRET_KEY outside the embedded default nothing starts; DEBUG is off unless
asked for; passwords meet Django's validators; logins are throttled; the API is throttled."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
# The README's production variables (a real deployment has its own key, hosts and database).
PRODUCTION = {
    "DJANGO_SECRET_KEY": "x7Qe9-tL2vR8mZ4kW1pB6nC3yH5sD0gF-aJ7uK2eN9rT4wM8qX1zV6bY3cL5hP0jS",
    "DJANGO_ALLOWED_HOSTS": "ybjb.example.gov.cn",
    "DJANGO_HTTPS": "1",
    "DATABASE_URL": "postgres://ybjb:secret@db.internal:5432/ybjb",
}


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_with_the_production_variables_has_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    print(result.stdout, result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_a_secret_key_outside_the_embedded_default_nothing_starts():
    result = manage("check", env={k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"})
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_debug_is_off_unless_asked_for():
    script = "from django.conf import settings; print(settings.DEBUG)"

    def debug(env):
        return manage("shell", "-c", script, env=env).stdout.strip().splitlines()[-1]
    # (the embedded default reads DJANGO_DEBUG the same way; a dummy DATABASE_URL spares starting it here)
    assert debug(PRODUCTION) == "False" and debug({**PRODUCTION, "DJANGO_DEBUG": "1"}) == "True"


@pytest.mark.parametrize("password", ["12345678901", "password123", "short1", "clerk_0001x"])
def test_weak_passwords_are_refused(db, password):
    user = get_user_model()(username="clerk_0001x")
    with pytest.raises(ValidationError):
        validate_password(password, user)


@pytest.mark.django_db
def test_the_right_password_after_five_wrong_ones_does_not_log_in():
    # given a staff user
    get_user_model().objects.create_user("clerk", password="Correct-horse-9", is_staff=True)
    client = Client()
    # when five wrong passwords are tried, then the right one
    for attempt in range(5):
        client.post("/admin/login/", {"username": "clerk", "password": f"wrong-{attempt}"})
    response = client.post("/admin/login/", {"username": "clerk", "password": "Correct-horse-9"})
    # then it is locked out (429) and not signed in
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_api_is_throttled_per_user(api_client, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import UserRateThrottle

    from tests.factories import make_staff

    # given a user rate of 3 a minute
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "3/minute"}
    original = UserRateThrottle.THROTTLE_RATES
    UserRateThrottle.THROTTLE_RATES = rates
    try:
        api_client.force_authenticate(make_staff(all_regions=True))
        codes = [api_client.get("/api/v1/providers/").status_code for _ in range(4)]
    finally:
        UserRateThrottle.THROTTLE_RATES = original
    # then the fourth request in the minute is refused
    assert codes == [200, 200, 200, 429]
