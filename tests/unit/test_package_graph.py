"""The packages of partsemble import each other in one direction only: no two of them, through any
chain, import each other. A page that shows another feature's figures calls that feature's function
and includes its partial; the feature it calls never imports the page's package back."""

from __future__ import annotations

import grimp
import pytest


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("partsemble")


def package_edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    """Each top-level package or module of partsemble, and the ones it imports (any module of it)."""
    packages = sorted(graph.find_children("partsemble"))
    return {a: {b for b in packages if b != a and graph.direct_import_exists(importer=a, imported=b, as_packages=True)} for a in packages}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that ends where it starts, or None (depth-first search)."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        path.pop()
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_find_cycle_reports_a_cycle_and_passes_a_chain() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_packages_of_partsemble_import_each_other_in_one_direction(graph: grimp.ImportGraph) -> None:
    edges = package_edges(graph)
    assert {"partsemble.sales", "partsemble.reports", "partsemble.products", "partsemble.web", "partsemble.models"} <= edges.keys()
    cycle = find_cycle(edges)
    if cycle:
        imports = [
            f"{i['importer']} -> {i['imported']}"
            for a, b in zip(cycle, cycle[1:])
            for i in graph.find_matching_direct_imports(import_expression=f"{a}.** -> {b}.**")
            + graph.find_matching_direct_imports(import_expression=f"{a} -> {b}.**")
        ]
        pytest.fail("packages import each other: " + " -> ".join(cycle) + "\n" + "\n".join(sorted(set(imports))))
