"""The three Xero document kinds a sales sync reads, and the house's DocumentType each becomes.

ACCREC invoices are invoices; ACCRECCREDIT credit notes are credit memos; RECEIVE bank
transactions ("Receive Money": paid on the spot, no invoice) are the closest thing to a
QuickBooks sales receipt, so they become sales receipts.
"""

from __future__ import annotations

from dataclasses import dataclass

from partsemble.domain.documents import DocumentType


@dataclass(frozen=True)
class XeroKind:
    doc_type: DocumentType
    endpoint: str  # the path under the API base, and the key of the rows in its answer
    type_value: str  # the document's Type, as the where clause and the payload say it
    id_key: str
    number_key: str  # what the user calls the document by

    @property
    def type_filter(self) -> str:
        return f'Type=="{self.type_value}"'


KINDS: dict[DocumentType, XeroKind] = {
    DocumentType.INVOICE: XeroKind(DocumentType.INVOICE, "Invoices", "ACCREC", "InvoiceID", "InvoiceNumber"),
    # A bank transaction has no number of its own; its Reference is what the user typed.
    DocumentType.SALES_RECEIPT: XeroKind(DocumentType.SALES_RECEIPT, "BankTransactions", "RECEIVE", "BankTransactionID", "Reference"),
    DocumentType.CREDIT_MEMO: XeroKind(DocumentType.CREDIT_MEMO, "CreditNotes", "ACCRECCREDIT", "CreditNoteID", "CreditNoteNumber"),
}


def kind_of(doc_type: DocumentType) -> XeroKind:
    """The Xero kind behind a synced DocumentType.

    Raises:
        ValueError: a type Xero has no documents of (a manual sale).
    """
    kind = KINDS.get(doc_type)
    if kind is None:
        raise ValueError(f"Xero has no {doc_type} documents")
    return kind
