"""Zoom conferences: connected accounts, the meeting of each Zoom day and its state,
attendance, recordings, handled webhooks and the company's Zoom settings."""

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


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.run(database.drop_tables, list(reversed(ZOOM_MODELS)), safe=True)
    migrator.remove_fields(
        "day", "zoom_meeting_id", "zoom_join_url", "zoom_state", "zoom_error", "zoom_instance_uuid"
    )
