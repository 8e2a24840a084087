"""Bulk session upload: the uploads and their per-row results, the company's threshold for
applying a file in the background, and the product's default file size of 10,000 rows
(companies still at the old default of 500 move to it)."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields("company", bulk_background_rows=pw.IntegerField(default=200))
    migrator.sql("UPDATE company SET bulk_rows_limit = 10000 WHERE bulk_rows_limit = 500")

    @migrator.create_model
    class BulkUpload(pw.Model):
        id = pw.AutoField()
        uploaded_by = pw.ForeignKeyField(
            column_name="uploaded_by_id",
            field="id",
            model=migrator.orm["user"],
            on_delete="CASCADE",
        )
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
        upload = pw.ForeignKeyField(
            column_name="upload_id", field="id", model=BulkUpload, on_delete="CASCADE"
        )
        line = pw.IntegerField()
        cells = pw.JSONField()
        session_id = pw.IntegerField(null=True)
        status = pw.CharField()
        message = pw.TextField(default="")

        class Meta:
            table_name = "bulk_upload_row"
            indexes = ((("upload", "line"), True), (("upload", "status", "line"), False))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model("bulk_upload_row")
    migrator.remove_model("bulk_upload")
    migrator.remove_fields("company", "bulk_background_rows")
