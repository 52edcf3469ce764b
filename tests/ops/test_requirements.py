"""The two locked sets agree: what `make demo` installs is exactly the runtime part of what `make test` installs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            found[normalise(name)] = version.strip()
    return found


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower().strip()


def declared(requirements: list[str]) -> set[str]:
    return {normalise(re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0]) for spec in requirements}


def test_runtime_pins_are_the_same_versions_as_the_full_lock() -> None:
    runtime, full = pins(ROOT / "requirements/runtime.txt"), pins(ROOT / "requirements/lock.txt")
    assert {name: (version, full.get(name)) for name, version in runtime.items() if full.get(name) != version} == {}


def test_runtime_pins_cover_every_runtime_dependency_and_no_dev_tool() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = set(pins(ROOT / "requirements/runtime.txt"))
    assert declared(project["dependencies"]) - runtime == set()
    assert declared(project["optional-dependencies"]["dev"]) & runtime == set()
