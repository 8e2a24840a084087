"""The history of who changed what: one table, `history`, written in the transaction of
each change to a registration, a session or an event's visibility (sessions/history.py).

The table is declared here as it is at this step (see models.HistoryEntry)."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class HistoryEntry(pw.Model):
        id = pw.AutoField()
        changed_at = pw.DateTimeField()
        actor = pw.CharField()
        actor_user = pw.ForeignKeyField(
            migrator.orm["user"], null=True, backref="+", on_delete="SET NULL"
        )
        change = pw.CharField()
        event = pw.ForeignKeyField(
            migrator.orm["event"], null=True, backref="+", on_delete="SET NULL"
        )
        session = pw.ForeignKeyField(
            migrator.orm["session"], null=True, backref="+", on_delete="SET NULL"
        )
        person = pw.ForeignKeyField(
            migrator.orm["user"], null=True, backref="+", on_delete="SET NULL"
        )
        before = pw.JSONField(null=True)
        after = pw.JSONField(null=True)

        class Meta:
            table_name = "history"
            indexes = (
                (("event", "id"), False),
                (("session", "id"), False),
                (("person", "id"), False),
            )


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model("history")
