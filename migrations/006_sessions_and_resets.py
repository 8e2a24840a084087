"""Sessions that really end: the session cookie carries the account's session version, and
raising it signs every browser of that account out. (Password-reset links need no table:
they are signed and carry a fingerprint of the password they replace.)"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields("user", session_version=pw.IntegerField(default=0))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_fields("user", "session_version")
