"""The house's rules, read from the code: every module in an app, apps import downwards only, small modules.

docs/architecture.md draws the same order; this test is what keeps the drawing true.
"""

import ast
from pathlib import Path

import episodes

APPS_DIR = Path(episodes.__file__).parent
# Lower layers first: an app may import the apps before it in this list, never one after it.
LAYERS = [
    "operations",
    "media",
    "catalogue",
    "serving",
    "analytics",
    "letters",
    "feeds",
    "publishing",
    "site",
    "backoffice",
    "demo",
]
MAX_LINES = 400
MAX_MODULES_PER_APP = 12  # besides __init__.py and apps.py; a sub-package (models/, admin/, api/) counts as one


def modules():
    for path in sorted(APPS_DIR.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def app_of(path: Path) -> str | None:
    parts = path.relative_to(APPS_DIR).parts
    return parts[0] if len(parts) > 1 else None


def imported_apps(path: Path) -> set[tuple[str, int]]:
    """The apps this module imports, with the line, relative imports resolved."""
    return apps_in(path.read_text(), ["episodes", *path.relative_to(APPS_DIR).parent.parts])


def apps_in(source: str, package: list[str]) -> set[tuple[str, int]]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                names = [".".join(base + ([node.module] if node.module else []))]
            else:
                names = [node.module or ""]
            if names[0] == "episodes":
                names = [f"episodes.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "episodes" and len(parts) > 1:
                found.add((parts[1], node.lineno))
    return found


class TestLayout:
    def test_every_module_lives_in_an_app(self):
        loose = [p.name for p in APPS_DIR.glob("*.py") if p.name != "__init__.py"]
        assert loose == []
        assert sorted(p.name for p in APPS_DIR.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(LAYERS)

    def test_every_app_is_a_django_app(self):
        for app in LAYERS:
            assert (APPS_DIR / app / "apps.py").exists(), app

    def test_apps_stay_small(self):
        for app in LAYERS:
            entries = [
                p
                for p in (APPS_DIR / app).iterdir()
                if (p.suffix == ".py" or (p / "__init__.py").exists())
                and p.name not in {"__init__.py", "apps.py", "migrations", "management", "templatetags"}
            ]
            assert len(entries) <= MAX_MODULES_PER_APP, (app, sorted(p.name for p in entries))

    def test_no_module_over_400_lines(self):
        long = {
            str(p.relative_to(APPS_DIR)): n for p in modules() if (n := len(p.read_text().splitlines())) > MAX_LINES
        }
        assert long == {}


class TestImportDirection:
    def test_apps_import_only_lower_layers(self):
        wrong = []
        for path in modules():
            app = app_of(path)
            for other, line in imported_apps(path):
                if other != app and LAYERS.index(other) > LAYERS.index(app):
                    wrong.append(f"{path.relative_to(APPS_DIR)}:{line} imports {other}")
        assert sorted(wrong) == []

    def test_the_reader_sees_relative_imports_too(self):
        """The rule must not be dodged by `from ..site import x`: the reader resolves it."""
        package = ["episodes", "catalogue", "models"]
        assert apps_in("from ...site import views\n", package) == {("site", 1)}
        assert apps_in("from .. import links\n", package) == {("catalogue", 1)}
        assert apps_in("from episodes.feeds import websub\n", package) == {("feeds", 1)}
