"""Zoom conferences: connected accounts, the meeting of each Zoom day and its state,
attendance, recordings, handled webhooks and the company's Zoom settings.

Attendance and recordings are declared here as they were at this step: migration 015 made
them the platform-neutral `attendance` and `recording` (see models.Attendance, Recording)."""

import peewee as pw
from peewee_migrate import Migrator

from models import ZOOM_MODELS


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields(
        "day",
        zoom_meeting_id=pw.CharField(null=True),
        zoom_join_url=pw.TextField(default=""),
        zoom_state=pw.CharField(default=""),
        zoom_error=pw.TextField(default=""),
        zoom_instance_uuid=pw.CharField(default=""),
    )
    migrator.run(database.create_tables, ZOOM_MODELS, safe=True)

    @migrator.create_model
    class ZoomAttendance(pw.Model):
        id = pw.AutoField()
        day = pw.ForeignKeyField(migrator.orm["day"], on_delete="CASCADE")
        person = pw.CharField()
        email = pw.CharField(default="")
        name = pw.CharField(default="")
        seconds = pw.IntegerField(null=True)
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "zoomattendance"
            indexes = ((("day", "person"), True),)

    @migrator.create_model
    class ZoomRecording(pw.Model):
        id = pw.AutoField()
        day = pw.ForeignKeyField(migrator.orm["day"], on_delete="CASCADE")
        file_id = pw.CharField(unique=True)
        recording_type = pw.CharField(default="")
        file_type = pw.CharField(default="")
        start_at = pw.DateTimeField(null=True)
        end_at = pw.DateTimeField(null=True)
        file_size = pw.BigIntegerField(default=0)
        play_url = pw.TextField(default="")
        download_url = pw.TextField(default="")

        class Meta:
            table_name = "zoomrecording"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model("zoomrecording")
    migrator.remove_model("zoomattendance")
    migrator.run(database.drop_tables, list(reversed(ZOOM_MODELS)), safe=True)
    migrator.remove_fields(
        "day", "zoom_meeting_id", "zoom_join_url", "zoom_state", "zoom_error", "zoom_instance_uuid"
    )
