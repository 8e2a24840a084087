"""Every function of the rules that writes a registration, a session or an event either
records the change in the history (calls `history.…`) or is named here with the reason it
records nothing; a new write path that forgets the history fails. The walk has a test of its
own that hides a write from it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = ("sessions", "assessments", "views")
MODELS = {"Registration", "Session", "Event"}
ROWS = {"registration", "session", "event"}  # variables holding one such row
MODEL_WRITES = {"update", "delete", "create", "insert", "insert_many", "replace"}
ROW_WRITES = {"save", "delete_instance"}

# Writes that are no change of their own, each with its reason.
RECORDS_NOTHING = {
    "assessments/demo_data.py:_detail": "demo data loaded into an empty database",
    "assessments/demo_data.py:_participant": "demo data loaded into an empty database",
    "sessions/booking.py:_take_seat": "the seat counter, derived from the registrations",
    "sessions/booking.py:_free_seat": "the seat counter, derived from the registrations",
    "sessions/booking.py:_move": "a step of the status changes, whose callers record them",
    "sessions/booking.py:_write_registration": "a step of sign-up, waiting list and switch",
    "sessions/seat_batches.py:take_seats": "the seat counter, derived from the registrations",
    "sessions/seat_batches.py:register_approved": "a step of the registration import, which "
    "records the batch's entries once its savepoint holds",
    "sessions/group_sessions.py:check_minimums": "marks that the minimum check ran",
    "sessions/hosting.py:move_day": "the registration end follows the day (move_day_only)",
    "sessions/hosting.py:edit_details": "a hosted session's title and description",
    "sessions/mentoring/batch.py:write_edits": "texts; days and seats record in their steps",
    "sessions/planning.py:save_event": "the event's texts and dates (an undated event has "
    "no registration end, so clearing it follows from the dates)",
    "sessions/planning.py:_give_access": "a Zoom organizer's access, from the day they organise",
}


def _is_write(node, prepared=frozenset()):
    """A write call; `prepared` names the module's statements built once from a write, whose
    every run is one (`DAY_UPDATE.run(...)`)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        base, name = node.func.value, node.func.attr
        if isinstance(base, ast.Name):
            return (
                (base.id in MODELS and name in MODEL_WRITES)
                or (base.id in ROWS and name in ROW_WRITES)
                or base.id in prepared
            )
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        first = node.args[0] if node.args else None
        return node.func.id == "insert_rows" and isinstance(first, ast.Name) and first.id in MODELS
    return False


def _records(node):
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "history"
    )


def prepared_writes(tree):
    """The names of a module's prepared statements built from a write
    (`TAKE_SEAT = Prepared(lambda: Session.update(...))`)."""
    return {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign) and any(_is_write(n) for n in ast.walk(node.value))
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def functions(tree):
    """(name, node) of each function of a module and each method of its classes; an inner
    function counts with the function around it."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for method in node.body:
                if isinstance(method, ast.FunctionDef):
                    yield f"{node.name}.{method.name}", method


def silent_writers(source, label):
    """`label:function` of each function in `source` that writes and records nothing."""
    found = []
    tree = ast.parse(source)
    prepared = prepared_writes(tree)
    for name, function in functions(tree):
        inside = list(ast.walk(function))
        writes = any(_is_write(node, prepared) for node in inside)
        if writes and not any(_records(node) for node in inside):
            found.append(f"{label}:{name}")
    return found


def every_silent_writer():
    found = []
    for folder in RULES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            label = path.relative_to(ROOT).as_posix()
            found += silent_writers(path.read_text(), label)
    return found


def test_history_every_write_path_records_or_says_why_not():
    silent = set(every_silent_writer())
    assert silent - set(RECORDS_NOTHING) == set(), "record these changes with sessions.history"
    assert set(RECORDS_NOTHING) - silent == set(), "these now record: drop them from the list"


def test_history_walk_finds_a_write_that_records_nothing():
    source = """
def quietly_deny(registration_id):
    Registration.update(status="denied").where(Registration.id == registration_id).execute()


def loudly_deny(registration):
    registration.save()
    history.record_status(registration, "approved", "denied")


def quietly_create_many(rows):
    insert_rows(Session, rows)


def reads_only(session_id):
    return Session.get_by_id(session_id)


class Run:
    def apply(self, event):
        event.save()
"""
    assert silent_writers(source, "x.py") == [
        "x.py:quietly_deny",
        "x.py:quietly_create_many",
        "x.py:Run.apply",
    ]


def test_history_walk_finds_a_prepared_write_that_records_nothing():
    source = """
QUIET_DENIAL = Prepared(lambda: Registration.update(status="denied").where(
    Registration.id == slot("registration_id")))
SIGNED_IN = Prepared(lambda: User.select().where(User.id == slot("user_id")))


def quietly_deny(registration_id):
    QUIET_DENIAL.run(registration_id=registration_id)


def loudly_deny(registration):
    QUIET_DENIAL.run(registration_id=registration.id)
    history.record_status(registration, "approved", "denied")


def reads_only(user_id):
    return SIGNED_IN.first(user_id=user_id)
"""
    assert silent_writers(source, "x.py") == ["x.py:quietly_deny"]
