"""The OpenAPI 3.1 description of every API route that exists, built from the views themselves."""
import re

from pyramid.interfaces import IRoutesMapper

from ..security import Permission, roles_for
from . import api_view

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "array"},
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["error"],
}

# API.md: every list comes as {"items": [...], "next_cursor": "..."|null}; a single object comes bare
LIST_SCHEMA = {
    "type": "object",
    "properties": {"items": {"type": "array"}, "next_cursor": {"type": ["string", "null"]}},
    "required": ["items", "next_cursor"],
}

QUERY_TYPES = {"integer": {"type": "integer"}, "string": {"type": "string"}, "instant": {"type": "string", "format": "date-time"}}


def api_views(registry):
    """(route name, pattern, method, doc) for every API view."""
    mapper = registry.queryUtility(IRoutesMapper)
    patterns = {route.name: route.pattern for route in mapper.get_routes()} if mapper else {}
    found = []
    for item in registry.introspector.get_category("views") or ():
        view = item["introspectable"]
        doc = view.get("api_doc") if "api_doc" in view else (view.get("options") or {}).get("api_doc")
        if doc is None:
            continue
        methods = view.get("request_methods")
        methods = (methods,) if isinstance(methods, str) else methods
        for method in methods:
            found.append((view["route_name"], patterns[view["route_name"]], method, doc))
    return sorted(found, key=lambda row: (row[1], row[2]))


def _response(description, schema=None):
    body = {"description": description}
    if schema is not None:
        body["content"] = {"application/json": {"schema": schema}}
    return body


def build(registry):
    paths = {}
    for route_name, pattern, method, doc in api_views(registry):
        path = pattern
        operation = {
            "operationId": f"{route_name}.{method.lower()}",
            "summary": doc["summary"],
            "x-permission": doc["permission"],
            "responses": {},
        }
        roles = roles_for(doc["permission"])
        operation["x-roles"] = sorted(roles) if roles is not None else ["anyone"]
        if roles is not None:
            operation["security"] = [{"bearer": []}]
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", pattern)
        ]
        for name, kind in doc["query"].items():
            schema = {"enum": list(kind), "type": "string"} if isinstance(kind, (list, tuple)) else QUERY_TYPES[kind]
            required = name in doc.get("required_query", ())
            parameter = {"name": name, "in": "query", "required": required, "schema": schema}
            if not required:
                # API.md writes filters as ?sector=&method=: an empty value is the parameter left out
                parameter["allowEmptyValue"] = True
            parameters.append(parameter)
        if parameters:
            operation["parameters"] = parameters
        if doc["body"] is not None:
            operation["requestBody"] = {"required": True, "content": {
                "multipart/form-data" if doc["body"].get("x-multipart") else "application/json": {"schema": doc["body"]}}}
        status = str(doc["status"])
        produces = doc.get("produces") or ("application/pdf" if pattern.endswith(".pdf") else None)
        if status == "204":
            operation["responses"][status] = _response("Success")
        elif produces:
            operation["responses"][status] = {"description": "Success", "content": {produces: {"schema": {}}}}
        elif "cursor" in doc["query"]:
            operation["responses"][status] = _response("Success", LIST_SCHEMA)
        else:
            operation["responses"][status] = _response("Success", {"type": "object"})
        operation["responses"]["400"] = _response("request.invalid", ERROR_SCHEMA)
        if roles is not None:
            operation["responses"]["401"] = _response("auth.required", ERROR_SCHEMA)
            operation["responses"]["403"] = _response("auth.forbidden", ERROR_SCHEMA)
        if "{" in pattern:
            operation["responses"]["404"] = _response("not_found", ERROR_SCHEMA)
            if method != "GET":
                # API.md: an action on an object that does not fit its phase or the clock; the code says which
                operation["responses"]["409"] = _response("a dotted code: the object's phase or the clock", ERROR_SCHEMA)
        if doc["body"] is not None and doc["body"].get("x-multipart"):
            operation["responses"]["413"] = _response("upload.too_large", ERROR_SCHEMA)
            operation["responses"]["507"] = _response("storage.full", ERROR_SCHEMA)
        for code, text in doc["responses"].items():
            operation["responses"][str(code)] = _response(text, ERROR_SCHEMA)
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ggzy public resource trading platform API",
            "version": "1",
            "description": (
                "The JSON API of the platform (shared/API.md). Money is a decimal string with two places; "
                "instants are RFC 3339 with an offset; lists come as {items, next_cursor} with ?limit= (1-500, "
                "default 50) and ?cursor=; errors come as {error: {code, message, details}}. Checks run in the "
                "order 401, 400, 403, 404, 409, 422."
            ),
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
        },
        "paths": paths,
    }


@api_view("api.openapi", "GET", Permission.PUBLIC, summary="This description")
def openapi(request):
    spec = request.registry.get("openapi")
    if spec is None:
        spec = request.registry["openapi"] = build(request.registry)
    return spec
