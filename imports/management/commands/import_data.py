"""python manage.py import_data <providers|members|signups|claims|registrations> FILE [--dry-run] [--user NAME]

Prints a summary and the first errors; exits 0 when the file was imported, passed the dry run or
was already imported (a second import writes nothing),
1 when it was refused (nothing written), 2 on bad arguments.
"""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from imports.models import ImportJob
from imports.services import import_file


class Command(BaseCommand):
    help = ("Import a spreadsheet (xlsx/csv) of providers, members, sign-ups, claims or out-of-area "
            "registrations, all or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ImportJob.Kind.values)
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="validate only, write nothing")
        parser.add_argument("--user", help="run with this staff user's district scope (default: no limit)")
        parser.add_argument("--show", type=int, default=20, help="how many errors to print")

    def handle(self, *args, kind, file, dry_run, user, show, **options):
        by = None
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                raise CommandError(f"no such user {user!r}")
        try:
            job = import_file(kind=kind, path=file, by=by, dry_run=dry_run)
        except FileNotFoundError:
            raise CommandError(f"no such file {file!r}") from None
        out = self.stdout
        out.write(f"job #{job.pk} {job.kind} {job.file_name}: {job.status}")
        out.write(f"rows {job.rows_done}, written {job.rows_written}, skipped {job.rows_skipped}, "
                  f"errors {job.error_count}, {job.rows_per_second or 0:.0f} rows/s")
        out.write(job.message)
        for error in job.errors[:show]:
            out.write(f"  row {error['row']} [{error['column']}] {error['value']!r}: {error['message']}")
        if job.error_count > show:
            out.write(f"  ... {job.error_count - show} more")
        if job.error_report:
            out.write(f"error report: {job.error_report.path}")
        if job.status not in (ImportJob.Status.DONE, ImportJob.Status.PREVIEWED, ImportJob.Status.DUPLICATE):
            raise SystemExit(1)
