"""Migration 0012 (return lot notes) brings the notes of an 0011 database to the words the costing now
keeps: the type in words (Credit memo, not CreditMemo), closed returns included, and the customer's
last sale before each open return as the date-order replay finds it. Costs and the ledger stay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from partsemble import MIGRATIONS_DIR, bind_migrations, create_app
from partsemble.costing.apply import ApplyContext, apply_document
from partsemble.costing.closing import set_costs_final_through
from partsemble.domain.documents import DocumentType
from partsemble.domain.sale_plan import ItemLink
from tests import factories
from tests.conftest import PG_URL, base_config
from tests.documents import doc, line
from tests.scratch import scratch_database

CM = DocumentType.CREDIT_MEMO


@pytest.fixture
def app_at_0011(tmp_path: Path) -> Iterator[Flask]:
    with scratch_database(PG_URL, "partsemble_return_notes") if PG_URL else _sqlite(tmp_path) as url:
        app = create_app(base_config(tmp_path, url))
        bind_migrations(app)
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR, revision="0011_channel_runs")
        yield app
        from partsemble.extensions import db

        with app.app_context():
            db.engine.dispose()


class _sqlite:  # noqa: N801  (a context manager standing in for scratch_database)
    def __init__(self, tmp_path: Path) -> None:
        self.url = "sqlite:///" + str(tmp_path / "at-0011.db")

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *exc: object) -> None:
        return None


def test_0011_return_lot_notes_get_the_new_words_and_the_replays_basis(app_at_0011: Flask) -> None:
    from partsemble.extensions import db
    from partsemble.lots.check import find_violations

    with app_at_0011.app_context():
        p = factories.product("CND-A", "Candle A")
        factories.lot(p, "9", "2", date(2026, 1, 1), "L1")
        items = {"1": ItemLink("1", "Candle A", "Inventory", p.id, "finished_good", "Candle A")}
        for document in (
            doc("1", [line("1", "1", "10")], day=date(2026, 1, 10)),
            doc("5", [line("1", "1", "10")], doc_type=CM, day=date(2026, 1, 20)),  # closed below
            doc("2", [line("1", "1", "10")], day=date(2026, 2, 1)),
            doc("3", [line("1", "1", "10")], day=date(2026, 2, 5)),
            doc("9", [line("1", "1", "10")], doc_type=CM, day=date(2026, 2, 10)),
        ):
            apply_document(ApplyContext(db.session, items), document)
            db.session.commit()
        set_costs_final_through(db.session, date(2026, 1, 31), None)
        # As 0011 left them: the raw type name, and for CRE-9 the basis it had before invoice 3 arrived late.
        old = {
            "RET-CRE-5-1": "Returned on CreditMemo CRE-5 (weighted average cost)",  # closed: kept as it was closed
            "RET-CRE-9-1": "Returned on CreditMemo CRE-9 (cost of sale INV-2 on 2026-02-01)",
        }
        with db.engine.begin() as conn:
            for number, note in old.items():
                conn.execute(sa.text("UPDATE lots SET note = :note WHERE lot_number = :number"), {"note": note, "number": number})
            ledger = conn.execute(sa.text("SELECT count(*), sum(value) FROM stock_transactions")).one()
        db.session.remove()
        upgrade(directory=MIGRATIONS_DIR, revision="0012_return_lot_notes")
        with db.engine.begin() as conn:
            notes = dict(conn.execute(sa.text("SELECT lot_number, note FROM lots WHERE source = 'return'")).tuples().all())
            costs = dict(conn.execute(sa.text("SELECT lot_number, unit_cost FROM lots")).tuples().all())
            assert conn.execute(sa.text("SELECT count(*), sum(value) FROM stock_transactions")).one() == ledger
        assert notes == {
            "RET-CRE-5-1": "Returned on Credit memo CRE-5 (weighted average cost)",  # closed: the words only
            "RET-CRE-9-1": "Returned on Credit memo CRE-9 (cost of sale INV-3 on 2026-02-05)",
        }
        assert {n: int(c) for n, c in costs.items()} == {n: 2_000_000 for n in ("L1", "RET-CRE-5-1", "RET-CRE-9-1")}  # micro-units
        assert find_violations(db.session) == []
