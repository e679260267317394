"""``python -m local.openapi [--check]``: write docs/openapi.json from the API handlers' routes.

The document is what the Powertools event handler generates from the routes of
:data:`xsell.topology.API_ROUTES` (the public API and the admin API), merged into one API with Powertools'
own ``OpenAPIMerge``. The routes carry the contract of :mod:`xsell.api_contract`. With
``--check`` nothing is written and the exit code says whether the committed file is current.

This is a script, not an ``xsell`` subcommand, because it imports the handlers under
``functions/`` and the layer's code must not.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "openapi.json"


def api_functions() -> list[str]:
    """The functions behind the API routes, in route order: the public ones, then the admin API."""
    from xsell.topology import API_ROUTES

    return list(dict.fromkeys(route.function for route in API_ROUTES))


def build() -> dict[str, Any]:
    """The OpenAPI document of the public API, as the handlers' resolvers describe it."""
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    from xsell import api_contract
    from xsell.admin import contract as admin_contract

    merged = OpenAPIMerge(
        title=api_contract.TITLE,
        version=api_contract.VERSION,
        description=api_contract.DESCRIPTION,
        tags=api_contract.TAGS + admin_contract.TAGS,
        on_conflict="error",
    )
    for function in api_functions():
        app = importlib.import_module(f"functions.{function}.handler").app
        merged.add_schema(json.loads(documenting_resolver(app).get_openapi_json_schema()))
    document = json.loads(merged.get_openapi_json_schema())
    document.setdefault("components", {})["securitySchemes"] = admin_contract.SECURITY_SCHEMES
    for operations in document["paths"].values():
        for operation in operations.values():
            extra = admin_contract.QUERY.get(operation.get("operationId"), [])
            operation["parameters"] = operation.get("parameters", []) + extra
            if not operation["parameters"]:
                del operation["parameters"]
    return _without_unused_schemas(document)


def documenting_resolver(app: Any) -> Any:
    """The Powertools resolver that documents a handler's ``app``.

    A Powertools resolver documents itself. Decide routes with :class:`xsell.proxy.ProxyRouter` to
    keep Powertools off its cold start; its routes are declared here again, with the same
    keywords, on a resolver that exists only to generate their part of the document.
    """
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

    from xsell.proxy import ProxyRouter

    if not isinstance(app, ProxyRouter):
        return app
    resolver = APIGatewayRestResolver()
    for route in app.routes:
        resolver.route(route.path, route.method, **route.openapi)(_never_called)
    return resolver


def _never_called() -> None:
    """Stands in for a route's function: only the declaration is documented, nothing is resolved."""
    raise NotImplementedError


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def _without_unused_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """Drop component schemas nothing refers to.

    Powertools always adds its request-validation error models; validation is off here (it
    would need pydantic at cold start), so no answer of this API has those shapes.
    """
    schemas = document.get("components", {}).get("schemas", {})
    wanted, todo = set(), _refs(document["paths"])
    while todo:
        name = todo.pop().removeprefix("#/components/schemas/")
        if name in schemas and name not in wanted:
            wanted.add(name)
            todo |= _refs(schemas[name])
    for name in set(schemas) - wanted:
        del schemas[name]
    if not schemas:
        document.get("components", {}).pop("schemas", None)
    if document.get("components") == {}:
        del document["components"]
    return document


def render(document: dict[str, Any]) -> str:
    """The committed text: stable key order as generated, two-space indent, final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.openapi", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed document is stale")
    parser.add_argument("--output", type=Path, default=DOCUMENT, help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current != text:
            print(f"{args.output} is stale: run `make openapi` and commit it", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
