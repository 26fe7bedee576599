"""``python manage.py embedded_postgres status|stop``: the embedded default database (config/embedded_postgres.py).

Lives with the staff app because it is an operator's command, not a domain one."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.embedded_postgres import data_folder, embedded_stop


class Command(BaseCommand):
    help = "Show or stop the embedded PostgreSQL server (only without DATABASE_URL)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "stop"])

    def handle(self, *args, action: str, **options):
        import os

        if os.environ.get("DATABASE_URL"):
            raise CommandError("DATABASE_URL is set: this deployment does not use the embedded server")
        if action == "status":
            db = settings.DATABASES["default"]
            self.stdout.write(f"data folder {data_folder()}, socket {db['HOST']}, database {db['NAME']}")
        else:
            embedded_stop()
            self.stdout.write("stopped (the next command that needs the database starts it again)")
