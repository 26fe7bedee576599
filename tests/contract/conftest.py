import pytest

from tests.contract.world import World


@pytest.fixture
def world(api_client, city_admin):
    """A factory of per-region worlds posted by a city-wide staff user."""
    api_client.force_authenticate(city_admin)
    return lambda admdvs: World(api_client, admdvs)
