"""One env file configures the web app, the CLI and cron; the environment overrides it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from partsemble import config, create_app
from partsemble.ops.commands import config_group


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("PARTSEMBLE_HOME_CURRENCY=EUR", "EUR"),
        ("export PARTSEMBLE_HOME_CURRENCY=EUR", "EUR"),
        ('PARTSEMBLE_HOME_CURRENCY="EUR"', "EUR"),
        ("PARTSEMBLE_HOME_CURRENCY='EUR'", "EUR"),
        ("  PARTSEMBLE_HOME_CURRENCY = EUR  ", "EUR"),
        ("PARTSEMBLE_HOME_CURRENCY=", ""),
    ],
)
def test_env_file_lines_in_the_forms_systemd_docker_and_sh_share(tmp_path, line, expected) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "partsemble.env", f"# a comment\n\n{line}\n")
    assert config.read_env_file(path) == {"PARTSEMBLE_HOME_CURRENCY": expected}


def test_a_secret_key_with_equals_signs_and_hashes_is_kept_whole(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "partsemble.env", "PARTSEMBLE_SECRET_KEY=ab=cd#ef\n")
    assert config.read_env_file(path) == {"PARTSEMBLE_SECRET_KEY": "ab=cd#ef"}


@pytest.mark.parametrize("line", ["SECRET_KEY=x", "PARTSEMBLE_HTTPS", "DATABASE_URL=sqlite://", "PARTSEMBLE-HTTPS=1"])
def test_a_line_that_is_not_a_partsemble_setting_is_refused_with_its_number(tmp_path, line) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "partsemble.env", f"PARTSEMBLE_HTTPS=1\n{line}\n")
    with pytest.raises(config.ConfigError, match="line 2"):
        config.read_env_file(path)


def test_the_environment_overrides_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "partsemble.env", "PARTSEMBLE_HOME_CURRENCY=EUR\nPARTSEMBLE_HTTPS=1\n")
    settings, path = config.effective_environment({"PARTSEMBLE_HOME_CURRENCY": "gbp"}, str(tmp_path))
    assert path == tmp_path / "partsemble.env"
    loaded = config.load(settings, str(tmp_path))
    assert loaded["HOME_CURRENCY"] == "GBP" and loaded["SESSION_COOKIE_SECURE"] is True


def test_partsemble_config_names_the_file_and_it_may_move_the_instance(tmp_path) -> None:  # type: ignore[no-untyped-def]
    elsewhere = write(tmp_path / "etc.env", f"PARTSEMBLE_INSTANCE_PATH={tmp_path / 'data'}\n")
    settings, path = config.effective_environment({"PARTSEMBLE_CONFIG": str(elsewhere)})
    assert path == elsewhere
    assert config.instance_path(settings) == str(tmp_path / "data")


def test_a_missing_file_named_by_partsemble_config_is_an_error_not_a_silent_default(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(config.ConfigError, match="does not exist"):
        config.effective_environment({"PARTSEMBLE_CONFIG": str(tmp_path / "missing.env")})


def test_without_a_file_the_environment_alone_is_used(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert config.effective_environment({"PARTSEMBLE_HTTPS": "1"}, str(tmp_path)) == ({"PARTSEMBLE_HTTPS": "1"}, None)


def test_create_app_reads_the_instance_env_file(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name in ("PARTSEMBLE_SECRET_KEY", "PARTSEMBLE_CONFIG", "PARTSEMBLE_DEBUG", "PARTSEMBLE_HOME_CURRENCY"):
        monkeypatch.delenv(name, raising=False)
    write(
        tmp_path / "partsemble.env", "PARTSEMBLE_SECRET_KEY=from-the-file-Vq3h8ZkP0xLr2mN9sTbW4yEa7Cd1" + "\nPARTSEMBLE_HOME_CURRENCY=EUR\n"
    )
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == "from-the-file-Vq3h8ZkP0xLr2mN9sTbW4yEa7Cd1"
    assert app.config["HOME_CURRENCY"] == "EUR"
    assert app.config["ENV_FILE"] == str(tmp_path / "partsemble.env")


def test_config_init_writes_a_private_file_with_a_fresh_key_and_never_replaces_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "new" / "partsemble.env"
    runner = CliRunner()
    first = runner.invoke(config_group, ["init", "--path", str(target)])
    assert first.exit_code == 0, first.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    key = config.read_env_file(target)["PARTSEMBLE_SECRET_KEY"]
    assert len(key) >= 64
    again = runner.invoke(config_group, ["init", "--path", str(target)])
    assert again.exit_code == 1 and "exists" in again.output
    assert config.read_env_file(target)["PARTSEMBLE_SECRET_KEY"] == key
    other = tmp_path / "other.env"
    assert runner.invoke(config_group, ["init", "--path", str(other)]).exit_code == 0
    assert config.read_env_file(other)["PARTSEMBLE_SECRET_KEY"] != key
