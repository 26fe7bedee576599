"""The project's shared folder (policy rules, worked examples, API contract): ``../shared`` next to the
checkout, found from this file so that the tests run from any clone, wherever it lies."""
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
SHARED = REPOSITORY.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A file under the shared folder, e.g. ``shared_path("policy", "examples", "claims.json")``."""
    return SHARED.joinpath(*parts)
