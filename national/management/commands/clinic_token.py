"""``python manage.py clinic_token FIXMEDINS_CODE``: the provider's clinic system account, created
if needed; its API token alone on the last line (for a script: ``| tail -1``)."""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from national.services import clinic_account_ensure
from staff.audit import acting_as


class Command(BaseCommand):
    help = "Create (if needed) the clinic system account of a provider and print its API token."

    def add_arguments(self, parser):
        parser.add_argument("fixmedins_code")

    def handle(self, *args, fixmedins_code: str, **options):
        try:
            with acting_as(None, "command"):
                account, token, created = clinic_account_ensure(fixmedins_code=fixmedins_code)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"{'created' if created else 'existing'} clinic account {account.user.username} "
                          f"for {fixmedins_code}")
        self.stdout.write(token)
