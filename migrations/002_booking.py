"""Booking: the seat counter, the event on registrations with its one-live-per-event index,
the waiting-list position, and uploaded registration files."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields("session", seats_taken=pw.IntegerField(default=0))
    migrator.add_fields(
        "registration",
        event=pw.ForeignKeyField(
            column_name="event_id", field="id", model=migrator.orm["event"], null=True, on_delete="CASCADE"
        ),
        queued_at=pw.DateTimeField(null=True),
    )
    migrator.add_index("registration", "session", "status")
    migrator.sql(
        "UPDATE registration SET event_id = (SELECT event_id FROM session WHERE session.id = registration.session_id)"
    )
    # The database itself forbids two live participant registrations of a user in an event.
    migrator.sql(
        "CREATE UNIQUE INDEX registration_one_live_per_event ON registration (event_id, user_id) "
        "WHERE role = 'participant' AND status <> 'cancelled'"
    )

    @migrator.create_model
    class ImportJob(pw.Model):
        id = pw.AutoField()
        event = pw.ForeignKeyField(column_name="event_id", field="id", model=migrator.orm["event"], on_delete="CASCADE")
        uploaded_by = pw.ForeignKeyField(
            column_name="uploaded_by_id", field="id", model=migrator.orm["user"], null=True, on_delete="SET NULL"
        )
        filename = pw.CharField(max_length=255)
        rows = pw.JSONField()
        status = pw.CharField(default="preview", max_length=255)
        applied_count = pw.IntegerField(default=0)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "import_job"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model("import_job")
    migrator.sql("DROP INDEX registration_one_live_per_event")
    migrator.drop_index("registration", "session", "status")
    migrator.remove_fields("registration", "event", "queued_at")
    migrator.remove_fields("session", "seats_taken")
