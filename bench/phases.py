"""Where a hot request's CPU goes, measured in-process through the Flask test client, with
no change to the app: light wrappers, installed for the measurement only, charge each
slice of the thread's CPU time (`time.thread_time()`) to the innermost phase running.

- sql_build: peewee turning a query expression into SQL (`Database.execute` minus what it
  calls below);
- sql_exec: the driver running the statement (`Database.execute_sql`) and fetching its
  rows (`CursorWrapper.iterate`);
- rows: peewee turning fetched rows into model objects, dicts or tuples (`process_row`);
- render: Jinja (`Template.render`: the templates, their filters and whatever Python they
  call, such as Babel's formatting);
- framework: the rest of the request inside `app.wsgi_app`: Flask, Werkzeug, the signed
  session cookie, and the app's own Python between its statements and its templates.

The phases add up to `total`, the request's CPU time inside the app. The wrappers cost a
few microseconds per statement and per row, counted in the phase they wrap.
"""

import time
from contextlib import contextmanager

PHASES = ("sql_build", "sql_exec", "rows", "render", "framework")


class PhaseClock:
    """CPU time per phase, for the requests made while a measurement is on."""

    def __init__(self):
        self.totals = dict.fromkeys(PHASES, 0.0)
        self.stack, self.since, self.requests = [], 0.0, 0

    def enter(self, phase):
        now = time.thread_time()
        if self.stack:
            self.totals[self.stack[-1]] += now - self.since
        self.stack.append(phase)
        self.since = now

    def leave(self):
        now = time.thread_time()
        self.totals[self.stack.pop()] += now - self.since
        self.since = now

    def timed(self, phase, function):
        """`function`, charging its own time to `phase` when called inside a request."""

        def charged(*args, **kwargs):
            if not self.stack:
                return function(*args, **kwargs)
            self.enter(phase)
            try:
                return function(*args, **kwargs)
            finally:
                self.leave()

        return charged

    def line(self, name, budget_ms=None):
        """`phases <name>: total=… ms sql_build=… …` per request (and the budget)."""
        per = {
            phase: 1000 * seconds / max(self.requests, 1) for phase, seconds in self.totals.items()
        }
        parts = " ".join(f"{phase}={per[phase]:.2f}" for phase in PHASES)
        budget = f" budget={budget_ms:g}" if budget_ms is not None else ""
        return (
            f"phases {name}: total={sum(per.values()):.2f} ms {parts}{budget} "
            f"(in-process, {self.requests} requests)"
        )


@contextmanager
def measuring(app):
    """A PhaseClock counting every request `app` handles meanwhile; the wrappers are
    removed after."""
    import jinja2
    import peewee

    from models import db

    clock, database = PhaseClock(), db.obj
    originals = [(database, "execute"), (database, "execute_sql"), (app, "wsgi_app")]
    saved_instance = [(owner, name, vars(owner).get(name)) for owner, name in originals]
    classes = [
        (cls, "process_row")
        for cls in vars(peewee).values()
        if isinstance(cls, type)
        and issubclass(cls, peewee.CursorWrapper)
        and "process_row" in vars(cls)
    ]
    classes += [(peewee.CursorWrapper, "iterate"), (jinja2.Template, "render")]
    saved_class = [(cls, name, vars(cls)[name]) for cls, name in classes]
    phase_of = {"iterate": "sql_exec", "process_row": "rows", "render": "render"}
    try:
        database.execute = clock.timed("sql_build", database.execute)
        database.execute_sql = clock.timed("sql_exec", database.execute_sql)
        for cls, name, function in saved_class:
            setattr(cls, name, clock.timed(phase_of[name], function))
        app.wsgi_app = counted(clock, app.wsgi_app)
        yield clock
    finally:
        for cls, name, function in saved_class:
            setattr(cls, name, function)
        for owner, name, value in saved_instance:
            if value is None:
                delattr(owner, name)  # the class's method shows through again
            else:
                setattr(owner, name, value)


def counted(clock, wsgi_app):
    """`wsgi_app`, each call of it a measured request whose own time is "framework"."""

    def measured(environ, start_response):
        clock.requests += 1
        clock.enter("framework")
        try:
            return wsgi_app(environ, start_response)
        finally:
            clock.leave()

    return measured
