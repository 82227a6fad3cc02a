"""Config validation against a JSON schema with errors that name the deepest failing key.

A plain validator reports a bad value inside a ``oneOf``/``anyOf`` block as "... is not valid
under any of the given schemas". Here the error tree is searched for the alternative that got
furthest, and the message names that key and, where the schema lists them, its allowed values.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sim2model.errors import ConfigError

#: Folder of the study sections' schema files, beside the core schema.
STUDY_SCHEMAS = "schema"


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


def _read_yaml(path: Path) -> Any:
    import yaml

    with open(path) as stream:
        return yaml.safe_load(stream)


def load_schema(core: str | os.PathLike[str]) -> tuple[dict[str, Any], Any]:
    """The config schema: the core file plus, as property ``<study>``, every study section's
    file ``schema/<study>.yaml`` beside it; and the ``referencing.Registry`` that resolves
    their relative ``$ref`` s (a study file refers to ``../schema.yaml#/$defs/...``)."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    core = Path(core).resolve()
    schema = _read_yaml(core)
    schema["$id"] = core.as_uri()
    properties = schema.setdefault("properties", {})
    for path in sorted((core.parent / STUDY_SCHEMAS).glob("*.yaml")):
        properties[path.stem] = {"$ref": f"{STUDY_SCHEMAS}/{path.name}"}

    def retrieve(uri: str) -> Resource:
        from urllib.parse import urlparse
        from urllib.request import url2pathname

        contents = _read_yaml(Path(url2pathname(urlparse(uri).path)))
        return Resource.from_contents(contents, default_specification=DRAFT202012)

    resource = Resource.from_contents(schema, default_specification=DRAFT202012)
    return schema, Registry(retrieve=retrieve).with_resource(core.as_uri(), resource)


def _validator_with_defaults(validator_class: Any) -> Any:
    """``validator_class`` that also fills in every ``default`` of a property it visits (the
    jsonschema FAQ's pattern, as ``snakemake.utils.validate`` applies it)."""
    from jsonschema import validators

    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator: Any, properties: Any, instance: Any, schema: Any) -> Any:
        for name, subschema in properties.items():
            if "default" in subschema:
                instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(validator_class, {"properties": set_defaults})


def validate_config(config: dict[str, Any], core: str | os.PathLike[str]) -> None:
    """Check ``config`` against the schema of :func:`load_schema` (a :class:`ConfigError`
    names the deepest failing key), then fill in the schema's defaults in place."""
    from jsonschema import Draft202012Validator

    schema, registry = load_schema(core)
    check_schema(config, schema, registry=registry)
    _validator_with_defaults(Draft202012Validator)(schema, registry=registry).validate(config)


def check_schema(
    instance: Any, schema: Mapping[str, Any], prefix: str = "", *, registry: Any = None
) -> None:
    """Raise :class:`ConfigError` for the first schema violation, naming its deepest key.

    ``prefix`` is the dotted key of ``instance`` within the whole config ("" for the config);
    ``registry`` resolves references to other files (:func:`load_schema` gives it).
    """
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    validator = Draft202012Validator(schema, **({} if registry is None else {"registry": registry}))
    errors = list(validator.iter_errors(instance))
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
