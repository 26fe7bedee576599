"""manage.py simulate --admdvs 370300 --period 2024 --scenario FILE [--scenario FILE2 ...]

Each FILE is JSON: {"label": "...", "values": {parameter: value, ...}} (edits over a copy of the
set in force in the year; a full set works too) or a list of such objects. Runs the simulation
(eager without a broker, on the workers with REDIS_URL and --wait) and prints the totals side by
side; --json prints the API's answer instead."""
import json
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from simulation.models import SimulationRun
from simulation.selectors import comparison_tables, simulation_run_json
from simulation.services import simulation_run_create
from simulation.tasks import simulation_run_task


class Command(BaseCommand):
    help = "政策测算: replay a year's visits under draft parameter sets and compare with the baseline"

    def add_arguments(self, parser):
        parser.add_argument("--admdvs", required=True)
        parser.add_argument("--period", required=True, help="the year, e.g. 2024")
        parser.add_argument("--scenario", action="append", required=True, help="JSON file of a draft (repeatable)")
        parser.add_argument("--json", action="store_true", help="print the API's JSON answer")
        parser.add_argument("--timeout", type=int, default=3600, help="seconds to wait for a run on workers")

    def handle(self, *args, **options):
        drafts = []
        for path in options["scenario"]:
            try:
                with open(path, encoding="utf-8") as handle:
                    content = json.load(handle)
            except (OSError, json.JSONDecodeError) as exc:
                raise CommandError(f"{path}: {exc}") from None
            drafts += content if isinstance(content, list) else [content]
        try:
            run = simulation_run_create(admdvs=options["admdvs"], year=options["period"], drafts=drafts)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        simulation_run_task.delay(run.pk)
        deadline = time.monotonic() + options["timeout"]
        run = SimulationRun.objects.get(pk=run.pk)
        while not run.finished and time.monotonic() < deadline:
            time.sleep(1)
            run = SimulationRun.objects.get(pk=run.pk)
        if options["json"]:
            self.stdout.write(json.dumps(simulation_run_json(run=run), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"simulation #{run.pk} {run.admdvs_id} {run.year}: {run.get_status_display()}, "
                          f"{run.visits} visits, baseline {'matches' if run.baseline_matches else 'DIFFERS'}")
        if run.error:
            raise CommandError(run.error)
        labels = [s["label"] for s in run.results.get("scenarios", [])]
        for table in comparison_tables(run=run):
            if table["name"] not in ("total", "person_type", "level", "members"):
                continue
            self.stdout.write(f"\n{table['title']}\t" + "\t".join(labels))
            for row in table["rows"]:
                changes = "\t".join(f"{d} ({'—' if p is None else f'{p}%'})" for d, p in row["changes"])
                self.stdout.write(f"{row['label']}\t" + "\t".join(str(v) for v in row["values"]) + f"\t{changes}")
