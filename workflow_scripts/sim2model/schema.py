"""Config validation against a JSON schema with errors that name the deepest failing key.

A plain validator reports a bad value inside a ``oneOf``/``anyOf`` block as "... is not valid
under any of the given schemas". Here the error tree is searched for the alternative that got
furthest, and the message names that key and, where the schema lists them, its allowed values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sim2model.errors import ConfigError


def _depth(error: Any) -> int:
    return len(error.absolute_path)


def _deepest(error: Any) -> Any:
    """The most specific error under ``error``: the deepest in its oneOf/anyOf alternatives."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return error
    # Alternatives that only fail on the instance's type (e.g. {type: null}) say nothing useful.
    informative = [e for e in error.context if e.validator != "type" or _depth(e) > _depth(error)]
    candidates = informative or list(error.context)
    best = max(candidates, key=lambda e: (_depth(e), e.validator != "type"))
    return _deepest(best)


def _allowed(error: Any) -> str:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "additionalProperties" and "properties" in schema:
        return f"; allowed keys: {sorted(schema['properties'])}"
    return ""


def _key(prefix: str, path: Iterable[Any]) -> str:
    parts = [prefix] if prefix else []
    for item in path:
        if isinstance(item, int) and parts:
            parts[-1] = f"{parts[-1]}[{item}]"
        else:
            parts.append(str(item))
    return ".".join(parts) or "(top level)"


def check_schema(instance: Any, schema: Mapping[str, Any], prefix: str = "") -> None:
    """Raise :class:`ConfigError` for the first schema violation, naming its deepest key.

    ``prefix`` is the dotted key of ``instance`` within the whole config ("" for the config).
    """
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    errors = list(Draft202012Validator(schema).iter_errors(instance))
    if not errors:
        return
    error = _deepest(best_match(errors))
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":
        extra = [k for k in error.instance if k not in error.schema.get("properties", {})]
        path += extra[:1]
        message = "unknown key"
    else:
        message = error.message
    raise ConfigError(_key(prefix, path), message + _allowed(error))
