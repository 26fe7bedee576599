import pytest


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    # Import jobs keep their files and error reports under MEDIA_ROOT: a folder of the test's own.
    settings.MEDIA_ROOT = str(tmp_path / "media")
