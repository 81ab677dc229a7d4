"""Reading the API's OpenAPI document as a client would: the query parameters an operation takes."""

from __future__ import annotations

from typing import Any


def query_parameters(operation: dict[str, Any]) -> list[dict[str, Any]]:
    """Each query parameter as {name, required, schema}, with an exploded object parameter (style
    form, explode true: the way the document states parameters that constrain one another)
    opened into the name=value pairs it stands for."""
    found = []
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "query":
            continue
        schema = parameter["schema"]
        if schema.get("type") == "object" and parameter.get("explode", True):
            required = set(schema.get("required", ()))
            found += [
                {"name": name, "required": name in required, "schema": inner}
                for name, inner in schema["properties"].items()
            ]
        else:
            found.append({"name": parameter["name"], "required": parameter["required"], "schema": schema})
    return found
