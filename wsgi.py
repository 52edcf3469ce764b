"""The WSGI entry point: `gunicorn wsgi:app` from the checkout (settings from the env file and environment)."""
from partsemble import create_app

app = create_app()
