"""JSON as the house reads it; the decoder lives in connectors/decoding.py, shared with every connector."""

from partsemble.connectors.decoding import load_json

__all__ = ["load_json"]
