"""WSGI entry point: ``gunicorn wsgi:app``."""
from delphi import create_app

app = create_app()
