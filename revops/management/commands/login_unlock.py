from django.core.management.base import BaseCommand, CommandError

from revops.throttling import login_lockout_seconds, login_unlock


class Command(BaseCommand):
    help = "Lift a log-in lock early (after repeated failed log-ins) for a username and/or a client address."

    def add_arguments(self, parser):
        parser.add_argument("--username", help="The username that is locked (any case).")
        parser.add_argument("--address", help="The client IP address that is locked.")

    def handle(self, *args, username: str | None, address: str | None, **options):
        if not username and not address:
            raise CommandError("Give --username, --address or both.")
        was_locked = login_lockout_seconds(username=username, address=address)
        login_unlock(username=username, address=address)
        what = " and ".join(part for part in (username and f"username {username!r}", address and f"address {address}") if part)
        if was_locked:
            self.stdout.write(self.style.SUCCESS(f"Unlocked {what} ({was_locked} s were left); its failed log-ins are forgotten."))
        else:
            self.stdout.write(f"{what} was not locked; its failed log-ins are forgotten.")
