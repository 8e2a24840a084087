"""Many rows in one INSERT, for batch writes (the bulk session upload): what peewee's
`Model.insert_many(rows)` writes, defaults and field conversions included, with the SQL
made once per batch instead of one expression object per value (measured: building the
statement cost more than running it, some 1 ms per row of a session's five tables).

`insert_rows(Model, rows, returning=None, ignore=False)`: rows are dicts keyed by field
name (all with the same keys); `returning` a field whose values come back in row order
(RETURNING; SQLite >= 3.35 and PostgreSQL); `ignore` skips rows that break a unique
constraint (INSERT OR IGNORE / ON CONFLICT DO NOTHING).

SQLite gets a VALUES list of the rows. PostgreSQL gets one array per column, unnested into
rows by the server: the statement is the same short text for any number of rows, where a
VALUES list of thousands of parameters was parsed again by the driver at every run
(measured: more time than the server took to insert them).
"""

from datetime import datetime
from itertools import chain
from operator import itemgetter

import peewee as pw

from models import db

CHUNK = 500  # rows per statement (SQLite allows 32,766 parameters)


def insert_rows(model, rows, returning=None, ignore=False):
    rows = list(rows)
    if not rows:
        return []
    meta = model._meta
    given = list(rows[0])
    defaults = [
        (field, default)
        for field, default in meta.defaults.items()
        if field.name not in given and not (field.primary_key and meta.auto_increment)
    ]
    fields = [meta.fields[name] for name in given] + [field for field, _default in defaults]
    sqlite = isinstance(db.obj, pw.SqliteDatabase)
    convert = [_converter(field) for field in fields[: len(given)]]
    # Defaults once per call: the rows of one statement are written at one moment.
    filled = [
        _converter(field)[1](default() if callable(default) else default)
        for field, default in defaults
    ]
    if sqlite:
        filled = [_sqlite_texts([value])[0] for value in filled]
    statement = _values_statement if sqlite else _arrays_statement
    read = itemgetter(*given) if len(given) > 1 else lambda row: (row[given[0]],)
    found = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        columns = [
            _column_as_written(column, plain, to_db, sqlite)
            for column, (plain, to_db) in zip(
                zip(*map(read, chunk), strict=True), convert, strict=True
            )
        ]
        columns += [[value] * len(chunk) for value in filled]
        sql, params = statement(model, fields, columns, len(chunk), ignore)
        cursor = db.execute_sql(sql + _tail(sqlite, ignore, returning), params)
        if returning is not None:
            found += [returning.python_value(value) for (value,) in cursor.fetchall()]
    return found


def _tail(sqlite, ignore, returning):
    tail = " ON CONFLICT DO NOTHING" if ignore and not sqlite else ""
    if returning is not None:
        tail += f' RETURNING "{returning.column_name}"'
    return tail


def _values_statement(model, fields, columns, count, ignore):
    """SQLite: INSERT … VALUES (…), (…) of `count` rows, and its parameters row by row."""
    marks = ["json(?)" if isinstance(field, pw.JSONField) else "?" for field in fields]
    row_sql = "(" + ", ".join(marks) + ")"
    names = ", ".join(f'"{field.column_name}"' for field in fields)
    head = "INSERT OR IGNORE INTO" if ignore else "INSERT INTO"
    sql = f'{head} "{model._meta.table_name}" ({names}) VALUES ' + ", ".join([row_sql] * count)
    return sql, list(chain.from_iterable(zip(*columns, strict=True)))


def _arrays_statement(model, fields, columns, _count, _ignore):
    """PostgreSQL: INSERT … SELECT FROM unnest(one array per column), in the arrays' order."""
    names = [f'"{field.column_name}"' for field in fields]
    # %b: the arrays go in binary, which the driver writes without escaping each value.
    arrays = ", ".join(f"%b::{_array_type(field)}" for field in fields)
    picked = ", ".join(
        f"{name}::jsonb" if isinstance(field, pw.JSONField) else name
        for name, field in zip(names, fields, strict=True)
    )
    sql = (
        f'INSERT INTO "{model._meta.table_name}" ({", ".join(names)}) SELECT {picked} '
        f'FROM unnest({arrays}) WITH ORDINALITY AS "given"({", ".join(names)}, "n") '
        'ORDER BY "n"'
    )
    return sql, [list(column) for column in columns]


def _array_type(field):
    """The PostgreSQL array type a column's values are sent as (JSON as text)."""
    if isinstance(field, pw.JSONField):
        return "text[]"
    ctx = db.obj.get_sql_context()
    return ctx.sql(field.ddl_datatype(ctx)).query()[0] + "[]"


def _column_as_written(column, plain, to_db, sqlite):
    """A column's values as the database takes them. When every value is of the type the
    field writes unchanged (or None), the column goes as it is: peewee's conversion would
    give each back unchanged, at a cost per value; the types are read at C speed."""
    if plain is None or not set(map(type, column)) <= {plain, type(None)}:
        column = [to_db(value) for value in column]
    return _sqlite_texts(column) if sqlite and plain is datetime else column


def _sqlite_texts(column):
    """Datetimes as the text SQLite stores (what the driver's adapter writes, peewee's
    too), each distinct value written once: a batch's rows share their moments."""
    texts = {value: value.isoformat(" ") for value in set(column) if type(value) is datetime}
    if not texts:
        return column
    return [texts.get(value, value) for value in column]


def _converter(field):
    """(the Python type the field writes unchanged or None, the conversion of a value as
    the database takes it): peewee's `db_value`; JSON as text (SQLite's `json(?)` and
    PostgreSQL's `::jsonb` read it)."""
    if isinstance(field, pw.JSONField):
        dumps = field._dumps
        return None, lambda value: None if value is None else dumps(value)
    return _plain_type(field), field.db_value


def _plain_type(field):
    """The Python type a field writes unchanged, if it has one."""
    if isinstance(field, pw.ForeignKeyField):
        field = field.rel_field
    if isinstance(field, pw.IntegerField | pw.AutoField):
        return int
    if isinstance(field, pw.CharField | pw.TextField):
        return str
    if isinstance(field, pw.BooleanField):
        return bool
    if isinstance(field, pw.DateTimeField):
        return datetime
    return None
