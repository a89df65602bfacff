"""Policy settings: the configurable rules the services apply.

The web layer builds one :class:`Policy` from the application's
configuration (``Policy.from_config(app.config)``) and passes it to the
services; ``rounds`` and the core never read ``current_app``. The defaults
are those of :class:`delphi.config.Defaults`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    """``min_cell``: a subgroup, feedback or report cell with fewer answers
    than this is suppressed (with complementary suppression where a total is
    shown). ``k_anonymity``: every quasi-identifier combination of a
    de-identified export is shared by at least this many panellists.
    ``languages``: the interface languages. ``privacy_notice_version``: the
    notice a registration consents to."""

    min_cell: int = 5
    k_anonymity: int = 5
    languages: tuple[str, ...] = ("en", "fr", "es")
    privacy_notice_version: str = "2026-11"

    def __post_init__(self):
        for name in ("min_cell", "k_anonymity"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")

    @classmethod
    def from_config(cls, config: Mapping) -> "Policy":
        """The policy of an application's configuration (``MIN_CELL``,
        ``EXPORT_K_ANONYMITY``, ``LANGUAGES``, ``PRIVACY_NOTICE_VERSION``)."""
        default = cls()
        return cls(
            min_cell=int(config.get("MIN_CELL", default.min_cell)),
            k_anonymity=int(config.get("EXPORT_K_ANONYMITY", default.k_anonymity)),
            languages=tuple(config.get("LANGUAGES", default.languages)),
            privacy_notice_version=str(config.get("PRIVACY_NOTICE_VERSION",
                                                  default.privacy_notice_version)),
        )


#: The policy of an unconfigured installation.
DEFAULT_POLICY = Policy()
