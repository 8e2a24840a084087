"""Group sessions: cancellation and the minimum-participants check."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields(
        "session",
        cancelled_at=pw.DateTimeField(null=True),
        minimum_checked_at=pw.DateTimeField(null=True),
    )


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_fields("session", "cancelled_at", "minimum_checked_at")
