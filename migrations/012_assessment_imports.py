"""Assessment participants from a CSV/XLSX file: the preview and result of each upload.

The table is declared here as it was at this step (see 010_assessments.py)."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class AssessmentImport(pw.Model):
        id = pw.AutoField()
        assessment_session = pw.ForeignKeyField(
            migrator.orm["assessment_session"], on_delete="CASCADE"
        )
        uploaded_by = pw.ForeignKeyField(migrator.orm["user"], null=True, on_delete="SET NULL")
        filename = pw.CharField()
        rows = pw.JSONField()
        status = pw.CharField(default="preview")
        applied_count = pw.IntegerField(default=0)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "assessment_import"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model("assessment_import")
