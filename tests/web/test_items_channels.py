"""The Accounting items page with QuickBooks and Xero connected: each channel's items side by side, told
apart by their channel even where a Xero ItemID equals a QuickBooks item Id; a product linked to one
item of each channel, never two of one."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from partsemble.connectors.errors import Transient
from partsemble.connectors.memory import InMemorySource
from partsemble.csvio import CsvRejected
from partsemble.domain.documents import ItemRecord
from partsemble.extensions import db
from partsemble.models.catalog import AccountingItem, Product
from partsemble.models.sync import Connection, FailedDocument
from tests import factories


def links() -> dict[tuple[str, str], str | None]:
    """(channel, item Id) -> the SKU of the product it is linked to."""
    rows = db.session.execute(
        select(AccountingItem.source, AccountingItem.external_id, Product.sku).outerjoin(Product, Product.id == AccountingItem.product_id)
    ).all()
    db.session.remove()
    return {(source, external_id): sku for source, external_id, sku in rows}


def product_id(sku: str) -> int:
    found = db.session.scalar(select(Product.id).where(Product.sku == sku))
    db.session.remove()
    assert found is not None
    return found


@pytest.fixture
def books(app, users):  # type: ignore[no-untyped-def]
    """Juniper & Wick sells its candle in both books. The Id 41 names an item in each: QuickBooks' candle
    and Xero's soap (Xero's ItemIDs are GUIDs, but nothing stops an Id from repeating across channels)."""
    with app.app_context():
        factories.product("CND-LAV", "Lavender Candle 8oz")
        factories.product("SOAP-OAT", "Oat Soap")
        db.session.add_all(
            [
                Connection(provider="qbo", realm_id="1", company_name="Juniper (QuickBooks)", status="connected"),
                Connection(provider="xero", realm_id="x-1", company_name="Juniper (Xero)", status="connected"),
                AccountingItem(source="qbo", external_id="41", name="Lavender Candle", item_type="Inventory", sku="CND-LAV"),
                AccountingItem(source="xero", external_id="41", name="Oatmeal bar", item_type="Inventory", sku="Soap-OAT"),
                AccountingItem(source="xero", external_id="77", name="Candle, lavender (8 oz)", item_type="Inventory", sku="LAV8"),
                AccountingItem(source="qbo", external_id="42", name="Lavender Candle (old)", item_type="Inventory", sku=None),
            ]
        )
        db.session.commit()
        db.session.remove()


def rows(html: str) -> list[tuple[str, str]]:
    """The items table: (item link, channel) per row."""
    return re.findall(r'<td class="name"><a href="([^"]+)">[^<]*</a>.*?\n\s*<td data-label="Channel"><span [^>]*>([^<]+)</span>', html)


def test_the_page_lists_every_channels_items_with_their_channel(app, books, viewer) -> None:  # type: ignore[no-untyped-def]
    html = viewer.get("/items/").get_data(as_text=True)
    assert rows(html) == [
        ("/items/xero/77", "Xero"),
        ("/items/41", "QuickBooks"),
        ("/items/42", "QuickBooks"),
        ("/items/xero/41", "Xero"),
    ]  # by name
    qbo, xero = viewer.get("/items/41").get_data(as_text=True), viewer.get("/items/xero/41").get_data(as_text=True)
    assert "<h1" in qbo and "Lavender Candle</h1>" in qbo and "QuickBooks Id" in qbo
    assert "Oatmeal bar</h1>" in xero and "Xero Id" in xero and "Code <span" in xero
    assert viewer.get("/items/xero/42").status_code == 404  # 42 is a QuickBooks Id only


def test_the_channel_filter_keeps_one_channels_items_and_counts(app, books, viewer) -> None:  # type: ignore[no-untyped-def]
    xero = viewer.get("/items/?channel=xero").get_data(as_text=True)
    assert [link for link, _ in rows(xero)] == ["/items/xero/77", "/items/xero/41"]
    assert '<option value="xero" selected>Xero</option>' in xero
    assert 'href="/items/?filter=unlinked&amp;channel=xero"' in xero  # the filters keep the channel
    assert [link for link, _ in rows(viewer.get("/items/?channel=qbo").get_data(as_text=True))] == ["/items/41", "/items/42"]
    assert len(rows(viewer.get("/items/?channel=manual").get_data(as_text=True))) == 4  # no items: every channel
    with app.app_context():
        db.session.execute(
            AccountingItem.__table__.update()
            .where(AccountingItem.source == "xero", AccountingItem.external_id == "77")
            .values(not_tracked=True)
        )
        db.session.commit()
    counts = viewer.get("/items/?channel=xero&filter=not_tracked").get_data(as_text=True)
    assert [link for link, _ in rows(counts)] == ["/items/xero/77"]
    assert re.search(r'>Unlinked <span class="muted small">1</span>', counts)  # Xero's 41; QuickBooks' two are not counted


def test_linking_a_xero_item_leaves_the_quickbooks_item_of_the_same_id_alone(app, books, member) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        soap = product_id("SOAP-OAT")
    response = member.post("/items/xero/41/link", {"product_id": str(soap)})
    assert response.status_code == 302 and response.headers["Location"] == "/items/xero/41"
    with app.app_context():
        assert links()[("xero", "41")] == "SOAP-OAT" and links()[("qbo", "41")] is None
    member.post("/items/41/not-tracked")
    member.post("/items/xero/41/unlink")
    with app.app_context():
        items = {(i.source, i.external_id): (i.product_id, i.not_tracked) for i in db.session.scalars(select(AccountingItem))}
        db.session.remove()
    assert items[("qbo", "41")] == (None, True) and items[("xero", "41")] == (None, False)
    created = member.post("/items/xero/41/create-product", {"type": "finished_good"})
    assert created.status_code == 302 and created.headers["Location"] == "/items/xero/41"
    # The Xero item's Code is taken: SOAP-OAT exists (case aside), so nothing was created.
    assert "A product with the SKU Soap-OAT exists already" in member.get("/items/xero/41").get_data(as_text=True)
    with app.app_context():
        assert links()[("xero", "41")] is None
    member.post("/items/xero/77/create-product", {"type": "finished_good"})
    member.post("/items/42/create-product", {"type": "component"})
    with app.app_context():
        assert links() == {("qbo", "41"): None, ("xero", "41"): None, ("xero", "77"): "LAV8", ("qbo", "42"): "QBO-42"}


def test_one_product_links_to_a_quickbooks_item_and_a_xero_item(app, books, member) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        candle = product_id("CND-LAV")
    assert member.post("/items/41/link", {"product_id": str(candle)}).status_code == 302
    assert member.post("/items/xero/77/link", {"product_id": str(candle)}).status_code == 302
    with app.app_context():
        assert links() == {("qbo", "41"): "CND-LAV", ("xero", "41"): None, ("xero", "77"): "CND-LAV", ("qbo", "42"): None}
    page = member.get(f"/products/{candle}").get_data(as_text=True)
    assert 'QuickBooks item:\n  <a href="/items/41">Lavender Candle</a>' in page
    assert 'Xero item:\n  <a href="/items/xero/77">Candle, lavender (8 oz)</a>' in page and "Code LAV8" in page
    listed = member.get("/products/").get_data(as_text=True)
    assert (
        'Lavender Candle <span class="muted small">(QuickBooks)</span><br>Candle, lavender (8 oz) <span class="muted small">(Xero)</span>'
        in listed
    )


def test_a_second_quickbooks_item_for_a_product_is_refused_at_the_product_field(app, books, member) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        candle = product_id("CND-LAV")
    member.post("/items/41/link", {"product_id": str(candle)})
    response = member.post("/items/42/link", {"product_id": str(candle)})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    said = re.search(
        r'<select id="product_id" name="product_id" aria-invalid="true" aria-describedby="product_id-err">.*?</select>\s*<p class="error" id="product_id-err" role="alert">([^<]+)</p>',
        html,
        re.S,
    )
    assert said, "the refusal is said under the Product field"
    assert said.group(1) == (
        "Lavender Candle 8oz is already linked to the QuickBooks item &#39;Lavender Candle&#39;. "
        "A product has one QuickBooks item: unlink that first."
    )
    assert f'<option value="{candle}" selected>' in html  # the choice stays
    assert 'class="alert alert-error"' not in html
    with app.app_context():
        assert links()[("qbo", "42")] is None and links()[("qbo", "41")] == "CND-LAV"


def test_a_xero_item_suggests_the_product_whose_sku_is_its_code(app, books, member) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        candle = product_id("CND-LAV")
    member.post("/items/41/link", {"product_id": str(candle)})  # linked in QuickBooks: still free for a Xero item

    def suggested(path: str) -> list[str]:
        html = member.get(path).get_data(as_text=True)
        return re.findall(r'<button type="submit" class="link">Link to ([^<]+)</button>', html)

    assert suggested("/items/xero/41")[0] == "Oat Soap"  # Code Soap-OAT is the SKU SOAP-OAT, whatever the case
    assert "Lavender Candle 8oz" in suggested("/items/xero/77")
    assert "Lavender Candle 8oz" not in suggested("/items/42")  # linked to another QuickBooks item
    member.post("/items/xero/77/link", {"product_id": str(candle)})
    member.post("/items/xero/77/unlink")
    member.post("/items/xero/41/link", {"product_id": str(candle)})
    assert "Lavender Candle 8oz" not in suggested("/items/xero/77")  # now linked to another Xero item


def test_bulk_create_makes_a_product_from_each_ticked_item_of_its_channel(app, books, member) -> None:  # type: ignore[no-untyped-def]
    html = member.get("/items/?filter=unlinked").get_data(as_text=True)
    assert 'value="xero:77" id="pick-xero-77"' in html and 'value="42" id="pick-42"' in html
    response = member.post("/items/bulk-create", {"item": ["xero:77", "42"]})
    assert response.status_code == 302
    with app.app_context():
        assert links() == {("qbo", "41"): None, ("xero", "41"): None, ("xero", "77"): "LAV8", ("qbo", "42"): "QBO-42"}


def test_waiting_sales_are_counted_on_the_item_of_their_channel(app, books, viewer) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.add(
            FailedDocument(
                source="xero",
                external_type="Invoice",
                external_id="inv-1",
                doc_number="INV-0007",
                txn_date=date(2026, 11, 30),
                code="unlinked_item",
                message="not linked",
                item_external_id="41",
                item_name="Oatmeal bar",
            )
        )
        db.session.commit()
        db.session.remove()
    html = viewer.get("/items/").get_data(as_text=True)
    waiting = dict(re.findall(r'<a href="([^"]+)">[^<]*</a>.*?<td class="num" data-label="Waiting sales">(.*?)</td>', html, re.S))
    assert waiting == {
        "/items/xero/77": "0",
        "/items/41": "0",
        "/items/42": "0",
        "/items/xero/41": '<span class="badge badge-err">1</span>',
    }
    assert [link for link, _ in rows(viewer.get("/items/?filter=blocking").get_data(as_text=True))] == ["/items/xero/41"]
    assert "INV-0007" in viewer.get("/items/xero/41").get_data(as_text=True)
    assert "INV-0007" not in viewer.get("/items/41").get_data(as_text=True)


class Openers:
    """The item lists of both books; what Refresh asked to open."""

    def __init__(self) -> None:
        self.sources = {
            "qbo": InMemorySource(
                [ItemRecord("41", "Lavender Candle", "Inventory", True, "CND-LAV"), ItemRecord("43", "Wick", "NonInventory")]
            ),
            "xero": InMemorySource(
                [ItemRecord("41", "Oatmeal bar", "Inventory", True, "SOAP-OAT"), ItemRecord("90", "Gift box", "Service")]
            ),
        }
        self.opened: list[str] = []

    def __call__(self, config, *, retry_budget=None, channel="qbo"):  # type: ignore[no-untyped-def]
        self.opened.append(channel)
        return self.sources[channel]


@pytest.fixture
def openers(monkeypatch) -> Openers:  # type: ignore[no-untyped-def]
    from partsemble.items import views

    opener = Openers()
    monkeypatch.setattr(views, "open_source", opener)  # the opener Refresh hands to refresh_item_list
    return opener


def test_refresh_reads_the_item_list_of_each_connected_channel(app, books, member, openers) -> None:  # type: ignore[no-untyped-def]
    response = member.post("/items/refresh")
    assert response.status_code == 302 and openers.opened == ["qbo", "xero"]
    said = member.get("/items/").get_data(as_text=True)
    assert "QuickBooks item list refreshed: 2 items, 1 new, 0 changed." in said
    assert "Xero item list refreshed: 2 items, 1 new, 1 changed." in said  # 41's Code changed case
    with app.app_context():
        assert set(links()) == {("qbo", "41"), ("qbo", "42"), ("qbo", "43"), ("xero", "41"), ("xero", "77"), ("xero", "90")}
        assert (
            db.session.scalar(select(AccountingItem.name).where(AccountingItem.source == "xero", AccountingItem.external_id == "41"))
            == "Oatmeal bar"
        )
        db.session.remove()


def test_refresh_leaves_out_a_disconnected_or_deactivated_channel(app, books, member, openers) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.scalar(select(Connection).where(Connection.provider == "xero")).status = "disconnected"
        db.session.commit()
    member.post("/items/refresh")
    with app.app_context():
        xero = db.session.scalar(select(Connection).where(Connection.provider == "xero"))
        xero.status, xero.active = "connected", False
        db.session.commit()
    member.post("/items/refresh")
    assert openers.opened == ["qbo", "qbo"]


def test_a_channel_that_fails_to_answer_leaves_the_others_refresh_done(app, books, member, openers) -> None:  # type: ignore[no-untyped-def]
    def down(call: str, page: int) -> None:
        raise Transient("503 Service Unavailable")

    openers.sources["qbo"].fail = down
    member.post("/items/refresh")
    said = member.get("/items/").get_data(as_text=True)
    assert "QuickBooks did not answer properly (503 Service Unavailable). Try again in a minute." in said
    assert "Xero item list refreshed: 2 items, 1 new, 1 changed." in said
    with app.app_context():
        assert ("xero", "90") in links() and ("qbo", "43") not in links()


def test_the_product_import_links_an_item_of_the_channel_it_names(app, books, member) -> None:  # type: ignore[no-untyped-def]
    from partsemble.products.services import import_products

    with app.app_context():
        result = import_products(
            db.session,
            "sku,name,type,unit,accounting_item,accounting_channel\n"
            "CND-LAV,Lavender Candle 8oz,finished_good,each,41,QuickBooks\n"
            "SOAP-OAT,Oat Soap,finished_good,each,41,xero\n"
            "LAV-8,Candle 8oz,finished_good,each,77,Xero\n",
        )
        assert (result.created, result.updated, result.linked) == (1, 2, 3)
        assert links() == {("qbo", "41"): "CND-LAV", ("xero", "41"): "SOAP-OAT", ("xero", "77"): "LAV-8", ("qbo", "42"): None}
        # A product's QuickBooks item is replaced; its Xero item stays.
        import_products(db.session, "sku,name,type,unit,accounting_item\nSOAP-OAT,Oat Soap,finished_good,each,42\n")
        assert links()[("qbo", "42")] == "SOAP-OAT" and links()[("xero", "41")] == "SOAP-OAT"
        with pytest.raises(CsvRejected) as refused:  # QuickBooks' 41 is the candle's
            import_products(db.session, "sku,name,type,unit,accounting_item\nSOAP-OAT,Oat Soap,finished_good,each,41\n")
        assert "item 41 (Lavender Candle) is already linked to another product" in str(refused.value.problems[0].message)
        with pytest.raises(CsvRejected) as refused:
            import_products(db.session, "sku,name,type,unit,accounting_item,accounting_channel\nX-1,X,finished_good,each,90,Shopify\n")
        assert refused.value.problems[0].column == "accounting_channel"
