"""background.py is the one list of jobs and notice kinds: every job the app declares is on
it, every notice kind the code can queue has a loader and both templates, and a kind with
no loader is refused where it is queued. Each check is first shown to fail on a bad case."""

import ast
import importlib
import textwrap

import pytest
from test_architecture import ROOT, app_modules

import background
from foundation.jobs import huey
from messaging import mail

TEMPLATES = ROOT / "templates" / "email"
# Many notices at once take rows, [(key, user, kind, context)] / [(key, kind, ids, context)].
ROWS_OF_NOTICES = {"queue_emails": 2, "queue_broadcasts": 1}


def job_names(jobs):
    return {huey._registry.task_to_string(job.task_class) for job in jobs}


def unlisted_jobs(registered, listed):
    """Jobs the queue knows that the list does not (a worker could miss them)."""
    return sorted(set(registered) - set(listed))


def called_name(call):
    function = call.func
    return function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")


def names_in(node):
    return {found.id for found in ast.walk(node) if isinstance(found, ast.Name)}


def kinds_in_rows(call, position):
    rows = (node for argument in call.args for node in ast.walk(argument))
    return {
        name
        for row in rows
        if isinstance(row, ast.Tuple) and len(row.elts) > position
        for name in names_in(row.elts[position])
    }


def names_passed_as_kind(call, carriers):
    """The names `call` passes where a notice kind goes."""
    name = called_name(call)
    if name in ROWS_OF_NOTICES:
        return kinds_in_rows(call, ROWS_OF_NOTICES[name])
    if name not in carriers:
        return set()
    position, parameter = carriers[name]
    passed = call.args[position : position + 1]
    passed += [keyword.value for keyword in call.keywords if keyword.arg == parameter]
    return set().union(*(names_in(node) for node in passed))


def kind_parameters(functions):
    """{function name: (position, name) of the parameter that carries a notice kind}: the
    outbox's queueing functions, then every function that passes one of its parameters on
    to such a place (or into the rows of `queue_emails`/`queue_broadcasts`), to a fixed point."""
    carriers = {"queue_email": (2, "kind"), "queue_broadcast": (1, "kind")}
    changed = True
    while changed:
        changed = False
        for function in (function for function in functions if function.name not in carriers):
            parameters = [argument.arg for argument in function.args.args]
            calls = (node for node in ast.walk(function) if isinstance(node, ast.Call))
            passed = set().union(*(names_passed_as_kind(call, carriers) for call in calls))
            if found := [parameter for parameter in parameters if parameter in passed]:
                carriers[function.name] = (parameters.index(found[0]), found[0])
                changed = True
    return carriers


def queued_kinds(trees):
    """Every notice kind written as a literal where it is passed on: an argument in the
    place of a parameter that carries a notice kind, or such a parameter's default."""
    nodes = [node for tree in trees for node in ast.walk(tree)]
    functions = [node for node in nodes if isinstance(node, ast.FunctionDef)]
    carriers, found = kind_parameters(functions), []
    for function in functions:
        if function.name in carriers:
            position, name = carriers[function.name]
            arguments = function.args.args
            defaults = dict(
                zip(
                    arguments[len(arguments) - len(function.args.defaults) :],
                    function.args.defaults,
                    strict=True,
                )
            )
            found += [default for argument, default in defaults.items() if argument.arg == name]
    for call in (node for node in nodes if isinstance(node, ast.Call)):
        if (carrier := carriers.get(called_name(call))) is not None:
            position, name = carrier
            found += call.args[position : position + 1]
            found += [keyword.value for keyword in call.keywords if keyword.arg == name]
    return {
        node.value
        for node in found
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def app_trees():
    return [ast.parse(path.read_text()) for path in app_modules().values()]


def test_registries_see_an_unlisted_job():
    assert unlisted_jobs({"a.listed", "b.forgotten"}, {"a.listed"}) == ["b.forgotten"]


def test_registries_see_every_way_a_kind_is_passed_on():
    source = textwrap.dedent(
        """
        def tell(registration, kind="by_default"):
            queue_email(key, user, kind)

        def others(people, notice="in_rows"):
            mail.queue_emails((key, person, notice, {}) for person in people)

        def unrelated(questions, kind="rating"):
            return [q for q in questions if q["kind"] == kind]

        mail.queue_email(key, user, "positional")
        queue_broadcast(key, "broadcast", ids)
        tell(registration, "passed_on")
        tell(registration, kind="by_keyword")
        unrelated(questions, "text")
        """
    )
    assert queued_kinds([ast.parse(source)]) == {
        "by_default",
        "in_rows",
        "positional",
        "broadcast",
        "passed_on",
        "by_keyword",
    }


def test_registries_list_every_job_the_app_declares():
    for module in app_modules():
        if module != "tasks":
            importlib.import_module(module)
    assert unlisted_jobs(huey._registry._registry, job_names(background.JOBS)) == []


def test_registries_give_every_queued_kind_a_loader():
    kinds = queued_kinds(app_trees())
    assert {"registration_confirmed", "reminder", "assessment_invitation"} <= kinds
    assert sorted(kinds - background.NOTICE_LOADERS.keys()) == []


def test_registries_give_every_kind_both_templates_and_every_template_a_kind():
    templates = {
        path.stem for path in TEMPLATES.glob("*.html") if not path.stem.startswith(("_", "base"))
    }
    assert templates == set(background.NOTICE_LOADERS)
    for kind in background.NOTICE_LOADERS:
        assert (TEMPLATES / f"{kind}.txt").exists(), kind


def test_registries_refuse_a_kind_declared_twice():
    with pytest.raises(ValueError, match="twice"):
        background.merged({"a": print}, {"a": len})


def test_registries_refuse_to_queue_a_kind_without_a_loader(ctx, make_user):
    member = make_user()
    with pytest.raises(mail.UnknownNotice):
        mail.queue_email("key", member, "no_such_notice")
    with pytest.raises(mail.UnknownNotice):
        mail.queue_broadcast("key", "no_such_notice", [member.id])
    assert mail.Email.select().count() == 0
