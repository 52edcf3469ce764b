"""Putting a service's InputError next to the form field it names."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, request
from flask_wtf import FlaskForm
from wtforms import FieldList

from partsemble.csvio import CsvRejected
from partsemble.validation import InputError


class IndexedList(FieldList):
    """A FieldList that reads only `name-<ASCII digits>-...` keys.

    WTForms accepts any str.isdigit() index, and '²' or '٣' pass that test but not int():
    a posted `lines-²-quantity` was a 500. Such keys are not ours; they are ignored like any
    unknown field.
    """

    def _extract_indices(self, prefix, formdata):  # type: ignore[no-untyped-def]
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit():
                    yield int(index)


def show_error(form: FlaskForm, error: InputError, fallback: str) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        field = getattr(form, fallback)
    # WTForms keeps errors as a tuple until validate() runs; make it a list.
    field.errors = list(field.errors) + [error.message]


def uploaded_bytes(form: FlaskForm, field: str = "file") -> bytes | None:
    """The uploaded file's bytes, or None when nothing was chosen."""
    storage = request.files.get(field)
    if storage is None or not storage.filename:
        return None
    return storage.read()


def csv_upload(form: FlaskForm, template: str, run: Callable[[bytes], str], done: str):  # type: ignore[no-untyped-def]
    """The upload page of a CSV import: run the import, flash its outcome and go to `done`;
    otherwise show the form again with every rejected row and column, and a 400.
    """
    from flask import flash, redirect, render_template

    problems: list = []
    status = 200
    if form.validate_on_submit():
        data = uploaded_bytes(form)
        if data is None:
            form.file.errors = ["Choose a CSV file."]
            status = 400
        else:
            try:
                message = run(data)
            except CsvRejected as exc:
                problems, status = exc.problems, 400
            except InputError as exc:
                form.file.errors = [exc.message]
                status = 400
            else:
                flash(message, "success")
                return redirect(done)
    elif request.method == "POST":
        status = 400
    return render_template(template, form=form, problems=problems), status


def csv_download(rows_stream, filename: str) -> Response:  # type: ignore[no-untyped-def]
    from flask import stream_with_context

    response = Response(stream_with_context(rows_stream), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


__all__ = ["CsvRejected", "csv_download", "show_error", "uploaded_bytes"]


def options(pairs):  # type: ignore[no-untyped-def]
    """SelectField choices from (value, label) pairs (WTForms 3.3 wants SelectChoice)."""
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice(value, label) for value, label in pairs]
