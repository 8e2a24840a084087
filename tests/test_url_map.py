"""One URL prefix, one view module: every route is served by the module that declares the
longest prefix its URL starts with, no prefix is declared by two modules, and the folder
map in the README and in views/__init__.py lists exactly what the modules declare."""

import ast
import re
import sys
import types
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")  # <int:event_id> -> <event_id>
MAP_ROW = re.compile(r"^\|\s*(`/[^|]*?)\s*\|\s*`(?:views/)?(\w+)\.py`")


def plain(rule):
    """A rule as prefixes are written: its variables without their converters."""
    return VARIABLE.sub(r"<\1>", rule)


def covers(prefix, path):
    """Whether `path` lies under `prefix`, at a segment's end (`/days` covers `/days/7.ics`,
    not `/daysoff`); `/` covers only itself."""
    if prefix == "/" or not path.startswith(prefix):
        return path == prefix
    return len(path) == len(prefix) or path[len(prefix)] in "/."


def declared_prefixes(app, modules=sys.modules):
    """({prefix: module name}, problems) from the URL_PREFIXES of every module that serves
    a route of `app`."""
    owners, problems = {}, []
    serving = sorted(
        {view.__module__ for endpoint, view in app.view_functions.items() if endpoint != "static"}
    )
    for name in serving:
        prefixes = getattr(modules[name], "URL_PREFIXES", None)
        if not prefixes:
            problems.append(f"{name} serves routes but declares no URL_PREFIXES")
            continue
        for prefix in prefixes:
            if prefix in owners:
                problems.append(f"{prefix} is declared by both {owners[prefix]} and {name}")
            else:
                owners[prefix] = name
    return owners, problems


def url_map_problems(app, modules=sys.modules):
    """Everything that breaks the rule, as sentences (an empty list: the map is sound)."""
    owners, problems = declared_prefixes(app, modules)
    used = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        module = app.view_functions[rule.endpoint].__module__
        candidates = [prefix for prefix in owners if covers(prefix, plain(rule.rule))]
        if not candidates:
            problems.append(f"{rule.rule} ({module}) is under no declared prefix")
            continue
        prefix = max(candidates, key=len)
        used.add(prefix)
        owner = owners[prefix]
        if owner != module:
            problems.append(f"{rule.rule} is served by {module}, but {prefix} is {owner}'s")
    for prefix in sorted(set(owners) - used):
        problems.append(f"{prefix} ({owners[prefix]}) serves no route")
    return problems


def folder_map(text):
    """{prefix: module name} from a Markdown table whose rows start `| `/a`, `/b` | `x.py``."""
    found = {}
    for line in text.splitlines():
        row = MAP_ROW.match(line.strip())
        if row:
            for prefix in re.findall(r"`(/[^`]*)`", row.group(1)):
                found[prefix] = f"views.{row.group(2)}"
    return found


# The app ------------------------------------------------------------------------------------


def test_url_map_every_prefix_has_one_module(app):
    assert url_map_problems(app) == []


def test_url_map_readme_lists_what_the_modules_declare(app):
    owners, _problems = declared_prefixes(app)
    readme = (ROOT / "README.md").read_text()
    assert folder_map(readme) == owners


def test_url_map_views_docstring_lists_what_the_modules_declare(app):
    owners, _problems = declared_prefixes(app)
    docstring = ast.get_docstring(ast.parse((ROOT / "views" / "__init__.py").read_text()))
    assert folder_map(docstring) == owners


# The check itself ----------------------------------------------------------------------------


def fake_app(declarations, routes):
    """An app whose routes (rule, module name) are served by functions of fake modules that
    declare `declarations` ({module name: prefixes})."""
    modules = {name: types.ModuleType(name) for name in declarations}
    for name, prefixes in declarations.items():
        if prefixes is not None:
            modules[name].URL_PREFIXES = prefixes
    app = Flask("fake")
    for number, (rule, module) in enumerate(routes):

        def view():
            return ""

        view.__module__ = module
        app.add_url_rule(rule, f"route{number}", view)
    return app, modules


def test_url_map_check_passes_a_sound_map():
    app, modules = fake_app(
        {"views.a": ("/", "/a"), "views.b": ("/b", "/a/<item_id>/notes")},
        [
            ("/", "views.a"),
            ("/a", "views.a"),
            ("/a/<int:item_id>", "views.a"),
            ("/a/<int:item_id>/notes.csv", "views.b"),
            ("/b/<token>.ics", "views.b"),
        ],
    )
    assert url_map_problems(app, modules) == []


def test_url_map_check_reports_a_prefix_served_by_two_modules():
    app, modules = fake_app(
        {"views.a": ("/a",), "views.b": ("/b",)},
        [("/a/1", "views.a"), ("/a/2", "views.b"), ("/b", "views.b")],
    )
    assert url_map_problems(app, modules) == ["/a/2 is served by views.b, but /a is views.a's"]


def test_url_map_check_reports_a_prefix_declared_twice():
    app, modules = fake_app(
        {"views.a": ("/a",), "views.b": ("/a", "/b")}, [("/a", "views.a"), ("/b", "views.b")]
    )
    assert url_map_problems(app, modules) == ["/a is declared by both views.a and views.b"]


def test_url_map_check_reports_routes_outside_every_prefix():
    app, modules = fake_app(
        {"views.a": ("/a",), "views.b": None},
        [("/a", "views.a"), ("/about", "views.a"), ("/b", "views.b")],
    )
    assert url_map_problems(app, modules) == [
        "views.b serves routes but declares no URL_PREFIXES",
        "/about (views.a) is under no declared prefix",
        "/b (views.b) is under no declared prefix",
    ]


def test_url_map_check_reports_a_prefix_that_serves_nothing():
    app, modules = fake_app({"views.a": ("/a", "/old")}, [("/a", "views.a")])
    assert url_map_problems(app, modules) == ["/old (views.a) serves no route"]


def test_url_map_folder_map_reads_every_prefix_of_a_row():
    table = "| `/a`, `/a/<id>/b` | `views/a.py` | what |\n|---|---|---|\n| `/` | `home.py` | x |"
    assert folder_map(table) == {"/a": "views.a", "/a/<id>/b": "views.a", "/": "views.home"}
