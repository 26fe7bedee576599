#!/usr/bin/env python
"""Benchmarks: ``python bench/run.py <name> [args]`` runs ``bench/<name>.py``'s ``main(argv)``.

Each benchmark prints its figures as JSON lines (one object per measurement) and says what the
floor/reference was, measured in the same run. They run on the configured database: the embedded
default, or the one DATABASE_URL names (``eval "$(scripts/services.sh start)"`` for the test cluster,
whose settings each module's docstring gives for its figures). They are never part of the test suite.
"""
import importlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMES = {"admin": "admin_pages", "claims": "claims", "settlement": "settlement", "import": "imports",
         "indicators": "indicators", "national": "national", "simulation": "simulation"}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in NAMES:
        print(f"usage: python bench/run.py {{{'|'.join(NAMES)}}} [options]", file=sys.stderr)
        raise SystemExit(2)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    module = importlib.import_module(f"bench.{NAMES[sys.argv[1]]}")
    module.main(sys.argv[2:])


if __name__ == "__main__":
    main()
