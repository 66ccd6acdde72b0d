from django.core.management.base import BaseCommand

from forums.crypto import generate_key, key_id


class Command(BaseCommand):
    help = "Print a new Fernet key for FORUMDECK_ENCRYPTION_KEYS (put it first to rotate)."

    def handle(self, *args, **options) -> None:
        key = generate_key()
        self.stdout.write(key)
        self.stderr.write(f"(key id {key_id(key)})")
