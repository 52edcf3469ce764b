"""The QBO query language, the subset the sandbox answers, parsed into a `Query`.

    SELECT * | SELECT Id | SELECT *, Sku
    FROM <Invoice | SalesReceipt | CreditMemo | Item | Customer>
    [WHERE <cond> [AND <cond>]...]
    [ORDERBY <field> [ASC | DESC]]
    [STARTPOSITION n] [MAXRESULTS n]

    cond:  <field> (= | < | > | <= | >=) <literal>  |  <field> IN (<literal>, ...)
    field: MetaData.LastUpdatedTime | MetaData.CreateTime | TxnDate | Id | Active

Keywords, entity and field names are case-insensitive. A malformed query raises
`QueryError` code 4000 ("Error parsing query", a QueryParserError detail); a
well-formed one the company cannot answer raises code 4001 ("Invalid query",
a QueryValidationError detail), as QBO does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from partsemble.sandbox import entities

MAX_RESULTS_LIMIT = 1000
DEFAULT_MAX_RESULTS = 100
OPERATORS = ("=", "<", ">", "<=", ">=")
FIELDS = ("MetaData.LastUpdatedTime", "MetaData.CreateTime", "TxnDate", "Id", "Active")
_FIELDS_BY_CASE = {name.lower(): name for name in FIELDS}
QUERYABLE = {
    **{entity: ("MetaData.LastUpdatedTime", "MetaData.CreateTime", "TxnDate", "Id") for entity in entities.TRANSACTIONS},
    **{entity: ("MetaData.LastUpdatedTime", "MetaData.CreateTime", "Id", "Active") for entity in entities.NAME_LISTS},
}
KEYWORDS = frozenset({"select", "from", "where", "and", "in", "orderby", "asc", "desc", "startposition", "maxresults", "true", "false"})
_TOKEN = re.compile(
    r"""(?P<space>\s+)
      |(?P<string>'(?:[^'\\]|\\.)*')
      |(?P<number>-?\d+(?:\.\d+)?)
      |(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
      |(?P<symbol><=|>=|!=|<>|[=<>*,()])""",
    re.VERBOSE,
)


class QueryError(Exception):
    """A query QBO would refuse with HTTP 400: `code` and `message` as QBO sends them."""

    def __init__(self, code: str, message: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.message = message
        self.detail = detail


def _validation(detail: str) -> QueryError:
    return QueryError("4001", "Invalid query", f"QueryValidationError: {detail}")


@dataclass(frozen=True)
class Literal:
    kind: str  # "string", "number" or "boolean"
    text: str  # a string's content without quotes; "true"/"false" for booleans


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str  # one of OPERATORS, or "IN"
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class Query:
    entity: str
    select: str  # "*", "Id" or "*,Sku"
    conditions: tuple[Condition, ...]
    order_field: str | None
    descending: bool
    start_position: int
    max_results: int


@dataclass(frozen=True)
class _Token:
    kind: str  # string, number, name, keyword, symbol, end
    text: str
    column: int


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise QueryError(
                "4000",
                "Error parsing query",
                f'QueryParserError: Lexical error at line 1, column {position + 1}.  Encountered: "{text[position]}"',
            )
        kind = match.lastgroup or "space"
        if kind != "space":
            value = match.group()
            if kind == "name" and value.lower() in KEYWORDS:
                kind = "keyword"
            found.append(_Token(kind, value, position + 1))
        position = match.end()
    found.append(_Token("end", "<EOF>", len(text) + 1))
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def fail(self, *expected: str) -> QueryError:
        token = self.current
        shown = {
            "string": "<STRING>",
            "number": "<INTEGER>",
            "name": "<IDENTIFIER>",
            "keyword": f'"{token.text}"',
            "symbol": f'"{token.text}"',
            "end": "<EOF>",
        }[token.kind]
        wanted = "\n".join(f"    {item} ..." for item in expected)
        return QueryError(
            "4000",
            "Error parsing query",
            f'QueryParserError: Encountered " {shown} "{token.text} "" at line 1, column {token.column}.\nWas expecting one of:\n{wanted}',
        )

    def accept(self, kind: str, text: str | None = None) -> _Token | None:
        token = self.current
        if token.kind == kind and (text is None or token.text.lower() == text.lower()):
            self.index += 1
            return token
        return None

    def expect(self, kind: str, text: str | None = None, expected: str | None = None) -> _Token:
        token = self.accept(kind, text)
        if token is None:
            raise self.fail(expected or f'"{(text or kind).upper()}"')
        return token

    def integer(self) -> int:
        token = self.expect("number", expected="<INTEGER>")
        if "." in token.text:
            raise _validation(f"value {token.text} is not an integer")
        return int(token.text)

    def literal(self) -> Literal:
        token = self.current
        if self.accept("string"):
            return Literal("string", re.sub(r"\\(.)", r"\1", token.text[1:-1]))
        if self.accept("number"):
            return Literal("number", token.text)
        if self.accept("keyword", "true") or self.accept("keyword", "false"):
            return Literal("boolean", token.text.lower())
        raise self.fail("<STRING>", "<INTEGER>", '"true"', '"false"')

    def field(self) -> str:
        token = self.expect("name", expected="<IDENTIFIER>")
        name = _FIELDS_BY_CASE.get(token.text.lower())
        if name is None:
            raise _validation(f"property '{token.text}' is not queryable")
        return name

    def condition(self) -> Condition:
        name = self.field()
        if self.accept("keyword", "in"):
            self.expect("symbol", "(")
            values = [self.literal()]
            while self.accept("symbol", ","):
                values.append(self.literal())
            self.expect("symbol", ")")
            return Condition(name, "IN", tuple(values))
        token = self.current
        if token.kind == "symbol" and token.text in OPERATORS:
            self.index += 1
            return Condition(name, token.text, (self.literal(),))
        raise self.fail(*(f'"{op}"' for op in OPERATORS), '"IN"')

    def parse(self) -> Query:
        self.expect("keyword", "select")
        if self.accept("symbol", "*"):
            select = "*"
            if self.accept("symbol", ","):
                self._expect_sku()
                select = "*,Sku"
        elif self.current.kind == "name" and self.current.text.lower() == "id":
            self.index += 1
            select = "Id"
        else:
            raise self.fail('"*"', "<IDENTIFIER>")
        self.expect("keyword", "from")
        entity_token = self.expect("name", expected="<IDENTIFIER>")
        entity = entities.canonical(entity_token.text)
        conditions: list[Condition] = []
        if self.accept("keyword", "where"):
            conditions.append(self.condition())
            while self.accept("keyword", "and"):
                conditions.append(self.condition())
        order_field, descending = None, False
        if self.accept("keyword", "orderby"):
            order_field = self.field()
            if self.accept("keyword", "desc"):
                descending = True
            else:
                self.accept("keyword", "asc")
        start, maximum = 1, DEFAULT_MAX_RESULTS
        if self.accept("keyword", "startposition"):
            start = self.integer()
        if self.accept("keyword", "maxresults"):
            maximum = self.integer()
        if self.current.kind != "end":
            raise self.fail('"WHERE"', '"ORDERBY"', '"STARTPOSITION"', '"MAXRESULTS"', "<EOF>")
        if entity is None:
            raise _validation(f"Entity '{entity_token.text}' is not supported by this company")
        return _validated(Query(entity, select, tuple(conditions), order_field, descending, start, maximum))

    def _expect_sku(self) -> None:
        token = self.expect("name", expected="<IDENTIFIER>")
        if token.text.lower() != "sku":
            raise _validation(f"property '{token.text}' cannot be selected here; use SELECT *, SELECT Id or SELECT *, Sku")


def _validated(query: Query) -> Query:
    allowed = QUERYABLE[query.entity]
    for name in [c.field for c in query.conditions] + ([query.order_field] if query.order_field else []):
        if name not in allowed:
            raise _validation(f"property '{name}' is not queryable for entity {query.entity}")
    if query.select == "*,Sku" and query.entity != "Item":
        raise _validation(f"property 'Sku' is not queryable for entity {query.entity}")
    if query.max_results > MAX_RESULTS_LIMIT:
        raise _validation(f"value {query.max_results} is too large. Max allowed value is {MAX_RESULTS_LIMIT}")
    if query.max_results < 1:
        raise _validation(f"value {query.max_results} is too small. Min allowed value is 1")
    if query.start_position < 1:
        raise _validation(f"value {query.start_position} is too small. Min allowed value is 1")
    return query


def parse_query(text: str) -> Query:
    """The query as a `Query`, checked against what the entity can be filtered on.

    Raises:
        QueryError: code 4000 for a syntax error, 4001 for a query QBO would refuse.
    """
    if not text or not text.strip():
        raise QueryError("4000", "Error parsing query", 'QueryParserError: Encountered " <EOF> "" at line 1, column 1.')
    return _Parser(text).parse()
