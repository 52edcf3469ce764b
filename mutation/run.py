"""make mutate: mutmut over the pure rules, the costing engine and the QuickBooks parser.

Each area runs in its own scratch folder (.mutmut/<area>/, gitignored) holding a copy of
the package, the tests and the migrations, and a pyproject.toml that is the project's
own plus a [tool.mutmut] table for that area. mutmut copies that folder again into
mutants/, mutates only the area's files there and runs the area's tests from there, so
the working tree is never touched. Every run starts from a fresh copy: a result cached
from older tests or older code is never reported.

    python -m mutation.run [area ...]     # all areas when none is named

Environment: MUTATE_JOBS (workers, default 2), MUTATE_KEEP=1 (keep the last run's mutated
code: mutants never checked are run, and those not killed are tried again with the tests as they
are now, timeouts included; for new tests against unchanged code, or to finish a stopped run.
When the tests changed, mutmut 3 forgets every other result (killed ones become "not checked"),
so the results are first saved to .mutmut/<area>/results-before-keep.json),
MUTATE_REV=<commit> (copy the code, tests and migrations of that commit, e.g. HEAD, instead of
the working tree: while others edit the checkout, their unfinished changes stay out of the run).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutmut"
MUTMUT = Path(sys.executable).parent / "mutmut"
COPIED = ("partsemble", "tests", "migrations", "mutation")
# mutmut's own exit codes (mutmut.stats.status_by_exit_code), grouped as this report counts them.
KILLED = {1, 3, 37}
SURVIVED = {0}
NO_TESTS = {5, 33}
TIMEOUT = {36, -24, 24, 152, 255}


@dataclass(frozen=True)
class Area:
    name: str
    mutate: tuple[str, ...]  # files or folders under the repository root
    tests: tuple[str, ...]  # what pytest runs; mutmut then runs, per mutant, only the tests that reach it


AREAS = (
    # tests/unit/test_config.py tests the configuration, not a rule: nothing of domain/ is its subject.
    Area("domain", ("partsemble/domain",), ("tests/unit", "--ignore=tests/unit/test_config.py")),
    Area(
        "parser",
        ("partsemble/connectors/qbo/parse.py", "partsemble/connectors/fields.py"),
        ("tests/unit/connectors",),
    ),
    # The tests whose subject is the engine; mutmut runs the fastest first and stops at the first
    # failure. The pure rules' own tests (test_replay, test_fifo) reach no code of costing/.
    # test_closing_lock.py runs on PostgreSQL only: on SQLite it is skipped (tests/MUTATION.md).
    Area(
        "costing",
        ("partsemble/costing",),
        (
            "tests/unit/test_history_rounding.py",
            "tests/integration/test_carried_order.py",
            "tests/integration/test_costing_rules.py",
            "tests/integration/test_costs_follow_dates.py",
            "tests/integration/test_recost_rules.py",
            "tests/integration/test_rule_guards.py",
            "tests/integration/test_changed_document_rejected.py",
            "tests/integration/test_date_order_fast_path.py",
            "tests/integration/test_closing_lock.py",
        ),
    ),
)


def _toml_list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def _only_mutate(area: Area) -> list[str]:
    return [p if p.endswith(".py") else p.rstrip("/") + "/*" for p in area.mutate]


def area_pyproject(area: Area, rev: str | None = None) -> str:
    """The project's pyproject.toml (pytest settings included) plus this area's mutmut settings."""
    own = _git("show", f"{rev}:pyproject.toml") if rev else (ROOT / "pyproject.toml").read_text("utf-8")
    if "mutmut" in tomllib.loads(own).get("tool", {}):
        raise SystemExit("pyproject.toml has a [tool.mutmut] table; the areas' settings live in mutation/run.py")
    return (
        own.rstrip()
        + "\n\n"
        + "\n".join(
            [
                "[tool.mutmut]",
                'source_paths = ["partsemble"]',
                f"only_mutate = {_toml_list(_only_mutate(area))}",
                f"pytest_add_cli_args_test_selection = {_toml_list(area.tests)}",
                # Hypothesis draws the same examples every run (mutation/pytest_plugin.py); no cache
                # folder is written into mutants/.
                'pytest_add_cli_args = ["-p", "mutation.pytest_plugin", "--hypothesis-profile=mutation", "-p", "no:cacheprovider"]',
                'also_copy = ["migrations/", "mutation/"]',
                "use_git_change_detection = false",
                # mutmut's wall-clock limit per mutant is (the tests' call time + this) x 15. Its estimate
                # leaves out fixtures (a new app and database per test), and on a loaded shared machine a
                # mutant reached by one 0.5 s test took 25 s: with the default of 1 s, tests that were merely
                # slow were counted as hangs.
                "timeout_constant = 10",
                "",
            ]
        )
    )


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def copy_tree(names: tuple[str, ...], folder: Path, rev: str | None) -> None:
    """Copy these top-level folders into `folder`: from the working tree, or as committed in `rev`."""
    if rev:
        archive = subprocess.run(["git", "archive", "--format=tar", rev, *names], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
        return
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "artifacts", ".hypothesis", ".pytest_cache")
    for name in names:
        shutil.copytree(ROOT / name, folder / name, ignore=skip, dirs_exist_ok=True)


def prepare(area: Area, rev: str | None) -> Path:
    folder = WORK / area.name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    copy_tree(COPIED, folder, rev)
    (folder / "pyproject.toml").write_text(area_pyproject(area, rev), "utf-8")
    (folder / "source.txt").write_text(f"{rev} = {_git('rev-parse', rev).strip()}\n" if rev else "working tree\n", "utf-8")
    return folder


@dataclass
class Tally:
    mutants: int = 0
    killed: int = 0
    survived: int = 0
    no_tests: int = 0
    timeout: int = 0
    other: int = 0
    not_checked: int = 0  # the run was stopped before it reached them

    @property
    def not_killed(self) -> int:
        return self.survived + self.no_tests + self.other

    def line(self, name: str) -> str:
        checked = self.mutants - self.not_checked
        share = 100 * self.not_killed / checked if checked else 0.0
        unfinished = f"  NOT CHECKED {self.not_checked}" if self.not_checked else ""
        return (
            f"{name:<8} mutants {self.mutants:>5}  killed {self.killed:>5}  survived {self.survived:>4}  "
            f"no tests {self.no_tests:>3}  timeout {self.timeout:>3}  other {self.other:>3}  "
            f"not killed {share:4.1f}% of those checked{unfinished}"
        )


def results(folder: Path) -> dict[str, int | None]:
    """mutmut's exit code per mutant (None: not checked), from its per-file results."""
    codes: dict[str, int | None] = {}
    for meta in sorted((folder / "mutants").rglob("*.py.meta")):
        codes.update(json.loads(meta.read_text("utf-8"))["exit_code_by_key"])
    return codes


def tally(folder: Path) -> tuple[Tally, list[str]]:
    """Counts from mutmut's per-file results, and the names of the mutants no test killed."""
    t = Tally()
    escaped: list[str] = []
    for name, code in sorted(results(folder).items()):
        t.mutants += 1
        if code is None:
            t.not_checked += 1
            continue
        if code in KILLED:
            t.killed += 1
            continue
        if code in TIMEOUT:
            t.timeout += 1  # the mutant hung or looped: the tests noticed it
            continue
        if code in SURVIVED:
            t.survived += 1
            label = "survived"
        elif code in NO_TESTS:
            t.no_tests += 1
            label = "no tests"
        else:
            t.other += 1
            label = f"exit {code}"
        escaped.append(f"{name}: {label}")
    return t, escaped


def run_area(area: Area, jobs: str, keep: bool, rev: str | None) -> Tally:
    folder = WORK / area.name
    again: list[str] = []
    if keep and (folder / "mutants").exists():
        # The mutated code stays as it was; the tests are taken afresh, and every mutant they had
        # not killed is tried again (mutmut re-runs a finished mutant only when it is named).
        # Only when the tests still match the mutated code: a test of newer code fails to collect
        # here (mutmut then stops), and the answer is a fresh run.
        copy_tree(("tests", "mutation"), folder, rev)
        own = (folder / "pyproject.toml").read_text("utf-8")
        mutmut = area_pyproject(area, rev)
        (folder / "pyproject.toml").write_text(own[: own.index("[tool.mutmut]")] + mutmut[mutmut.index("[tool.mutmut]") :], "utf-8")
        # Timeouts too: on a loaded machine a slow test may have been taken for a hang.
        before = results(folder)
        (folder / "results-before-keep.json").write_text(json.dumps(before, indent=0, sort_keys=True), "utf-8")
        again = [name for name, code in before.items() if code is None or code not in KILLED]
    else:
        folder = prepare(area, rev)
    print(f"== mutate {area.name}: {', '.join(area.mutate)}  (tests: {' '.join(area.tests)})", flush=True)
    done = subprocess.run([str(MUTMUT), "run", "--max-children", jobs, *again], cwd=folder, check=False)
    counts, escaped = tally(folder)
    (folder / "escaped.txt").write_text("".join(e + "\n" for e in escaped), "utf-8")
    if done.returncode != 0:
        print(f"mutmut run exited {done.returncode} for {area.name}; the counts below are what it finished", flush=True)
    return counts


def main(argv: list[str]) -> int:
    wanted = argv or [a.name for a in AREAS]
    unknown = set(wanted) - {a.name for a in AREAS}
    if unknown:
        print(f"unknown area(s): {', '.join(sorted(unknown))}; known: {', '.join(a.name for a in AREAS)}")
        return 2
    jobs = os.environ.get("MUTATE_JOBS", "2")
    keep = os.environ.get("MUTATE_KEEP") == "1"
    rev = os.environ.get("MUTATE_REV") or None
    results = {a.name: run_area(a, jobs, keep, rev) for a in AREAS if a.name in wanted}
    print("\n== make mutate summary (timeouts count as killed; survivors listed in .mutmut/<area>/escaped.txt)")
    for name, counts in results.items():
        print(counts.line(name))
    for name in results:
        for entry in (WORK / name / "escaped.txt").read_text("utf-8").splitlines():
            print(f"  {name}: {entry}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
