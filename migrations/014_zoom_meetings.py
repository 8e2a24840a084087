"""The Zoom meeting of a Zoom conference day and its state move from five `zoom_*` columns of
`day` into a table of their own, `zoom_meeting` (one row per day that has a meeting or a
state); the values already kept move with them.

The table is declared here as it is at this step (see models.ZoomMeeting)."""

import peewee as pw
from peewee_migrate import Migrator

DAY_COLUMNS = ("zoom_meeting_id", "zoom_join_url", "zoom_state", "zoom_error", "zoom_instance_uuid")


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class ZoomMeeting(pw.Model):
        id = pw.AutoField()
        day = pw.ForeignKeyField(migrator.orm["day"], unique=True, on_delete="CASCADE")
        meeting_id = pw.CharField(null=True, index=True)
        join_url = pw.TextField(default="")
        state = pw.CharField(default="")
        error = pw.TextField(default="")
        instance_uuid = pw.CharField(default="")

        class Meta:
            table_name = "zoom_meeting"

    migrator.sql(
        "INSERT INTO zoom_meeting (day_id, meeting_id, join_url, state, error, instance_uuid) "
        "SELECT id, zoom_meeting_id, zoom_join_url, zoom_state, zoom_error, zoom_instance_uuid "
        "FROM \"day\" WHERE zoom_meeting_id IS NOT NULL OR zoom_join_url <> '' OR zoom_state <> '' "
        "OR zoom_error <> '' OR zoom_instance_uuid <> ''"
    )
    migrator.remove_fields("day", *DAY_COLUMNS)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    # Plain ALTERs: adding a NOT NULL column through the migrator rebuilds `day` on SQLite,
    # and dropping the old table would cascade to the rows that name its days.
    for column, kind, default in (
        ("zoom_meeting_id", "VARCHAR(255)", "NULL"),
        ("zoom_join_url", "TEXT NOT NULL", "''"),
        ("zoom_state", "VARCHAR(255) NOT NULL", "''"),
        ("zoom_error", "TEXT NOT NULL", "''"),
        ("zoom_instance_uuid", "VARCHAR(255) NOT NULL", "''"),
    ):
        migrator.sql(f'ALTER TABLE "day" ADD COLUMN {column} {kind} DEFAULT {default}')
    migrator.sql(
        'UPDATE "day" SET zoom_meeting_id = m.meeting_id, zoom_join_url = m.join_url, '
        "zoom_state = m.state, zoom_error = m.error, zoom_instance_uuid = m.instance_uuid "
        'FROM zoom_meeting AS m WHERE m.day_id = "day".id'
    )
    migrator.remove_model("zoom_meeting")
