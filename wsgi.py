"""The WSGI entry point: `gunicorn wsgi:app` from the checkout (settings from the env file and environment)."""

from partsemble import create_app
from partsemble.ops.runtime import tune_garbage_collector

tune_garbage_collector()
app = create_app()
