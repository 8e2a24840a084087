"""Statements built once: a peewee query written with named slots (`slot("user_id")`) is
turned into SQL the first time it runs on a kind of database, and every later run only
binds its values and executes.

Measured on the hot requests (sign-up, the event pages, a day save), peewee turning
expressions into SQL cost about three times what the database took to run them; the
statements on those paths are the same every time but for their values. A prepared
statement keeps the query readable as peewee (and its rows come back as peewee builds them:
model objects, joined models, tuples) while its SQL is built once per process.

A slot's value is bound as it is given: no field conversion runs on it, so pass what the
driver takes (ids, strings, naive UTC datetimes, JSON already dumped).
"""

import peewee as pw

from models import db


class _Marker:
    """Stands for a slot's value among a compiled statement's parameters."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


class slot(pw.Node):  # noqa: N801 - reads as a value in a query: `User.id == slot("id")`
    """A named value of a prepared statement, bound at each run."""

    def __init__(self, name):
        self.name = name

    def __sql__(self, ctx):
        return ctx.value(_Marker(self.name), converter=False)


class Prepared:
    """A statement built by `build()` (a peewee query using `slot`s), compiled once per kind of
    database (SQLite and PostgreSQL write parameters and RETURNING differently)."""

    def __init__(self, build):
        self._build = build
        self._compiled = {}

    def _statement(self):
        kind = type(db.obj)
        compiled = self._compiled.get(kind)
        if compiled is None:
            query = self._build()
            sql, params = db.obj.get_sql_context().sql(query).query()
            compiled = self._compiled[kind] = (query, sql, params)
        return compiled

    def _cursor(self, values):
        query, sql, params = self._statement()
        bound = [values[p.name] if isinstance(p, _Marker) else p for p in params]
        return query, db.execute_sql(sql, bound)

    def rows(self, **values):
        """The rows of a SELECT, as its query would give them (models, tuples, dicts)."""
        query, cursor = self._cursor(values)
        return list(query._get_cursor_wrapper(cursor))

    def first(self, **values):
        """The first row, or None."""
        found = self.rows(**values)
        return found[0] if found else None

    def raw_rows(self, **values):
        """Every row as the driver gives it: tuples, no conversion, no objects."""
        _query, cursor = self._cursor(values)
        return cursor.fetchall()

    def raw_first(self, **values):
        """The first row as the driver gives it (no conversion), or None."""
        _query, cursor = self._cursor(values)
        return cursor.fetchone()

    def scalar(self, **values):
        """The first column of the first row, or None."""
        _query, cursor = self._cursor(values)
        row = cursor.fetchone()
        return row[0] if row else None

    def exists(self, **values):
        _query, cursor = self._cursor(values)
        return cursor.fetchone() is not None

    def run(self, **values):
        """An UPDATE or DELETE: the number of rows it changed."""
        _query, cursor = self._cursor(values)
        return db.obj.rows_affected(cursor)

    def insert(self, **values):
        """An INSERT of one row: its id (None when ON CONFLICT ignored it)."""
        query, cursor = self._cursor(values)
        if db.obj.returning_clause and query._returning:
            row = cursor.fetchone()
            return row[0] if row else None
        return cursor.lastrowid if db.obj.rows_affected(cursor) else None


def prepared(build):
    """Decorator form: `@prepared def SIGNED_IN(): return User.select()...`."""
    return Prepared(build)


class PreparedByLength:
    """A statement over a list of values (`IN (...)`), built once per length of the list up
    to `longest`; a longer list builds its statement each time. `build(values)` gets slots
    (or, past `longest`, the values themselves)."""

    def __init__(self, build, longest=16):
        self._build, self._longest, self._by_length = build, longest, {}

    def rows(self, values):
        values = list(values)
        if len(values) > self._longest:
            return list(self._build(values))
        return self._statement(len(values)).rows(**self._named(values))

    def raw_rows(self, values):
        """The rows as the driver gives them (see `Prepared.raw_rows`)."""
        values = list(values)
        if len(values) > self._longest:
            return list(self._build(values).tuples())
        return self._statement(len(values)).raw_rows(**self._named(values))

    def _statement(self, length):
        statement = self._by_length.get(length)
        if statement is None:
            slots = [slot(f"item{number}") for number in range(length)]
            statement = self._by_length[length] = Prepared(lambda: self._build(slots))
        return statement

    @staticmethod
    def _named(values):
        return {f"item{number}": value for number, value in enumerate(values)}
