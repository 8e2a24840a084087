"""Mentoring sessions (issue 12): the platform of an online day and its Zoom meeting ID,
what a mentoring session has beyond a session, tag options, and invitations that hold a
seat."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields(
        "day",
        platform=pw.CharField(max_length=255, default=""),
        meeting_id=pw.CharField(max_length=255, default=""),
    )

    @migrator.create_model
    class MentoringDetails(pw.Model):
        id = pw.AutoField()
        session = pw.ForeignKeyField(
            column_name="session_id",
            field="id",
            model=migrator.orm["session"],
            on_delete="CASCADE",
            unique=True,
        )
        published_at = pw.DateTimeField(null=True)
        recommended_for = pw.JSONField()
        categories = pw.JSONField()
        medium = pw.JSONField()
        image_name = pw.CharField(max_length=255, default="")

        class Meta:
            table_name = "mentoring_details"

    @migrator.create_model
    class TagOption(pw.Model):
        id = pw.AutoField()
        kind = pw.CharField(max_length=255)
        label = pw.CharField(max_length=100)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "tag_option"
            indexes = [(("kind", "label"), True)]

    @migrator.create_model
    class Invitation(pw.Model):
        id = pw.AutoField()
        registration = pw.ForeignKeyField(
            column_name="registration_id",
            field="id",
            model=migrator.orm["registration"],
            on_delete="CASCADE",
            unique=True,
        )
        invited_at = pw.DateTimeField()

        class Meta:
            table_name = "invitation"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model("invitation")
    migrator.remove_model("tag_option")
    migrator.remove_model("mentoring_details")
    migrator.remove_fields("day", "platform", "meeting_id")
