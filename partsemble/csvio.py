"""CSV in (all-or-nothing, with the row and column of every problem) and CSV out (streamed)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from partsemble.validation import InputError

MAX_ROWS = 50_000


@dataclass(frozen=True)
class CsvProblem:
    row: int  # the line number in the file, header = 1
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.message}"


class CsvRejected(ValueError):
    """The file was refused as a whole; nothing was written."""

    def __init__(self, problems: Sequence[CsvProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = list(problems)


def read_rows(data: bytes | str, required: Sequence[str], optional: Sequence[str] = ()) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as (line number, {column: text}); extra columns are ignored.

    Raises:
        CsvRejected: not UTF-8, no header, missing required columns, or too many rows.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CsvRejected([CsvProblem(1, "", "the file is not UTF-8 text (save it as 'CSV UTF-8')")]) from None
    else:
        text = data.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise CsvRejected([CsvProblem(1, "", "the file is empty; the first row must be the header")])
    missing = [c for c in required if c not in header]
    if missing:
        raise CsvRejected([CsvProblem(1, c, "the header lacks this column") for c in missing])
    reader.fieldnames = header
    wanted = set(required) | set(optional)
    rows: list[tuple[int, dict[str, str]]] = []
    for record in _records(reader):
        line = reader.line_num
        if len(rows) >= MAX_ROWS:
            raise CsvRejected([CsvProblem(line, "", f"the file has more than {MAX_ROWS} rows; split it")])
        values = {k: (v or "").strip() for k, v in record.items() if k in wanted and isinstance(v, str)}
        if not any(values.values()):
            continue  # blank line
        rows.append((line, values))
    return rows


def _records(reader: csv.DictReader[str]) -> Iterator[dict[str, str]]:
    """The reader's records; a row the csv module cannot read is refused with its line number.

    Raises:
        CsvRejected: a cell over the csv module's size limit, or a row it cannot parse.
    """
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The reader counts the lines it finished; the broken one is the next.
            line = reader.line_num + 1
            if "field larger than field limit" in str(exc):
                limit = csv.field_size_limit()
                message = f"a cell is longer than {limit:,} characters; is this the right file?"
            else:
                message = f"this row cannot be read as CSV ({exc})"
            raise CsvRejected([CsvProblem(line, "", message)]) from None
        yield record


def collect(rows: Iterable[tuple[int, dict[str, str]]], parse: Callable[[int, dict[str, str]], Any]) -> list[Any]:
    """Parse every row, gathering every problem; raise them together or return the results.

    Raises:
        CsvRejected: when any row fails (InputError.field is taken as the column).
    """
    results: list[Any] = []
    problems: list[CsvProblem] = []
    for line, values in rows:
        try:
            results.append(parse(line, values))
        except InputError as exc:
            problems.append(CsvProblem(line, exc.field or "", exc.message))
    if problems:
        raise CsvRejected(problems)
    return results


def _sanitize(value: object) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet: neutralize text ones.
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r" and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        from decimal import Decimal

        Decimal(text)
    except Exception:  # noqa: BLE001 - any parse failure means "not a number"
        return False
    return True


def stream(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """CSV text chunk by chunk, so exports of any size use constant memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for count, row in enumerate(rows, 1):
        writer.writerow([_sanitize(v) for v in row])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)
    yield buffer.getvalue()
