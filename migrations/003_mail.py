"""Mail: the outbox, reminders, iCalendar sequences and private calendar feeds."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields("day", sequence=pw.IntegerField(default=0))
    migrator.add_fields("user", calendar_token=pw.CharField(max_length=255, null=True, unique=True))

    @migrator.create_model
    class Reminder(pw.Model):
        id = pw.AutoField()
        session = pw.ForeignKeyField(
            column_name="session_id", field="id", model=migrator.orm["session"], on_delete="CASCADE"
        )
        fixed_at = pw.DateTimeField(null=True)
        offset = pw.IntegerField(null=True)
        offset_unit = pw.CharField(max_length=255, null=True)
        due_at = pw.DateTimeField(null=True, index=True)
        sent_at = pw.DateTimeField(null=True)
        sent_count = pw.IntegerField(default=0)

        class Meta:
            table_name = "reminder"

    @migrator.create_model
    class Email(pw.Model):
        id = pw.AutoField()
        key = pw.CharField(max_length=255, unique=True)
        to_address = pw.CharField(max_length=255)
        user = pw.ForeignKeyField(
            column_name="user_id", field="id", model=migrator.orm["user"], null=True, on_delete="SET NULL"
        )
        locale = pw.CharField(default="en", max_length=255)
        subject = pw.CharField(max_length=300)
        text_body = pw.TextField()
        html_body = pw.TextField()
        attachments = pw.JSONField()
        status = pw.CharField(default="queued", max_length=255)
        attempts = pw.IntegerField(default=0)
        last_error = pw.TextField(default="")
        next_attempt_at = pw.DateTimeField()
        claim = pw.CharField(max_length=255, null=True)
        claimed_at = pw.DateTimeField(null=True)
        sent_at = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "email"
            indexes = [(("status", "next_attempt_at"), False)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model("email")
    migrator.remove_model("reminder")
    migrator.remove_fields("user", "calendar_token")
    migrator.remove_fields("day", "sequence")
