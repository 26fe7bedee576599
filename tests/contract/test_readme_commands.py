"""The README's commands as an outsider reads them: every ``manage.py`` subcommand it names exists and
takes the flags written there, the Makefile has the two targets of the first lines, and
``bench/run.py`` knows the benchmark names the README lists."""
import re
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _parser(name: str):
    return load_command_class(get_commands()[name], name).create_parser("manage.py", name)


def test_every_manage_py_subcommand_named_in_the_readme_exists():
    named = set(re.findall(r"manage\.py (\w+)", README))
    named |= set(re.findall(r"`(credit_accounts|compute_indicators)`", README))
    assert {"run_settlement", "credit_accounts", "compute_indicators", "simulate", "clinic_token", "migrate",
            "createsuperuser", "embedded_postgres", "axes_reset_username", "check"} <= named
    assert named - set(get_commands()) == set()


@pytest.mark.parametrize("name, argv", [
    # CONTRACT.md "Settlement runs": the run is also started by this exact command
    ("run_settlement", ["--admdvs", "360100", "--kind", "monthly", "--period", "2024-03"]),
    ("run_settlement", ["--admdvs", "411300", "--kind", "fee_for_service", "--period", "2024-03"]),
    ("run_settlement", ["--admdvs", "441600", "--kind", "year_end", "--period", "2024"]),
    ("credit_accounts", ["--admdvs", "411300", "--period", "2024-03"]),
    ("compute_indicators", ["--admdvs", "360100", "--period", "2024-03"]),
    ("clinic_token", ["H36010200001"]),
    ("embedded_postgres", ["stop"]),
    ("axes_reset_username", ["admin"]),
    ("check", ["--deploy", "--fail-level", "WARNING"]),
])
def test_the_documented_flags_parse(name, argv):
    _parser(name).parse_args(argv)          # an unknown flag or a missing one exits (SystemExit)


def test_the_makefile_targets_and_the_benchmark_names():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    from bench.run import NAMES

    listed = re.search(r"bench/run\.py (\w+(?:\|\w+)+)", README).group(1).split("|")
    assert sorted(listed) == sorted(NAMES)
