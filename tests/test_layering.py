"""Import directions: each layer imports only the layers below it (checked on the source)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: (package whose modules are checked, modules it must not import)
RULES = [
    ("app/pipeline", ("app.services", "app.graphql", "app.api")),
    ("app/simulation", ("app.services", "app.graphql", "app.api", "app.pipeline", "app.db")),
    ("workers", ("app.api", "app.graphql")),
    ("app/graphql", ("app.pipeline", "app.api")),
    ("app/services", ("app.api", "app.graphql", "app.pipeline")),
]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize(("package", "forbidden"), RULES)
def test_layer_imports_only_downward(package: str, forbidden: tuple[str, ...]) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no modules under {package}"
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in files
        for module in sorted(imported_modules(path))
        if any(module == f or module.startswith(f + ".") for f in forbidden)
    ]
    assert not wrong, "\n".join(wrong)
