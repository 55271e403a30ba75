"""GET /openapi.json describes every API route that exists, and nothing else."""
import jsonschema
from pyramid.interfaces import IRoutesMapper

from trading.security import Permission


def api_routes(registry):
    mapper = registry.queryUtility(IRoutesMapper)
    return {route.pattern for route in mapper.get_routes() if route.pattern.startswith("/api/v1/")}


def test_every_api_route_is_described(api, registry):
    spec = api.get("openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == api_routes(registry)


def test_every_operation_names_its_permission_and_roles(api):
    spec = api.get("openapi.json").json
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert Permission(operation["x-permission"]), (path, method)
            assert operation["x-roles"], (path, method)
            assert "400" in operation["responses"]


def test_request_bodies_are_valid_json_schemas(api):
    spec = api.get("openapi.json").json
    for operations in spec["paths"].values():
        for operation in operations.values():
            if "requestBody" in operation:
                for media in operation["requestBody"]["content"].values():
                    jsonschema.Draft202012Validator.check_schema(media["schema"])


def test_every_view_names_its_permission(registry):
    introspector = registry.introspector
    for item in introspector.get_category("views") or ():
        view = item["introspectable"]
        if view.get("route_name") and not view.get("exception_only") and not view["route_name"].startswith("__static"):
            permissions = [r for r in introspector.related(view) if r.category_name == "permissions"]
            assert permissions, f"the view of {view['route_name']} names no permission"


def test_required_query_parameters_are_described_and_enforced(api, users):
    from ..conftest import PASSWORD

    spec = api.get("openapi.json").json
    calendar = {p["name"]: p for p in spec["paths"]["/api/v1/calendar"]["get"]["parameters"]}
    assert calendar["year"]["required"] is True
    response = api.get("calendar", status=400)
    assert response.json["error"]["details"] == [{"field": "year", "message": "This field is required."}]
    api.login("inspector", PASSWORD)
    api.get("monitoring/report.pdf", as_user="inspector", status=400)
