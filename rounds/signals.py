"""Signals the Delphi process sends; the mail outbox listens to them.

Receivers run inside the caller's transaction: they may add rows (queue a
message) but must never commit.
"""
from blinker import Namespace

_signals = Namespace()

#: ``round_opened.send(round)`` after a round opens.
round_opened = _signals.signal("round-opened")
#: ``round_closed.send(round, next_round=Round | None)`` after a round closes.
round_closed = _signals.signal("round-closed")
#: ``response_submitted.send(response)`` after a panellist submits.
response_submitted = _signals.signal("response-submitted")
