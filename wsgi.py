"""WSGI entry point: ``gunicorn wsgi:app`` (see :func:`delphi.app.create_server_app`)."""
from delphi import create_server_app

app = create_server_app()
