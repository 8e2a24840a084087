"""Zoom's attendance and recordings become the platform-neutral `attendance` and `recording`,
so BigBlueButton's reports land in the same tables: `attendance` gains the Convene user a
row is about (BigBlueButton knows it, Zoom only the e-mail), `recording` its platform and
the moment a host hid it. The company gains its two BigBlueButton recording settings.

The rows already kept move with their tables; rolling back drops what only BigBlueButton
wrote (rows of another platform, rows matched by user)."""

import peewee as pw
from peewee_migrate import Migrator

RENAMES = (("zoomattendance", "attendance"), ("zoomrecording", "recording"))
# Indexes by table: (columns, unique). Peewee names an index after its table and columns.
INDEXES = {"attendance": ((("day_id", "person"), True), (("day_id",), False))}
INDEXES["recording"] = ((("file_id",), True), (("day_id",), False))


def _index_sql(table, columns, unique):
    name = f"{table}_{'_'.join(columns)}"
    kind = "UNIQUE INDEX" if unique else "INDEX"
    return f'CREATE {kind} "{name}" ON "{table}" ({", ".join(columns)})'


def _rename(migrator, old, new):
    """Rename a table with its indexes (SQLite cannot rename an index: drop and create)."""
    for columns, _unique in INDEXES[new]:
        migrator.sql(f'DROP INDEX "{old}_{"_".join(columns)}"')
    migrator.rename_table(old, new)
    for columns, unique in INDEXES[new]:
        migrator.sql(_index_sql(new, columns, unique))


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    for old, new in RENAMES:
        _rename(migrator, old, new)
    migrator.add_fields(
        "attendance", user=pw.ForeignKeyField(migrator.orm["user"], null=True, on_delete="SET NULL")
    )
    migrator.add_fields(
        "recording",
        platform=pw.CharField(default="zoom"),
        hidden_at=pw.DateTimeField(null=True),
    )
    migrator.add_fields(
        "company",
        allows_bbb_recordings=pw.BooleanField(default=True),
        bbb_auto_start_recording=pw.BooleanField(default=False),
    )


def _rename_back(migrator, new, old):
    for columns, _unique in INDEXES[new]:
        migrator.sql(f'DROP INDEX "{new}_{"_".join(columns)}"')
    migrator.rename_table(new, old)
    for columns, unique in INDEXES[new]:
        migrator.sql(_index_sql(new, columns, unique).replace(f'"{new}', f'"{old}'))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    # SQLite drops a column that takes part in a foreign key only by rebuilding its table.
    rebuild = {"legacy": True} if isinstance(database, pw.SqliteDatabase) else {}
    migrator.remove_fields("company", "allows_bbb_recordings", "bbb_auto_start_recording")
    migrator.sql("DELETE FROM recording WHERE platform <> 'zoom'")
    migrator.sql("DELETE FROM attendance WHERE user_id IS NOT NULL")
    migrator.remove_fields("attendance", "user", **rebuild)
    migrator.remove_fields("recording", "platform", "hidden_at")
    for old, new in RENAMES:
        _rename_back(migrator, new, old)
