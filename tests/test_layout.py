"""tests/unit/ mirrors src/callwarden/: a unit test sits where the module it tests sits.

``tests/unit/<package path>/test_<module>.py`` holds ``src/callwarden/<package path>/<module>.py``
(or its sub-package ``<module>/``); a test that covers several modules of one package sits in
that package's folder under a name that says what it covers. So, for each test module:

- its folder is a package of src/callwarden/ at the same path;
- a name that is a module or package of src/callwarden/ is one in that folder (or the folder's own
  package: ``cli/test_cli.py``);
- any other name (a behaviour) is a test that imports its folder's package, or a module right in
  it: not only a sub-package's (its test goes in the sub-package's folder), nor only another
  package's;
- at the top, ``tests/unit/test_<module>.py`` tests a top-level module.

Suites that cross packages on purpose (equality and conformance suites) live in
tests/conformance/; one kept in tests/unit/ goes in ``CROSS_CUTTING`` with the reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: test module (path under tests/unit/) -> why it sits where it does, though it does not mirror
CROSS_CUTTING: dict[str, str] = {}

# folders of src/callwarden/ that hold data or scripts, not modules under test
NOT_CODE = frozenset({"__pycache__", "migrations", "data", "static", "templates", "sipp"})


def _sources(src: Path) -> tuple[set[Path], set[Path]]:
    """The packages (folders) and the modules (files, without ``.py``) under ``src``, relative."""
    files = [p.relative_to(src) for p in src.rglob("*.py")]
    files = [p for p in files if not NOT_CODE & set(p.parts)]
    modules = {p.with_suffix("") for p in files if p.name != "__init__.py"}
    packages = {folder for p in files for folder in p.parents}
    return packages, modules


def _imports(test: Path, packages: set[Path], modules: set[Path]) -> set[Path]:
    """The modules and packages of callwarden a test module imports, as paths under src/callwarden
    (``from callwarden.a import b`` is ``a/b`` where b is a module or package, else ``a``)."""
    found: set[Path] = set()
    for node in ast.walk(ast.parse(test.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            dotted = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            dotted = [node.module]
            for alias in node.names:
                inner = Path(*f"{node.module}.{alias.name}".split(".")[1:])
                if inner in modules or inner in packages:
                    dotted = [f"{node.module}.{alias.name}"]
        else:
            continue
        found |= {
            Path(*name.split(".")[1:]) for name in dotted if name.split(".")[0] == "callwarden"
        }
    return found


def misplaced(unit: Path, src: Path) -> dict[str, str]:
    """Each test module under ``unit`` whose place does not mirror ``src``, with the reason."""
    packages, modules = _sources(src)
    named: dict[str, set[Path]] = {}
    for path in modules | (packages - {Path()}):
        named.setdefault(path.name, set()).add(path.parent)
    wrong = {}
    for test in sorted(unit.rglob("test_*.py")):
        rel = test.relative_to(unit)
        folder, name = rel.parent, test.stem.removeprefix("test_")
        if folder not in packages:
            wrong[rel.as_posix()] = f"src/callwarden/{folder.as_posix()}/ is no package"
        elif folder in named.get(name, set()) or (folder.parts and name == folder.name):
            continue
        elif name in named:
            places = sorted(
                f"src/callwarden/{p.as_posix()}/".replace("/./", "/") for p in named[name]
            )
            wrong[rel.as_posix()] = f"named for {name}, which is in {', '.join(places)}"
        elif folder == Path():
            wrong[rel.as_posix()] = f"src/callwarden/{name}.py does not exist"
        else:
            own = {folder} | {m for m in modules if m.parent == folder}
            if not own & _imports(test, packages, modules):
                wrong[rel.as_posix()] = (
                    f"imports nothing of src/callwarden/{folder.as_posix()}/ itself"
                )
    return wrong


def test_unit_tests_mirror_the_package() -> None:
    wrong = misplaced(ROOT / "tests" / "unit", ROOT / "src" / "callwarden")
    unlisted = {test: why for test, why in wrong.items() if test not in CROSS_CUTTING}
    assert not unlisted, "tests/unit/ does not mirror src/callwarden/ here:\n" + "\n".join(
        f"  tests/unit/{test}: {why}" for test, why in unlisted.items()
    )
    stale = sorted(set(CROSS_CUTTING) - set(wrong))
    assert not stale, f"CROSS_CUTTING lists tests that are gone or mirror now: {stale}"


def test_a_misplaced_test_is_found(tmp_path: Path) -> None:
    """The rules on a small tree: the places that mirror pass, each misplacement is named."""
    src, unit = tmp_path / "src", tmp_path / "unit"
    for module in (
        "numbers",
        "features/spec",
        "features/engines/compiled/textcodes",
        "stream/codec",
    ):
        (src / f"{module}.py").parent.mkdir(parents=True, exist_ok=True)
        (src / f"{module}.py").touch()
    tests = {
        # mirrors
        "test_numbers.py": "",
        "features/engines/compiled/test_textcodes.py": "",
        "features/test_spec.py": "",
        "features/test_engines.py": "",  # the sub-package as a whole
        "features/test_windows_per_key.py": "from callwarden.features.spec import FEATURES",
        "stream/test_stream.py": "",
        # misplaced
        "stream/test_textcodes.py": "",
        "features/test_codes_per_batch.py": (
            "from callwarden.features.engines.compiled import textcodes"
        ),
        "stream/test_state.py": "from callwarden.features.spec import FEATURES",
        "simulate/test_city.py": "",
        "test_live_codes.py": "from callwarden.features.engines.compiled import textcodes",
    }
    for path, text in tests.items():
        (unit / path).parent.mkdir(parents=True, exist_ok=True)
        (unit / path).write_text(text, encoding="utf-8")
    assert misplaced(unit, src) == {
        "features/test_codes_per_batch.py": "imports nothing of src/callwarden/features/ itself",
        "simulate/test_city.py": "src/callwarden/simulate/ is no package",
        "stream/test_state.py": "imports nothing of src/callwarden/stream/ itself",
        "stream/test_textcodes.py": (
            "named for textcodes, which is in src/callwarden/features/engines/compiled/"
        ),
        "test_live_codes.py": "src/callwarden/live_codes.py does not exist",
    }
