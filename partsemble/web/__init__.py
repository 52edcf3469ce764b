"""Shared web plumbing: the login and role guard, htmx contract, errors, headers, filters."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from partsemble.web import errors, filters, guard, navigation, security

    guard.register(app)
    errors.register(app)
    filters.register(app)
    security.register(app)
    navigation.register(app)
