"""Lot use cases: receive, adjust, void, import. Each one commits one business fact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Row, select

from partsemble.costing import LotBook, Posting, costs_final_through, recost_stale
from partsemble.costing.order import adjustment_key
from partsemble.csvio import CsvProblem, CsvRejected, collect, read_rows
from partsemble.domain.numbers import DecimalMark, show_number
from partsemble.lots.lot_numbers import TakenLotNumbers, chunks
from partsemble.lots.voiding import void_refusal
from partsemble.models.catalog import Product
from partsemble.models.ids import IdAllocator
from partsemble.models.inventory import ADJUSTMENT_REASONS, Lot, StockTransaction
from partsemble.models.settings import read_preferences
from partsemble.models.transactions import AnySession, write_transaction
from partsemble.validation import InputError, parse_date, parse_decimal, parse_text

MANUAL_LOT_SOURCES = ("receipt", "build", "opening")
MAX_LOT_VALUE = Decimal(10) ** 11


def today() -> date:
    return date.today()


def _book(session: AnySession) -> LotBook:
    return LotBook(session, IdAllocator(session))  # type: ignore[arg-type]


def suggest_lot_number(session: AnySession, product: Product, received: date, book: LotBook | None = None) -> str:
    """`<SKU>-<YYYYMMDD>`, with -2, -3... when that number is taken for the product."""
    return (book or _book(session)).unique_number(product.id, f"{product.sku}-{received:%Y%m%d}")


@dataclass(frozen=True)
class LotInput:
    product_id: int
    lot_number: str  # empty: suggest one
    received_date: date
    quantity: Decimal
    unit_cost: Decimal
    source: str = "receipt"
    note: str = ""


def parse_lot_fields(
    session: AnySession,
    lot_number: object,
    received_date: object,
    quantity: object,
    unit_cost: object,
    source: object = "receipt",
    note: object = "",
    mark: DecimalMark | None = None,
) -> tuple[str, date, Decimal, Decimal, str, str]:
    """Validate the fields of a lot as typed by a person or read from a file, numbers read with
    the install's decimal mark (`mark`, when the caller has already read it).

    Raises:
        InputError: naming the field at fault.
    """
    number = parse_text(lot_number, "lot_number", "Lot number", max_length=80, required=False)
    received = parse_date(received_date, "received_date", "Received date", not_after=today())
    mark = mark or read_preferences(session).decimal_mark
    quantity_value = parse_decimal(quantity, "quantity", "Quantity", places=4, mark=mark, strictly_positive=True)
    cost = parse_decimal(unit_cost, "unit_cost", "Unit cost", places=6, mark=mark, currency=True, minimum=Decimal(0))
    if quantity_value * cost > MAX_LOT_VALUE:
        raise InputError(
            f"Unit cost: {str(unit_cost).strip()[:40]!r} × quantity {str(quantity).strip()[:40]!r} is too large "
            f"(at most {show_number(MAX_LOT_VALUE, mark, 0)} for one lot).",
            "unit_cost",
        )
    source_value = str(source or "receipt").strip().lower()
    if source_value not in MANUAL_LOT_SOURCES:
        raise InputError(f"Source must be one of {', '.join(MANUAL_LOT_SOURCES)}.", "source")
    note_text = parse_text(note, "note", "Note", max_length=500, required=False)
    return number, received, quantity_value, cost, source_value, note_text


def _create_lot(session: AnySession, book: LotBook, data: LotInput, user_id: int | None) -> int:
    product = session.get(Product, data.product_id)
    if product is None:
        raise InputError("Choose a product.", "product_id")
    if not product.active:
        raise InputError(f"{product.name} is archived; restore it before receiving stock.", "product_id")
    number = data.lot_number or suggest_lot_number(session, product, data.received_date, book)
    if number in book.lot_numbers_taken(product.id, number):
        raise InputError(f"{product.sku} already has a lot {number}.", "lot_number")
    cause = Posting(business_date=data.received_date, user_id=user_id, note=data.note)
    return book.add_lot(product.id, number, data.received_date, data.quantity, data.unit_cost, data.source, cause, "RECEIVE").id


def refuse_closed(session: AnySession, on: date, field_name: str, what: str) -> None:
    """Nothing may be dated in the closed period.

    Raises:
        InputError: `on` is on or before the date costs are final through.
    """
    closed = costs_final_through(session)
    if closed is not None and on <= closed:
        raise InputError(
            f"{what} is dated {on.isoformat()}, in the closed period: costs are final through {closed.isoformat()} (Settings → Costs).",
            field_name,
        )


def _write(session: AnySession, book: LotBook, user_id: int | None) -> None:
    """Write the book and re-cost what landed out of date order (the caller's transaction commits)."""
    book.flush()
    recost_stale(session, book.order, user_id=user_id)


def receive_lot(session: AnySession, data: LotInput, user_id: int | None) -> Lot:
    """Record a lot and its RECEIVE row, re-cost what it changes, and commit.

    Raises:
        InputError: unknown or archived product, duplicate lot number, a date in the closed period.
    """
    with write_transaction(session):
        book = _book(session)
        refuse_closed(session, data.received_date, "received_date", "The lot")
        lot_id = _create_lot(session, book, data, user_id)
        _write(session, book, user_id)
    lot = session.get(Lot, lot_id)
    assert lot is not None
    return lot


def adjust_lot(session: AnySession, lot_id: int, delta: object, reason: str, note: str, user_id: int | None, on: object = None) -> Lot:
    """Add or remove quantity from a lot on a date (today by default) with a reason (LOT_ADJUSTMENT),
    re-cost the sales it changes, and commit.

    Raises:
        InputError: zero or malformed delta, unknown reason, voided lot, below zero, a date before the
            lot was received or in the closed period.
    """
    mark = read_preferences(session).decimal_mark
    change = parse_decimal(delta, "delta", "Change", places=4, mark=mark, allow_zero=False)
    day = today() if on in (None, "") else parse_date(on, "adjusted_on", "Date", not_after=today())
    if reason not in ADJUSTMENT_REASONS:
        raise InputError("Choose a reason.", "reason")
    note_text = parse_text(note, "note", "Note", max_length=500, required=reason == "other")
    with write_transaction(session):
        book = _book(session)
        try:
            lot = book.lot(lot_id)
        except LookupError:
            raise InputError("No such lot.") from None
        if lot.status == "voided":
            raise InputError("This lot is voided; it cannot be adjusted.", "delta")
        if day < lot.received_date:
            raise InputError(f"The lot was received on {lot.received_date.isoformat()}; adjust it on that date or later.", "adjusted_on")
        refuse_closed(session, day, "adjusted_on", "The adjustment")
        low = _lowest_balance(session, lot.id, lot.received, day, change)
        if low < 0:
            raise InputError(
                f"Change: {str(delta).strip()[:40]!r} would leave lot {lot.lot_number} holding "
                f"{show_number(low.normalize(), mark)} on some date (it received {show_number(lot.received.normalize(), mark)}, "
                f"with its other adjustments); it cannot go below zero.",
                "delta",
            )
        cause = Posting(business_date=day, user_id=user_id, reason=reason, note=note_text)
        why = f"lot {lot.lot_number} adjusted by {change.normalize():f} on {day.isoformat()}"
        if lot.remaining + change < 0:
            # Sales drew the units this adjustment removes: the re-cost moves them to other lots.
            book.post("LOT_ADJUSTMENT", lot.product_id, change, lot.unit_cost, cause, lot, move_lot=False)
            book.order.mark(lot.product_id, day, why)
        else:
            book.post("LOT_ADJUSTMENT", lot.product_id, change, lot.unit_cost, cause, lot)
            moved = book.order.arrival if change > 0 else book.order.departure
            moved(lot.product_id, adjustment_key(day), why)
        _write(session, book, user_id)
    adjusted = session.get(Lot, lot_id)
    assert adjusted is not None
    return adjusted


def _lowest_balance(session: AnySession, lot_id: int, received: Decimal, day: date, change: Decimal) -> Decimal:
    """The lowest the lot's received quantity and adjustments (this one included) ever reach, by date.

    Sales yield to adjustments (units lost were not sold; see partsemble.domain.replay), so
    only these decide whether an adjustment is possible.
    """
    rows = (
        session.execute(
            select(StockTransaction.business_date, StockTransaction.quantity).where(
                StockTransaction.lot_id == lot_id, StockTransaction.type == "LOT_ADJUSTMENT"
            )
        )
        .tuples()
        .all()
    )
    balance = low = received
    for _, quantity in sorted(rows + [(day, change)], key=lambda row: row[0]):
        balance += quantity
        low = min(low, balance)
    return low


def why_not_voidable(session: AnySession, lot: Lot) -> str | None:
    """Why the lot cannot be voided (None: it can), for the lot page to offer the action or not."""
    return void_refusal(session, lot, costs_final_through(session))


def void_lot(session: AnySession, lot_id: int, user_id: int | None) -> Lot:
    """Void an untouched lot, reversing its stock (LOT_VOID), and commit.

    Raises:
        InputError: already voided, a return lot, a lot some sale drew from or that was adjusted,
            or received in the closed period.
    """
    with write_transaction(session):
        book = _book(session)
        lot = session.get(Lot, lot_id, with_for_update=True)
        problem = void_refusal(session, lot, costs_final_through(session))
        if problem:
            raise InputError(problem)
        book.remove_lot(book.lot(lot_id), "LOT_VOID", Posting(business_date=today(), user_id=user_id, note="Lot voided"))
        _write(session, book, user_id)
    voided = session.get(Lot, lot_id)
    assert voided is not None
    return voided


LOT_CSV_COLUMNS = ("sku", "lot_number", "received_date", "quantity", "unit_cost")


def import_lots(session: AnySession, data: bytes | str, user_id: int | None) -> list[Lot]:
    """Receive every lot of a CSV file (sku,lot_number,received_date,quantity,unit_cost), or none.

    Every row is parsed and checked before the write lock is taken; the writes are a
    few bulk statements, so other users (a login, a sale) wait well under a second
    even for the largest file allowed.

    Raises:
        CsvRejected: listing every bad row and column; nothing is written.
    """
    rows = read_rows(data, LOT_CSV_COLUMNS, optional=("source", "note"))
    products = _products_by_sku(session, {values.get("sku", "").casefold() for _, values in rows})
    taken = TakenLotNumbers.read(session, [p.id for p in products.values()])
    closed = costs_final_through(session)
    mark = read_preferences(session).decimal_mark
    seen: set[tuple[int, str]] = set()

    def parse(line: int, values: dict[str, str]) -> tuple[int, LotInput]:
        product = products.get(values.get("sku", "").casefold())
        if product is None:
            raise InputError(f"no product has the SKU {values.get('sku', '')!r}", "sku")
        if not product.active:
            raise InputError(f"{product.sku} is archived", "sku")
        number, received, quantity, cost, source, note = parse_lot_fields(
            session,
            values.get("lot_number"),
            values.get("received_date"),
            values.get("quantity"),
            values.get("unit_cost"),
            values.get("source") or "receipt",
            values.get("note"),
            mark,
        )
        if closed is not None and received <= closed:
            raise InputError(
                f"{received.isoformat()} is in the closed period (costs are final through {closed.isoformat()})", "received_date"
            )
        if number:
            key = (product.id, number)
            if key in seen:
                raise InputError(f"lot {number} appears twice for {product.sku}", "lot_number")
            seen.add(key)
            if taken.is_taken(product.id, number):
                raise InputError(f"{product.sku} already has a lot {number}", "lot_number")
        return line, LotInput(product.id, number, received, quantity, cost, source, note)

    inputs: list[tuple[int, LotInput]] = collect(rows, parse)
    if not inputs:
        return []
    skus = {p.id: p.sku for p in products.values()}
    with write_transaction(session):
        ids = _write_lots(session, inputs, skus, user_id)
    lots: list[Lot] = []
    for batch in chunks(ids):
        lots.extend(session.scalars(select(Lot).where(Lot.id.in_(batch)).order_by(Lot.id)))
    return lots


def _products_by_sku(session: AnySession, sku_keys: set[str]) -> dict[str, Row[tuple[int, str, str, bool]]]:
    found = {}
    for batch in chunks(sorted(sku_keys)):
        for row in session.execute(select(Product.id, Product.sku, Product.sku_key, Product.active).where(Product.sku_key.in_(batch))):
            found[row.sku_key] = row
    return found


def _write_lots(session: AnySession, inputs: list[tuple[int, LotInput]], skus: dict[int, str], user_id: int | None) -> list[int]:
    """Under the write lock: check again what another user may have changed since parsing, then write in bulk.

    Raises:
        CsvRejected: a product was archived or a lot number taken meanwhile.
    """
    product_ids = sorted(skus)
    active: set[int] = set()
    for batch in chunks(product_ids):
        active.update(session.scalars(select(Product.id).where(Product.id.in_(batch), Product.active.is_(True))))
    taken = TakenLotNumbers.read(session, product_ids)
    problems = []
    for line, item in inputs:
        if item.product_id not in active:
            problems.append(CsvProblem(line, "sku", f"{skus[item.product_id]} was archived while the file was read"))
        elif item.lot_number and taken.is_taken(item.product_id, item.lot_number):
            problems.append(CsvProblem(line, "lot_number", f"{skus[item.product_id]} received a lot {item.lot_number} meanwhile"))
    if problems:
        raise CsvRejected(problems)
    for _, item in inputs:  # the numbers given in the file first, so no suggestion takes one of them
        if item.lot_number:
            taken.claim(item.product_id, item.lot_number)
    book = _book(session)
    ids = []
    for _, item in inputs:
        number = item.lot_number
        if not number:
            number = taken.suggest(item.product_id, f"{skus[item.product_id]}-{item.received_date:%Y%m%d}")
            taken.claim(item.product_id, number)
        cause = Posting(business_date=item.received_date, user_id=user_id, note=item.note)
        lot = book.add_lot(item.product_id, number, item.received_date, item.quantity, item.unit_cost, item.source, cause, "RECEIVE")
        ids.append(lot.id)
    book.flush()
    recost_stale(session, book.order, user_id=user_id)
    return ids
