"""The core floor: what ``rounds`` and every service stand on.

The models, the database handle (:mod:`delphi.core.database`), the domain
errors, the audit writer, the clock, the JSON-safe values and the policy
settings. Nothing here reads a request, a session or ``current_app``:
settings come in as arguments (:class:`delphi.core.policy.Policy`).
"""
