"""The outbox holds what to tell whom; the worker renders. Broadcasts fan out after commit."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields(
        "email",
        kind=pw.CharField(max_length=255, default=""),
        context=pw.JSONField(default=dict),
        zone=pw.CharField(max_length=255, default="UTC"),
    )

    @migrator.create_model
    class Broadcast(pw.Model):
        id = pw.AutoField()
        key = pw.CharField(max_length=255, unique=True)
        kind = pw.CharField(max_length=255)
        context = pw.JSONField()
        user_ids = pw.JSONField()
        created_at = pw.DateTimeField()
        expanded_at = pw.DateTimeField(null=True, index=True)

        class Meta:
            table_name = "broadcast"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model("broadcast")
    migrator.remove_fields("email", "kind", "context", "zone")
