"""Values safe for a JSON column: numpy scalars to Python, NaN and NA to None."""
from __future__ import annotations

import enum
import math
from datetime import datetime

import numpy as np
import pandas as pd


def jsonable(value):
    """A value safe for a JSON column: numpy scalars to Python, NaN/NA to None."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, str):
        return value
    try:  # pandas.NA and friends
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def to_float(value) -> float | None:
    """A float for a Float column (NaN/NA/None to None)."""
    return jsonable(None if value is None else float(value)) if _is_number(value) else None


def _is_number(value) -> bool:
    if value is None:
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
