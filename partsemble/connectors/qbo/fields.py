"""The field readers QBO's parser uses; they live in connectors/fields.py, shared with every connector."""

from partsemble.connectors.fields import (
    FieldProblem,
    get_day,
    get_list,
    get_moment,
    get_number,
    get_object,
    get_text,
    require_number,
    require_object,
    shown,
    to_moment,
    to_number,
)

__all__ = [
    "FieldProblem",
    "get_day",
    "get_list",
    "get_moment",
    "get_number",
    "get_object",
    "get_text",
    "require_number",
    "require_object",
    "shown",
    "to_moment",
    "to_number",
]
