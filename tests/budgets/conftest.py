import pytest

from tests.budgets.helpers import approver


@pytest.fixture
def staff_client(db, api_client):
    user = approver()
    api_client.force_authenticate(user)
    api_client.user = user
    return api_client
