"""Service functions for accounts and task-force membership.

Like ``rounds``, they take and return models, flush but never commit, raise
:mod:`delphi.core.errors` errors, and know nothing of requests or templates.
"""
