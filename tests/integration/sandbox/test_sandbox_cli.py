"""`flask sandbox ...` drives the same company as the API."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from partsemble.sandbox import SandboxCompany


def run(app: Flask, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=["sandbox", *args])
    assert result.exit_code == 0, result.output
    return result


def test_seed_demo_seeds_once(app: Flask, company: SandboxCompany) -> None:
    assert "Seeded" in run(app, "seed-demo", "--today", "2026-06-15").output
    assert "Already seeded" in run(app, "seed-demo", "--today", "2026-06-15").output
    assert company.count("Invoice", state="all") > 200


def test_generate_adds_n_documents(app: Flask, company: SandboxCompany) -> None:
    output = run(app, "generate", "120", "--start", "2026-01-01", "--end", "2026-03-31", "--seed", "4", "--products", "8").output
    assert "Generated 120 documents" in output
    assert sum(company.count(e) for e in ("Invoice", "SalesReceipt", "CreditMemo")) == 120
    assert len([i for i in company.items() if i.get("Sku", "").startswith("GEN-")]) == 8


def test_reset_empties_the_company(app: Flask, company: SandboxCompany) -> None:
    run(app, "seed-demo")
    run(app, "reset", "--yes")
    assert company.count("Item") == 0 and company.count("Invoice", state="all") == 0


def test_faults_can_be_added_listed_and_cleared(app: Flask, company: SandboxCompany) -> None:
    assert "#1" in run(app, "faults", "add", "query", "throttle_retry_after", "--on", "2,3", "--retry-after", "9").output
    run(app, "faults", "add", "read", "server_error", "--probability", "0.25")
    listing = run(app, "faults", "list").output
    assert "query" in listing and "p=0.25" in listing
    assert [(r.family, r.ordinals, r.retry_after) for r in company.faults()] == [("query", (2, 3), 9), ("read", (), 60)]
    run(app, "faults", "clear")
    assert company.faults() == []


@pytest.mark.parametrize(
    "args", [["faults", "add", "query", "explode"], ["faults", "add", "query", "throttle", "--probability", "2"], ["generate", "0"]]
)
def test_bad_arguments_fail_with_a_message(app: Flask, args: list[str]) -> None:
    result = app.test_cli_runner().invoke(args=["sandbox", *args])
    assert result.exit_code != 0 and result.output


def test_token_prints_a_working_pair(app: Flask, company: SandboxCompany) -> None:
    output = run(app, "token").output
    assert output.startswith("access_token=") and "refresh_token=" in output
