"""One example per operation, made from its own schemas: each property's declared example (ids,
amounts, times, enums), so an example always has the document's shape (tests/e2e/test_contract.py
validates every one against its schema)."""

from __future__ import annotations

from typing import Any, Final

DEPTH_MAX: Final = 40
_BY_TYPE: Final[dict[str, Any]] = {
    "string": "string",
    "integer": 0,
    "number": 0,
    "boolean": True,
    "null": None,
}


def example_of(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """A value conforming to `schema` (a JSON Schema within an OpenAPI document)."""
    if depth > DEPTH_MAX:
        return None
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return example_of(components.get(name, {}), components, depth + 1)
    if schema.get("examples"):
        return schema["examples"][0]
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for union in ("oneOf", "anyOf"):
        if union in schema:
            choices = [c for c in schema[union] if c.get("type") != "null"] or schema[union]
            merged = {**{k: v for k, v in schema.items() if k != union}, **choices[0]}
            return example_of(merged, components, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: example_of(sub, components, depth + 1) for name, sub in properties.items()}
    if kind == "array":
        return [example_of(schema.get("items", {}), components, depth + 1)]
    if kind == "integer" and "minimum" in schema:
        return schema["minimum"]
    return _BY_TYPE.get(str(kind), None)
