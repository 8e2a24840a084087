"""One upload table for every file import (imports/): the event registration imports
(import_job), the bulk session uploads (bulk_upload, bulk_upload_row) and the assessment
participant imports (assessment_import) move into `upload` and `upload_row`, nothing lost,
and the old tables go.

Bulk uploads keep their ids (their pages and the result emails still in the outbox name
them); the other uploads are numbered after them. A registration import that was
"applying" is "working", and the progress counter of both preview imports becomes `done`.
The tables are declared here as they are at this step."""

import json

import peewee as pw
from peewee_migrate import Migrator

PREVIEW_TABLES = {  # old table: (kind, the column naming what it imports into)
    "import_job": ("registrations", "event_id"),
    "assessment_import": ("assessment_participants", "assessment_session_id"),
}


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    _create_tables(migrator)
    migrator.run(_move_bulk_uploads, database)
    for table, (kind, target) in PREVIEW_TABLES.items():
        migrator.run(_move_previewed, database, table, kind, target)
    migrator.remove_model("bulk_upload_row")
    migrator.remove_model("bulk_upload")
    migrator.remove_model("import_job")
    migrator.remove_model("assessment_import")


def _create_tables(migrator):
    @migrator.create_model
    class Upload(pw.Model):
        id = pw.AutoField()
        kind = pw.CharField()
        uploaded_by = pw.ForeignKeyField(migrator.orm["user"], null=True, on_delete="SET NULL")
        event = pw.ForeignKeyField(migrator.orm["event"], null=True, on_delete="CASCADE")
        assessment_session = pw.ForeignKeyField(
            migrator.orm["assessment_session"], null=True, on_delete="CASCADE"
        )
        filename = pw.CharField()
        locale = pw.CharField(default="en")
        status = pw.CharField(default="preview")
        is_check = pw.BooleanField(default=False)
        data = pw.BlobField(null=True)
        columns = pw.JSONField()
        extra_columns = pw.JSONField()
        rows = pw.JSONField()
        total = pw.IntegerField(default=0)
        done = pw.IntegerField(default=0)
        counts = pw.JSONField()
        created_at = pw.DateTimeField()
        finished_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "upload"
            indexes = ((("uploaded_by", "kind", "id"), False),)

    @migrator.create_model
    class UploadRow(pw.Model):
        id = pw.AutoField()
        upload = pw.ForeignKeyField(Upload, on_delete="CASCADE")
        line = pw.IntegerField()
        cells = pw.JSONField()
        session_id = pw.IntegerField(null=True)
        status = pw.CharField()
        message = pw.TextField(default="")

        class Meta:
            table_name = "upload_row"
            indexes = ((("upload", "line"), True), (("upload", "status", "line"), False))


def _move_bulk_uploads(database):
    """In SQL, whatever their number: the rows are copied as they are."""
    database.execute_sql(
        "INSERT INTO upload (id, kind, uploaded_by_id, filename, locale, status, is_check,"
        " data, columns, extra_columns, rows, total, done, counts, created_at, finished_at)"
        " SELECT id, 'sessions', uploaded_by_id, filename, locale, status, is_check, data,"
        " columns, extra_columns, '[]', total, done, counts, created_at, finished_at"
        " FROM bulk_upload"
    )
    database.execute_sql(
        "INSERT INTO upload_row (upload_id, line, cells, session_id, status, message)"
        " SELECT upload_id, line, cells, session_id, status, message FROM bulk_upload_row"
        " ORDER BY id"
    )
    if isinstance(database, pw.PostgresqlDatabase):  # the ids given above pass its sequence
        database.execute_sql(
            "SELECT setval(pg_get_serial_sequence('upload', 'id'),"
            " COALESCE((SELECT MAX(id) FROM upload), 0) + 1, false)"
        )


def _move_previewed(database, table, kind, target):
    """One upload at a time: each holds its rows (up to the company's row limit)."""
    cursor = database.execute_sql(  # the row messages speak the uploader's language
        f"SELECT i.{target}, i.uploaded_by_id, i.filename, i.rows, i.status, i.applied_count,"
        " i.created_at, COALESCE(u.locale, (SELECT MIN(default_locale) FROM company), 'en')"
        f' FROM {table} i LEFT JOIN "user" u ON u.id = i.uploaded_by_id ORDER BY i.id'
    )
    insert = (
        f"INSERT INTO upload (kind, {target}, uploaded_by_id, filename, locale, status,"
        " is_check, columns, extra_columns, rows, total, done, counts, created_at)"
        f" VALUES ({', '.join([database.param] * 14)})"
    )
    for target_id, uploader, name, rows, status, applied, created, locale in cursor.fetchall():
        rows = json.loads(rows) if isinstance(rows, str) else rows  # PostgreSQL parses JSON
        counts = _outcome_counts(rows) if status == "done" else {}
        status = "working" if status == "applying" else status
        values = [kind, target_id, uploader, name, locale, status, False, "[]", "[]"]
        values += [json.dumps(rows), len(rows), applied, json.dumps(counts), created]
        database.execute_sql(insert, values)


def _outcome_counts(rows):
    counts = {}
    for row in rows:
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    return counts


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """The old tables again, each upload back in the table of its kind, ids kept."""
    _create_old_tables(migrator)
    migrator.run(_move_back, database)
    migrator.remove_model("upload_row")
    migrator.remove_model("upload")


def _move_back(database):
    status = "CASE status WHEN 'working' THEN 'applying' ELSE status END"
    for table, (kind, target) in PREVIEW_TABLES.items():
        database.execute_sql(
            f"INSERT INTO {table} (id, {target}, uploaded_by_id, filename, rows, status,"
            f" applied_count, created_at) SELECT id, {target}, uploaded_by_id, filename, rows,"
            f" {status}, done, created_at FROM upload WHERE kind = '{kind}'"
        )
    database.execute_sql(
        "INSERT INTO bulk_upload (id, uploaded_by_id, filename, is_check, data, locale, columns,"
        " extra_columns, total, done, status, counts, created_at, finished_at) SELECT id,"
        " uploaded_by_id, filename, is_check, data, locale, columns, extra_columns, total, done,"
        " status, counts, created_at, finished_at FROM upload"
        " WHERE kind = 'sessions' AND uploaded_by_id IS NOT NULL"
    )
    database.execute_sql(
        "INSERT INTO bulk_upload_row (upload_id, line, cells, session_id, status, message)"
        " SELECT upload_id, line, cells, session_id, upload_row.status, message FROM upload_row"
        " JOIN bulk_upload ON bulk_upload.id = upload_id ORDER BY upload_row.id"
    )
    if isinstance(database, pw.PostgresqlDatabase):
        for table in ("bulk_upload", *PREVIEW_TABLES):
            database.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )


def _create_old_tables(migrator):
    """As 002, 009 and 012 declared them."""

    @migrator.create_model
    class ImportJob(pw.Model):
        id = pw.AutoField()
        event = pw.ForeignKeyField(migrator.orm["event"], on_delete="CASCADE")
        uploaded_by = pw.ForeignKeyField(migrator.orm["user"], null=True, on_delete="SET NULL")
        filename = pw.CharField()
        rows = pw.JSONField()
        status = pw.CharField(default="preview")
        applied_count = pw.IntegerField(default=0)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "import_job"

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

    @migrator.create_model
    class BulkUpload(pw.Model):
        id = pw.AutoField()
        uploaded_by = pw.ForeignKeyField(migrator.orm["user"], on_delete="CASCADE")
        filename = pw.CharField()
        is_check = pw.BooleanField(default=False)
        data = pw.BlobField()
        locale = pw.CharField(default="en")
        columns = pw.JSONField()
        extra_columns = pw.JSONField()
        total = pw.IntegerField(default=0)
        done = pw.IntegerField(default=0)
        status = pw.CharField(default="queued")
        counts = pw.JSONField()
        created_at = pw.DateTimeField()
        finished_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "bulk_upload"

    @migrator.create_model
    class BulkUploadRow(pw.Model):
        id = pw.AutoField()
        upload = pw.ForeignKeyField(BulkUpload, on_delete="CASCADE")
        line = pw.IntegerField()
        cells = pw.JSONField()
        session_id = pw.IntegerField(null=True)
        status = pw.CharField()
        message = pw.TextField(default="")

        class Meta:
            table_name = "bulk_upload_row"
            indexes = ((("upload", "line"), True), (("upload", "status", "line"), False))
