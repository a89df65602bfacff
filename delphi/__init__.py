"""The Delphi-study engine: a Flask application (``flask --app delphi ...``).

The package root stays light on purpose: the core floor lives inside it
(:mod:`delphi.core`), and importing ``rounds`` or ``delphi.core`` must not
build the web layer. So the factory is looked up on first use
(:pep:`562`); it is :func:`delphi.app.create_app`, and a server's is
:func:`delphi.app.create_server_app`.
"""
from __future__ import annotations

__all__ = ["create_app", "create_server_app"]


def __getattr__(name: str):
    if name in __all__:
        from delphi import app

        return getattr(app, name)
    raise AttributeError(f"module 'delphi' has no attribute {name!r}")
