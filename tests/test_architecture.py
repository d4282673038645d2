"""The house plan, checked: dependencies run one way.

ketanet/ (the project package) sits on top and imports the apps; directory and
articles sit in the middle (articles may import directory, never the reverse);
core/ sits at the bottom and imports neither app. Every import statement counts:
at the top of a module, inside a function, in migrations. (Dotted paths in
strings, such as those in settings, are not imports.)
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# package → the first-party packages it must never import
FORBIDDEN = {
    "core": {"ketanet", "directory", "articles"},
    "directory": {"ketanet", "articles"},
    "articles": {"ketanet"},
}


def imported_packages(source):
    """(line, top-level package) for every import statement in `source`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def violations(package_dir, forbidden):
    """`file:line imports package` for each import of a forbidden package under `package_dir`."""
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        for line, package in imported_packages(path.read_text()):
            if package in forbidden:
                found.append(f"{path.relative_to(package_dir.parent)}:{line} imports {package}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_run_one_way(package):
    assert violations(ROOT / package, FORBIDDEN[package]) == []


def test_every_app_is_checked():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert apps == set(FORBIDDEN)


@pytest.mark.parametrize(
    ("source", "package"),
    [
        ("import ketanet.settings", "ketanet"),
        ("from ketanet import views", "ketanet"),
        ("def late():\n    from articles.models import Article", "articles"),
        ("from directory.models import Provider as P", "directory"),
    ],
)
def test_the_check_sees_each_way_of_importing(tmp_path, source, package):
    app = tmp_path / "core"
    (app / "sub").mkdir(parents=True)
    (app / "sub" / "module.py").write_text(source)

    assert violations(app, FORBIDDEN["core"]) == [
        f"core/sub/module.py:{source.count(chr(10)) + 1} imports {package}"
    ]


def test_relative_imports_stay_inside_their_package(tmp_path):
    app = tmp_path / "core"
    app.mkdir()
    (app / "module.py").write_text("from . import history\nfrom .cache import public_page\n")

    assert violations(app, FORBIDDEN["core"]) == []
