"""requirements/lock.txt is the dependency set CI tests: it must pin everything that
pyproject.toml declares (at versions pyproject allows), and the environment running the
tests must be exactly that set. A failure here means a stale lock (`make lock`) or an
environment not installed from it (`scripts/test` installs from it)."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"
SELF = canonicalize_name("fiscus")


def locked() -> dict[NormalizedName, Version]:
    pins: dict[NormalizedName, Version] = {}
    for line in LOCK.read_text().splitlines():
        # "name==version ; marker  # via ..." (pip-compile keeps a declared marker)
        requirement = line.split("#", 1)[0].split(";", 1)[0].strip()
        if requirement:
            name, separator, version = requirement.partition("==")
            assert separator, f"not an exact pin in {LOCK.name}: {line!r}"
            pins[canonicalize_name(name)] = Version(version)
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = project.get("optional-dependencies", {}).values()
    raw = [*project["dependencies"], *(r for group in groups for r in group)]
    return [r for r in map(Requirement, raw) if canonicalize_name(r.name) != SELF]


def needed_by_fiscus() -> dict[NormalizedName, str]:
    """Every installed distribution fiscus[dev,embedded] needs, transitively: name -> version."""
    found: dict[NormalizedName, str] = {}
    visited: set[tuple[NormalizedName, frozenset[str]]] = set()
    pending: list[tuple[str, frozenset[str]]] = [("fiscus", frozenset({"dev", "embedded"}))]
    while pending:
        name, extras = pending.pop()
        key = canonicalize_name(name)
        if (key, extras) in visited:
            continue
        visited.add((key, extras))
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            found[key] = "not installed"
            continue
        found[key] = dist.version
        for raw in dist.requires or []:
            requirement = Requirement(raw)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in extras | {""}):
                pending.append((requirement.name, frozenset(requirement.extras)))
    found.pop(SELF)
    return found


def test_the_lock_pins_every_declared_dependency_at_a_version_pyproject_allows():
    pins = locked()
    unpinned = {
        str(requirement): str(pins.get(canonicalize_name(requirement.name), "missing"))
        for requirement in declared()
        if canonicalize_name(requirement.name) not in pins
        or not requirement.specifier.contains(
            pins[canonicalize_name(requirement.name)], prereleases=True
        )
    }
    assert unpinned == {}, "requirements/lock.txt is stale: run `make lock`"


def test_the_environment_is_exactly_the_lock():
    pins = locked()
    drift = {
        name: (version, str(pins.get(name, "not in the lock")))
        for name, version in needed_by_fiscus().items()
        if version == "not installed" or pins.get(name) != Version(version)
    }
    assert drift == {}, (
        "installed (left) differs from requirements/lock.txt (right): install with "
        "`pip install -c requirements/lock.txt -e '.[dev]'` (scripts/test does), "
        "or run `make lock` after changing pyproject.toml"
    )
