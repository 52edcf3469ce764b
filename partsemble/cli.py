"""The `partsemble` console script: `flask --app partsemble` under our own name."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def _create() -> Flask:
    from partsemble import create_app
    from partsemble.config import ConfigError

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def main() -> None:
    from partsemble.ops.commands import add_standalone_commands
    from partsemble.ops.runtime import tune_garbage_collector

    tune_garbage_collector()

    group = FlaskGroup(name="partsemble", create_app=_create, help="Partsemble command line.")
    add_standalone_commands(group)
    group(prog_name="partsemble")
