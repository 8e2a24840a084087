"""Many rows in one INSERT, for batch writes (the bulk session upload): what peewee's
`Model.insert_many(rows)` writes, defaults and field conversions included, with the SQL
made once per batch instead of one expression object per value (measured: building the
statement cost more than running it, some 1 ms per row of a session's five tables).

`insert_rows(Model, rows, returning=None, ignore=False)`: rows are dicts keyed by field
name (all with the same keys); `returning` a field whose values come back in row order
(RETURNING; SQLite >= 3.35 and PostgreSQL); `ignore` skips rows that break a unique
constraint (INSERT OR IGNORE / ON CONFLICT DO NOTHING).
"""

import peewee as pw

from models import db

CHUNK = 500  # rows per statement (SQLite allows 32,766 parameters)


def insert_rows(model, rows, returning=None, ignore=False):
    rows = list(rows)
    if not rows:
        return []
    meta = model._meta
    given = list(rows[0])
    fields = [meta.fields[name] for name in given]
    defaults = [
        (field, default)
        for field, default in meta.defaults.items()
        if field.name not in given and not (field.primary_key and meta.auto_increment)
    ]
    fields += [field for field, _default in defaults]
    sqlite = isinstance(db.obj, pw.SqliteDatabase)
    param = db.obj.param
    marks = []
    for field in fields:
        if sqlite and isinstance(field, pw.JSONField):
            marks.append(f"json({param})")  # what peewee's JSONField writes on SQLite
        else:
            marks.append(param)
    row_sql = "(" + ", ".join(marks) + ")"
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    head = "INSERT OR IGNORE INTO" if ignore and sqlite else "INSERT INTO"
    tail = " ON CONFLICT DO NOTHING" if ignore and not sqlite else ""
    if returning is not None:
        tail += f' RETURNING "{returning.column_name}"'
    convert = [_converter(field, sqlite) for field in fields[: len(given)]]
    filled = [(_converter(field, sqlite), default) for field, default in defaults]
    found = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        params = []
        for row in chunk:
            params += [to_db(row[name]) for name, to_db in zip(given, convert, strict=True)]
            params += [
                to_db(default() if callable(default) else default) for to_db, default in filled
            ]
        sql = f'{head} "{meta.table_name}" ({columns}) VALUES ' + ", ".join([row_sql] * len(chunk))
        cursor = db.execute_sql(sql + tail, params)
        if returning is not None:
            found += [returning.python_value(value) for (value,) in cursor.fetchall()]
    return found


def _converter(field, sqlite):
    """The field's value as the database takes it (peewee's `db_value`; JSON as text, which
    `json(?)` reads, on SQLite)."""
    if sqlite and isinstance(field, pw.JSONField):
        dumps = field._dumps
        return lambda value: None if value is None else dumps(value)
    return field.db_value
