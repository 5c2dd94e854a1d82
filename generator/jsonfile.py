"""Every JSON file the project reads back goes through here: decoded safely, then checked against
the shape its reader expects, so a damaged or hostile file is one clear line, never a traceback.

A *shape* is a small declarative description::

    str, int, float, bool, list, dict   the value's type (bool is never accepted as int/float)
    (str, type(None))                   any of these
    [shape]                             a list whose every item has ``shape``
    {"key": shape, "opt?": shape}       a table with these keys (``?``: optional); others allowed

One place for this instead of ad-hoc ``doc["key"]`` lookups keeps the messages uniform: they name
the file and the key path (``config.json: model.width must be an integer``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .errors import UserError

# Big enough for any real manifest or config; refuses a multi-GB "JSON" before reading it.
MAX_JSON_BYTES = 256 * 1024 * 1024


class JsonFileError(UserError):
    """A JSON file that is missing, unreadable or not shaped as its reader expects."""


_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a table",
    type(None): "null",
}


def parse_json(raw: bytes | str, where: str) -> Any:
    """Decode JSON text; any failure (syntax, encoding, absurd nesting) is a JsonFileError."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(text)
    except UnicodeDecodeError:
        raise JsonFileError(f"{where} is not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise JsonFileError(f"{where} is not valid JSON: {err}") from None
    except RecursionError:
        raise JsonFileError(f"{where} is nested too deeply to be a captchabench file") from None


def read_json(path: str | Path, shape: Any = None, what: str | None = None) -> Any:
    """Read ``path`` and check it against ``shape``; ``what`` names the file in messages."""
    path = Path(path)
    where = what or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise JsonFileError(f"{where} is {size} bytes, too large to be a captchabench file")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise JsonFileError(f"{where} not found") from None
    except IsADirectoryError:
        raise JsonFileError(f"{where} is a directory, not a JSON file") from None
    except OSError as err:
        raise JsonFileError(f"cannot read {where}: {err.strerror or err}") from None
    data = parse_json(raw, where)
    if shape is not None:
        check_shape(data, shape, where)
    return data


def _type_ok(value: Any, kind: type) -> bool:
    if kind is float:
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _describe(shape: Any) -> str:
    if isinstance(shape, tuple):
        return " or ".join(_describe(s) for s in shape)
    if isinstance(shape, list):
        return "a list"
    if isinstance(shape, dict):
        return "a table"
    return _TYPE_NAMES.get(shape, getattr(shape, "__name__", str(shape)))


def check_shape(value: Any, shape: Any, where: str, path: str = "") -> Any:
    """Raise JsonFileError naming ``where`` and the key path if ``value`` does not fit."""
    label = path or "the top level"
    if isinstance(shape, tuple):
        for option in shape:
            try:
                return check_shape(value, option, where, path)
            except JsonFileError:
                continue
        raise JsonFileError(f"{where}: {label} must be {_describe(shape)}, got {_brief(value)}")
    if isinstance(shape, list):
        if not isinstance(value, list):
            raise JsonFileError(f"{where}: {label} must be a list, got {_brief(value)}")
        for k, item in enumerate(value):
            check_shape(item, shape[0], where, f"{path}[{k}]")
        return value
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            raise JsonFileError(f"{where}: {label} must be a table, got {_brief(value)}")
        for key, sub in shape.items():
            optional = key.endswith("?")
            name = key.rstrip("?")
            if name not in value:
                if optional:
                    continue
                raise JsonFileError(f"{where}: {_join(path, name)} is missing")
            check_shape(value[name], sub, where, _join(path, name))
        return value
    if not _type_ok(value, shape):
        raise JsonFileError(f"{where}: {label} must be {_describe(shape)}, got {_brief(value)}")
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _brief(value: Any) -> str:
    if isinstance(value, dict | list):  # never dump a (possibly huge or deep) container
        return f"{_describe(type(value))} of {len(value)} item(s)"
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else "NaN"
    return text if len(text) <= 40 else text[:37] + "..."
