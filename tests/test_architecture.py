"""The layout keeps its arrows one way: no import circles, and each folder imports only the
layers below it (as its docstring says). Every import counts, even one inside a function."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = [
    "foundation",
    "imports",
    "accounts",
    "meetings",
    "messaging",
    "sessions",
    "assessments",
    "views",
]
TOP_LEVEL = ["app", "config", "demo", "models", "tasks"]

BELOW_SESSIONS = {"messaging", "meetings", "accounts", "imports", "foundation", "config", "models"}
# What each part may import besides itself; `tasks` (the consumer's entry point) may import
# anything, and nothing imports it.
ALLOWED = {
    "config": set(),
    "models": set(),
    "foundation": {"config", "models"},
    "imports": {"messaging", "foundation", "config", "models"},  # messaging: the result email
    "accounts": {"foundation", "config", "models"},
    "meetings": {"foundation", "config", "models"},
    "messaging": {"foundation", "meetings", "config", "models"},
    "sessions": BELOW_SESSIONS,
    "assessments": BELOW_SESSIONS | {"sessions"},  # an assessment session is a session
    "demo": BELOW_SESSIONS | {"sessions", "assessments"},
    "views": BELOW_SESSIONS | {"sessions", "assessments"},
    "app": BELOW_SESSIONS | {"sessions", "assessments", "views", "demo"},
    "tasks": BELOW_SESSIONS | {"sessions", "assessments", "app"},
}


def app_modules():
    """{dotted module name: path} for every module of the app (tests, bench and docs aside)."""
    modules = {name: ROOT / f"{name}.py" for name in TOP_LEVEL}
    for folder in FOLDERS:
        for path in (ROOT / folder).glob("*.py"):
            name = folder if path.stem == "__init__" else f"{folder}.{path.stem}"
            modules[name] = path
    return modules


def imports_of(path, modules):
    """The app modules that `path` imports, wherever in the file the import stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
                break
    return found


def import_graph():
    modules = app_modules()
    return {name: imports_of(path, modules) - {name} for name, path in modules.items()}


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


def test_architecture_finds_a_circle_when_there_is_one():
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": set()}) is None


def test_architecture_has_no_import_circles():
    circle = find_circle(import_graph())
    assert circle is None, "import circle: " + " -> ".join(circle)


def test_architecture_arrows_run_one_way():
    wrong = sorted(
        f"{module} imports {imported}"
        for module, imported_modules in import_graph().items()
        for imported in imported_modules
        if part_of(imported) != part_of(module)
        and part_of(imported) not in ALLOWED[part_of(module)]
    )
    assert wrong == []


def test_architecture_every_folder_says_what_it_owns_and_may_import():
    for folder in FOLDERS:
        docstring = ast.get_docstring(ast.parse((ROOT / folder / "__init__.py").read_text()))
        assert docstring and "May import" in docstring, folder
