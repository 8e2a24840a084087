"""The layout keeps its arrows one way: no import circles, and each folder imports only the
layers below it (as its docstring says). Every import counts: each name of a `from … import
a, b` line, relative imports, and imports inside functions."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL = ["app", "background", "config", "demo", "models", "tasks"]
NOT_APP = {"tests", "bench", "docs", "migrations", "translations"}

BELOW_SESSIONS = {"messaging", "meetings", "accounts", "foundation", "config", "models"}
# What each part may import besides itself; `tasks` (the consumer's entry point) may import
# anything, and nothing imports it.
ALLOWED = {
    "config": set(),
    "models": set(),
    "foundation": {"config", "models"},
    "accounts": {"foundation", "config", "models"},
    "meetings": {"foundation", "config", "models"},
    "messaging": {"foundation", "meetings", "config", "models"},
    "sessions": BELOW_SESSIONS,
    "assessments": BELOW_SESSIONS | {"sessions"},  # an assessment session is a session
    "demo": BELOW_SESSIONS | {"sessions", "assessments"},
    "views": BELOW_SESSIONS | {"sessions", "assessments"},
    "background": BELOW_SESSIONS | {"sessions", "assessments"},
    "app": BELOW_SESSIONS | {"sessions", "assessments", "views", "demo", "background"},
    "tasks": {"foundation", "background", "app"},
}


def app_folders(root=ROOT):
    """Every package at the top of the checkout: a new folder is checked without being listed."""
    return sorted(
        path.parent.name
        for path in root.glob("*/__init__.py")
        if path.parent.name not in NOT_APP and not path.parent.name.startswith(".")
    )


def app_modules(root=ROOT, top_level=TOP_LEVEL):
    """{dotted module name: path} for every module of the app, sub-packages included."""
    modules = {name: root / f"{name}.py" for name in top_level if (root / f"{name}.py").exists()}
    for folder in app_folders(root):
        for path in (root / folder).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def package_of(module, path):
    """The package a relative import in `module` starts from."""
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def absolute(node, module, path):
    """The absolute name `from … import` starts from, relative imports resolved."""
    if node.level == 0:
        return node.module
    base = package_of(module, path).split(".")
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join(part for part in [*base, node.module or ""] if part)


def imported_names(node, module, path):
    """Every dotted name an import statement can bring in, one per imported name."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    start = absolute(node, module, path)
    return [f"{start}.{alias.name}" if start else alias.name for alias in node.names]


def owning_module(name, modules):
    """The app module a dotted name belongs to (`sessions.booking.register` → its module)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module, path, modules):
    """The app modules that `module` imports, wherever in the file the import stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for name in imported_names(node, module, path):
                if owner := owning_module(name, modules):
                    found.add(owner)
    return found - {module}


def import_graph(root=ROOT, top_level=TOP_LEVEL):
    modules = app_modules(root, top_level)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_circle(graph):
    """One import circle as a list of modules, or None."""
    state, trail = {}, []

    def visit(module):
        state[module] = "open"
        trail.append(module)
        for imported in sorted(graph[module]):
            if state.get(imported) == "open":
                return trail[trail.index(imported) :] + [imported]
            if imported not in state and (circle := visit(imported)):
                return circle
        trail.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (circle := visit(module)):
            return circle
    return None


def part_of(module):
    return module.split(".")[0]


def wrong_arrows(graph, allowed=ALLOWED):
    return sorted(
        f"{module} imports {imported}"
        for module, imported_modules in graph.items()
        for imported in imported_modules
        if part_of(imported) != part_of(module)
        and part_of(imported) not in allowed[part_of(module)]
    )


def write_package(root, files):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_architecture_finds_a_circle_when_there_is_one():
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize(
    "back_edge", ["from lower import a", "from . import a", "import lower.a", "from .a import x"]
)
def test_architecture_sees_a_circle_behind_a_second_name(tmp_path, back_edge):
    write_package(
        tmp_path,
        {
            "lower/__init__.py": "",
            "lower/a.py": "from lower import b, c\n",  # the circle hides behind `c`
            "lower/b.py": "",
            "lower/c.py": f"def later():\n    {back_edge}\n",
        },
    )
    assert find_circle(import_graph(tmp_path, top_level=[])) == ["lower.a", "lower.c", "lower.a"]


def test_architecture_sees_a_wrong_arrow_behind_a_second_name(tmp_path):
    write_package(
        tmp_path,
        {
            "lower/__init__.py": "",
            "lower/rule.py": "from upper import page, secret\n",
            "upper/__init__.py": "",
            "upper/page.py": "",
            "upper/secret/__init__.py": "",  # a sub-package counts as a module too
            "upper/secret/deep.py": "from ..page import render\n",
        },
    )
    graph = import_graph(tmp_path, top_level=[])
    assert graph["upper.secret.deep"] == {"upper.page"}
    allowed = {"lower": set(), "upper": {"lower"}}
    assert wrong_arrows(graph, allowed) == [
        "lower.rule imports upper.page",
        "lower.rule imports upper.secret",
    ]


def test_architecture_has_no_import_circles():
    circle = find_circle(import_graph())
    assert circle is None, "import circle: " + " -> ".join(circle)


def test_architecture_arrows_run_one_way():
    assert wrong_arrows(import_graph()) == []


def test_architecture_every_part_has_its_arrows_declared():
    assert set(app_folders()) | set(TOP_LEVEL) <= set(ALLOWED)


def test_architecture_every_folder_says_what_it_owns_and_may_import():
    for folder in app_folders():
        docstring = ast.get_docstring(ast.parse((ROOT / folder / "__init__.py").read_text()))
        assert docstring and "May import" in docstring, folder
