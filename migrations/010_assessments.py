"""Assessment sessions: the catalog, key dates, participants, raters and their answers.

The tables are declared here as they were at this step (not imported from models.py:
the migrator binds the classes it is given to its own database)."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class Assessment(pw.Model):
        id = pw.AutoField()
        name = pw.JSONField()
        content = pw.JSONField()
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "assessment"

    @migrator.create_model
    class ClientOrganization(pw.Model):
        id = pw.AutoField()
        name = pw.CharField(unique=True)

        class Meta:
            table_name = "client_organization"

    @migrator.create_model
    class AssessmentSession(pw.Model):
        id = pw.AutoField()
        session = pw.ForeignKeyField(migrator.orm["session"], unique=True, on_delete="CASCADE")
        assessment = pw.ForeignKeyField(migrator.orm["assessment"], on_delete="RESTRICT")
        client = pw.ForeignKeyField(
            migrator.orm["client_organization"], null=True, on_delete="SET NULL"
        )
        session_on = pw.DateField()
        invitation_on = pw.DateField()
        completion_on = pw.DateField()
        invitation_due_at = pw.DateTimeField(index=True)
        closes_at = pw.DateTimeField()

        class Meta:
            table_name = "assessment_session"

    @migrator.create_model
    class AssessmentReminder(pw.Model):
        id = pw.AutoField()
        assessment_session = pw.ForeignKeyField(
            migrator.orm["assessment_session"], on_delete="CASCADE"
        )
        number = pw.IntegerField()
        due_on = pw.DateField()
        due_at = pw.DateTimeField(index=True)
        sent_at = pw.DateTimeField(null=True)
        sent_count = pw.IntegerField(default=0)

        class Meta:
            table_name = "assessment_reminder"
            indexes = ((("assessment_session", "number"), True),)

    @migrator.create_model
    class AssessmentParticipant(pw.Model):
        id = pw.AutoField()
        registration = pw.ForeignKeyField(
            migrator.orm["registration"], unique=True, on_delete="CASCADE"
        )
        invited_at = pw.DateTimeField(null=True)
        answers = pw.JSONField()
        saved_at = pw.DateTimeField(null=True)
        submitted_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "assessment_participant"

    @migrator.create_model
    class Rater(pw.Model):
        id = pw.AutoField()
        participant = pw.ForeignKeyField(
            migrator.orm["assessment_participant"], on_delete="CASCADE"
        )
        name = pw.CharField()
        email = pw.CharField()
        relationship = pw.CharField()
        token = pw.CharField(null=True, unique=True)
        answers = pw.JSONField()
        saved_at = pw.DateTimeField(null=True)
        submitted_at = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "rater"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    for table in (
        "rater",
        "assessment_participant",
        "assessment_reminder",
        "assessment_session",
        "client_organization",
        "assessment",
    ):
        migrator.remove_model(table)
