"""JSON encoding of function return values.

Functions return numpy and pandas objects as often as plain dicts, so these encode without
importing numpy or pandas: objects are recognised by the module their type comes from.
Non-finite floats (NaN, inf) become null, since JSON has no spelling for them.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import decimal
import enum
import json
import math
import uuid
from typing import Any


class NotSerializableError(TypeError):
    """Raised when a return value has a type that has no JSON form."""


def _numpy_default(o: Any) -> Any:
    if hasattr(o, "tolist"):  # ndarray, generic scalars (int64, bool_, ...), matrix
        value = o.tolist()
        if isinstance(value, (int, float, str, bool, list, type(None))):
            return value
    if type(o).__name__ == "datetime64":
        return str(o)
    return _unsupported(o)


def _pandas_default(o: Any) -> Any:
    name = type(o).__name__
    if name == "DataFrame":
        return o.to_dict(orient="records")
    if name == "NaTType":
        return None
    if name == "Timestamp":
        return o.isoformat()
    if name == "Timedelta":
        return str(o)
    if hasattr(o, "tolist"):  # Series, Index, Categorical, arrays
        return o.tolist()
    return _unsupported(o)


def _unsupported(o: Any) -> Any:
    raise NotSerializableError(
        f"return value of type {type(o).__module__}.{type(o).__qualname__} is not JSON serializable; "
        "return dicts, lists, strings, numbers, numpy or pandas objects, or a file object"
    )


def default(o: Any) -> Any:
    """json.dumps hook for the types functions commonly return."""
    module = type(o).__module__ or ""
    if module.startswith("numpy"):
        return _numpy_default(o)
    if module.startswith("pandas"):
        return _pandas_default(o)
    if isinstance(o, (datetime.datetime, datetime.date, datetime.time)):
        return o.isoformat()
    if isinstance(o, datetime.timedelta):
        return o.total_seconds()
    if isinstance(o, decimal.Decimal):
        return float(o) if o.is_finite() else None
    if isinstance(o, (set, frozenset)):
        try:
            return sorted(o)
        except TypeError:
            return list(o)
    if isinstance(o, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(o)).decode("ascii")
    if isinstance(o, uuid.UUID):
        return str(o)
    if isinstance(o, enum.Enum):
        return o.value
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if isinstance(o, tuple):  # namedtuple subclasses reach here only via default
        return list(o)
    return _unsupported(o)


def _finite(o: Any, depth: int = 0) -> Any:
    """Replace NaN and infinities by None; used only when the fast path found one."""
    if depth > 200:
        raise NotSerializableError("return value is nested too deeply to encode as JSON")
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _finite(v, depth + 1) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v, depth + 1) for v in o]
    return o


def dumps(value: Any) -> bytes:
    """Encode a return value as compact UTF-8 JSON."""
    try:
        text = json.dumps(value, default=default, allow_nan=False, separators=(",", ":"))
    except ValueError as e:
        reason = str(e).lower()
        if "circular" in reason:
            raise NotSerializableError("return value contains a circular reference") from e
        if "out of range float" not in reason:
            raise
        # Re-encode once through plain Python objects so NaN inside numpy/pandas values becomes null.
        plain = json.loads(json.dumps(value, default=default, allow_nan=True))
        text = json.dumps(_finite(plain), allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")
