"""Schemathesis against the API's own OpenAPI schema: every operation called with generated (valid and
invalid) input as a signed-in superuser, a bounded number of examples each; no answer may be a 5xx.

``SCHEMATHESIS_MAX_EXAMPLES`` raises the bound for a longer run (the default keeps CI short)."""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.factories import make_staff

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", 8))


@pytest.fixture
def token(db):
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=make_staff(all_regions=True, superuser=True)).key


@pytest.fixture
def api_schema(token):
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from config.wsgi import application

    # As Django's test client does: a request must not close the test's connection (its transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application,
                                          headers={"Authorization": f"Token {token}"})
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_with_a_server_error(case, token):
    response = case.call(headers={"Authorization": f"Token {token}"})
    assert response.status_code < 500, (case.method, case.formatted_path, case.body, case.query,
                                        response.status_code, response.text[:500])
