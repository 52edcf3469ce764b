"""The lot CSV import at scale: statements that do not grow with the rows, suggestions that
continue their suffixes, and the checks repeated under the write lock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import event, func, select

from partsemble.csvio import CsvRejected
from partsemble.extensions import db
from partsemble.lots import services
from partsemble.lots.lot_numbers import TakenLotNumbers, chunks
from partsemble.models.catalog import Product
from partsemble.models.inventory import Lot
from tests import factories

HEADER = "sku,lot_number,received_date,quantity,unit_cost\n"


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def csv_rows(count: int, skus: list[str]) -> str:
    # Blank lot numbers on one date: every row after the first of a product needs a suffix.
    return HEADER + "".join(f"{skus[i % len(skus)]},{'' if i % 2 else f'N{i}'},2026-01-05,1,2.5\n" for i in range(count))


def test_an_import_issues_as_many_statements_for_1000_rows_as_for_10(app) -> None:  # type: ignore[no-untyped-def]
    skus = [factories.product(f"CND-{i}").sku for i in range(3)]
    counts = []
    for rows in (10, 1000):
        db.session.remove()
        with statements() as seen:
            created = services.import_lots(
                db.session, csv_rows(rows, skus) if rows == 10 else csv_rows(rows, skus).replace(",N", ",M"), None
            )
        assert len(created) == rows
        # Reading the created lots back takes one statement per 900, and PostgreSQL hands out ids
        # in blocks of 500 (models/ids.py): count the rest.
        counts.append(len([s for s in seen if not s.lstrip().upper().startswith("SELECT LOTS.ID") and "nextval" not in s]))
    assert counts[0] == counts[1], counts


def test_suggested_numbers_continue_their_suffixes_across_a_file_and_the_database(app) -> None:  # type: ignore[no-untyped-def]
    p = factories.product("CND-1")
    factories.lot(p, "1", "1", date(2026, 1, 5))
    factories.lot(p, "1", "1", date(2026, 1, 5), "CND-1-20260105-3")
    body = HEADER + "CND-1,CND-1-20260105-4,2026-01-05,1,1\n" + "CND-1,,2026-01-05,1,1\n" * 4
    created = services.import_lots(db.session, body, None)
    assert [lot.lot_number for lot in created] == [
        "CND-1-20260105-4",
        "CND-1-20260105-2",
        "CND-1-20260105-5",
        "CND-1-20260105-6",
        "CND-1-20260105-7",
    ]


def test_an_import_with_more_products_than_one_in_list_holds_reads_them_all(app) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(timezone.utc)
    db.session.execute(
        sa.insert(Product),
        [
            dict(
                name=f"P{i}",
                sku=f"P-{i}",
                sku_key=f"p-{i}",
                type="finished_good",
                unit="each",
                active=True,
                stock_on_hand=Decimal(0),
                created_at=now,
                updated_at=now,
            )
            for i in range(1000)
        ],
    )
    db.session.commit()
    created = services.import_lots(db.session, HEADER + "".join(f"P-{i},,2026-01-05,2,1.25\n" for i in range(1000)), None)
    assert len(created) == 1000
    assert db.session.scalar(select(func.count()).where(Product.stock_on_hand == Decimal(2))) == 1000


def test_a_lot_number_taken_while_the_file_was_read_rejects_the_file(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    p = factories.product("CND-1")
    real_transaction = services.write_transaction

    @contextmanager
    def another_user_receives_first(session):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(services, "write_transaction", real_transaction)
        factories.lot(p, "1", "1", date(2026, 1, 5), "X-1")
        with real_transaction(session) as inner:
            yield inner

    monkeypatch.setattr(services, "write_transaction", another_user_receives_first)
    with pytest.raises(CsvRejected) as caught:
        services.import_lots(db.session, HEADER + "CND-1,X-1,2026-01-06,4,2\nCND-1,,2026-01-06,4,2\n", None)
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "lot_number")]
    assert "received a lot X-1 meanwhile" in caught.value.problems[0].message
    db.session.rollback()
    assert db.session.scalar(select(func.count(Lot.id))) == 1


def test_a_product_archived_while_the_file_was_read_rejects_the_file(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    p = factories.product("CND-1")
    real_transaction = services.write_transaction

    @contextmanager
    def archived_meanwhile(session):  # type: ignore[no-untyped-def]
        session.execute(sa.update(Product).where(Product.id == p.id).values(active=False))
        session.commit()
        with real_transaction(session) as inner:
            yield inner

    monkeypatch.setattr(services, "write_transaction", archived_meanwhile)
    with pytest.raises(CsvRejected) as caught:
        services.import_lots(db.session, HEADER + "CND-1,,2026-01-06,4,2\n", None)
    assert "was archived while the file was read" in str(caught.value)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Lot.id))) == 0


@pytest.mark.parametrize(
    ("taken", "asks", "expected"),
    [
        ([], ["A"], ["A"]),
        (["A"], ["A", "A", "A"], ["A-2", "A-3", "A-4"]),
        (["A", "A-2", "A-4"], ["A", "A"], ["A-3", "A-5"]),
        (["A", "A-2"], ["B", "A"], ["B", "A-3"]),
    ],
)
def test_taken_numbers_suggest_the_first_free_suffix_and_claims_move_it_on(taken, asks, expected) -> None:  # type: ignore[no-untyped-def]
    numbers = TakenLotNumbers((1, n) for n in taken)
    got = []
    for base in asks:
        got.append(numbers.suggest(1, base))
        numbers.claim(1, got[-1])
    assert got == expected
    assert numbers.suggest(2, "A") == "A"  # another product's numbers are its own


def test_claiming_a_taken_number_is_refused() -> None:
    numbers = TakenLotNumbers([(1, "A")])
    with pytest.raises(ValueError, match="already taken"):
        numbers.claim(1, "A")


def test_chunks_split_long_lists_and_keep_every_value() -> None:
    assert [len(c) for c in chunks(range(2000))] == [900, 900, 200]
    assert list(chunks([])) == []
