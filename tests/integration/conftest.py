import pytest


@pytest.fixture(autouse=True)
def _app_context(ctx):  # type: ignore[no-untyped-def]
    """Service tests call services directly, inside an application context."""
    yield
