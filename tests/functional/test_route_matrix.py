"""Every API route × every role and anonymous callers: 401, 403 or through, exactly as its x-roles say.

EXPECTED is written out by hand from the OpenAPI description's x-roles, so that
a change of permissions shows in review: a route missing from it, or whose roles
differ, fails test_the_table_is_the_description. Each route is then called once
per caller with a body that passes its schema and unknown ids in its path: the
permission check answers before the 404 (API.md: 401, 400, 403, 404, 409, 422).
"""
import json
import re

import jsonschema
import pytest

ROLES = ("admin", "officer", "bidder", "expert", "inspector")
USERS = frozenset(ROLES)
ANYONE = frozenset({"anyone"})
API = "/api/v1"

EXPECTED = {
    ("GET", "/alerts"): {"admin", "inspector"},
    ("GET", "/alerts/{alert_id}"): {"admin", "inspector"},
    ("POST", "/alerts/{alert_id}/acknowledge"): {"inspector"},
    ("POST", "/alerts/{alert_id}/resolve"): {"inspector"},
    ("GET", "/audit"): {"admin", "inspector"},
    ("GET", "/audit/verify"): {"admin", "inspector"},
    ("POST", "/auth/login"): ANYONE,
    ("DELETE", "/auth/token"): USERS,
    ("DELETE", "/bids/{bid_id}"): {"bidder"},
    ("GET", "/bids/{bid_id}"): USERS,
    ("POST", "/bids/{bid_id}/decrypt"): {"bidder"},
    ("GET", "/bids/{bid_id}/receipt.pdf"): USERS,
    ("GET", "/calendar"): ANYONE,
    ("DELETE", "/calendar/days/{day}"): {"admin"},
    ("PUT", "/calendar/days/{day}"): {"admin"},
    ("PUT", "/calendar/years/{year}"): {"admin"},
    ("POST", "/deposits/notify"): ANYONE,
    ("GET", "/documents/{doc_id}/content"): USERS,
    ("GET", "/expert-draws/{draw_id}"): {"admin", "inspector", "officer"},
    ("GET", "/expert-draws/{draw_id}/record.pdf"): {"admin", "inspector"},
    ("POST", "/expert-draws/{draw_id}/run"): {"officer"},
    ("GET", "/expert-draws/{draw_id}/verify"): {"admin", "inspector"},
    ("GET", "/experts"): {"admin", "inspector"},
    ("POST", "/experts"): {"admin"},
    ("POST", "/experts/import"): {"admin"},
    ("GET", "/experts/{expert_id}"): {"admin", "inspector"},
    ("PATCH", "/experts/{expert_id}"): {"admin"},
    ("POST", "/experts/{expert_id}/conflicts"): {"admin", "expert"},
    ("GET", "/experts/{expert_id}/records"): {"admin", "inspector"},
    ("POST", "/invitations/{invitation_id}/accept"): {"expert"},
    ("POST", "/invitations/{invitation_id}/decline"): {"expert"},
    ("GET", "/me"): USERS,
    ("GET", "/me/invitations"): {"expert"},
    ("POST", "/me/password"): USERS,
    ("GET", "/methods"): ANYONE,
    ("GET", "/monitoring/report.pdf"): {"inspector"},
    ("GET", "/monitoring/stats"): {"inspector"},
    ("POST", "/objections/{objection_id}/answer"): {"officer"},
    ("GET", "/openapi.json"): ANYONE,
    ("GET", "/organizations"): {"admin", "inspector", "officer"},
    ("POST", "/organizations"): {"admin", "officer"},
    ("POST", "/organizations/register"): ANYONE,
    ("GET", "/organizations/{org_id}"): {"admin", "inspector", "officer"},
    ("GET", "/ping"): ANYONE,
    ("GET", "/policies"): ANYONE,
    ("POST", "/policies"): {"admin"},
    ("GET", "/policies/{policy_id}"): ANYONE,
    ("GET", "/projects"): ANYONE,
    ("POST", "/projects"): {"officer"},
    ("GET", "/projects/{project_id}"): ANYONE,
    ("PATCH", "/projects/{project_id}"): {"officer"},
    ("POST", "/projects/{project_id}/amendments"): {"officer"},
    ("GET", "/projects/{project_id}/documents"): ANYONE,
    ("POST", "/projects/{project_id}/documents"): {"officer"},
    ("GET", "/projects/{project_id}/expert-draws"): {"admin", "inspector", "officer"},
    ("POST", "/projects/{project_id}/expert-draws"): {"officer"},
    ("GET", "/projects/{project_id}/lots/{lot_id}/auction"): ANYONE,
    ("POST", "/projects/{project_id}/lots/{lot_id}/auction/bids"): {"bidder"},
    ("GET", "/projects/{project_id}/lots/{lot_id}/award"): ANYONE,
    ("POST", "/projects/{project_id}/lots/{lot_id}/award"): {"officer"},
    ("GET", "/projects/{project_id}/lots/{lot_id}/award/notice.pdf"): USERS,
    ("POST", "/projects/{project_id}/lots/{lot_id}/bids"): {"bidder"},
    ("GET", "/projects/{project_id}/lots/{lot_id}/committee"): ANYONE,
    ("POST", "/projects/{project_id}/lots/{lot_id}/contract"): {"officer"},
    ("GET", "/projects/{project_id}/lots/{lot_id}/evaluation"): USERS,
    ("POST", "/projects/{project_id}/lots/{lot_id}/evaluation"): {"officer"},
    ("POST", "/projects/{project_id}/lots/{lot_id}/evaluation/finalize"): {"officer"},
    ("PUT", "/projects/{project_id}/lots/{lot_id}/evaluation/qualification"): {"expert"},
    ("GET", "/projects/{project_id}/lots/{lot_id}/evaluation/report.pdf"): USERS,
    ("PUT", "/projects/{project_id}/lots/{lot_id}/evaluation/scores"): {"expert"},
    ("POST", "/projects/{project_id}/lots/{lot_id}/evaluation/sign"): {"expert"},
    ("POST", "/projects/{project_id}/lots/{lot_id}/expert-records"): {"officer"},
    ("POST", "/projects/{project_id}/lots/{lot_id}/final-quotes"): {"bidder"},
    ("POST", "/projects/{project_id}/lots/{lot_id}/final-quotes/round"): {"officer"},
    ("GET", "/projects/{project_id}/lots/{lot_id}/objections"): ANYONE,
    ("POST", "/projects/{project_id}/lots/{lot_id}/objections"): {"bidder"},
    ("GET", "/projects/{project_id}/lots/{lot_id}/publicity"): ANYONE,
    ("POST", "/projects/{project_id}/lots/{lot_id}/publicity"): {"officer"},
    ("GET", "/projects/{project_id}/lots/{lot_id}/quotes"): ANYONE,
    ("POST", "/projects/{project_id}/lots/{lot_id}/quotes"): {"bidder"},
    ("GET", "/projects/{project_id}/opening"): ANYONE,
    ("POST", "/projects/{project_id}/opening"): {"officer"},
    ("POST", "/projects/{project_id}/opening/close"): {"officer"},
    ("GET", "/projects/{project_id}/opening/record.pdf"): ANYONE,
    ("POST", "/projects/{project_id}/publish"): {"officer"},
    ("GET", "/projects/{project_id}/questions"): ANYONE,
    ("POST", "/projects/{project_id}/questions"): {"bidder"},
    ("GET", "/projects/{project_id}/registrations"): USERS,
    ("POST", "/projects/{project_id}/registrations"): {"bidder"},
    ("POST", "/projects/{project_id}/terminate"): {"officer"},
    ("GET", "/projects/{project_id}/timeline"): {"inspector"},
    ("POST", "/questions/{question_id}/answer"): {"officer"},
    ("GET", "/specialties"): ANYONE,
    ("GET", "/testing/clock"): ANYONE,  # the manual clock (the tests run with ggzy.clock = manual)
    ("PUT", "/testing/clock"): {"admin"},
    ("GET", "/users"): {"admin"},
    ("POST", "/users"): {"admin"},
    ("GET", "/verify/{code}"): ANYONE,
}

# routes whose answer to a permitted caller is not "through": what every caller gets instead, and why
EVERYONE_GETS = {
    # the bank's notice is authenticated by its X-Signature, not by a user: none here, so 401 for all
    ("POST", "/deposits/notify"): 401,
    # the matrix logs in as nobody (a username per caller, so that no lockout answers 429): bad credentials
    ("POST", "/auth/login"): 401,
}

# permitted by x-roles, refused by the view itself: each entry is a finding to fix (in the view's permission or
# its description), kept here so that the matrix passes and the gap stays visible in review
REFUSED_BY_THE_VIEW = {
    # the expert declares for itself only: an unknown or another expert's id is a 403, as API.md says
    ("POST", "/experts/{expert_id}/conflicts"): {"expert"},
}

# query parameters the description marks required: without them a permitted caller stops at the 400 and the
# matrix would not reach the permission check
REQUIRED_QUERY = {
    ("GET", "/calendar"): "year=2031",
    ("GET", "/monitoring/report.pdf"): "project_id=" + "0" * 32,
}

# path parameters that are not opaque ids: a well-formed value that names nothing
PATH_VALUES = {"day": "2031-01-02", "year": "2031", "code": "0" * 64}
UNKNOWN_ID = "0" * 32
INSTANT = "2026-12-01T09:00:00+08:00"  # the manual clock's start: a PUT of the test clock moves nothing
STRING_CANDIDATES = ("x", "1.00", INSTANT, "2026-12-01", "x@example.com", "1", UNKNOWN_ID)


def sample(schema, name=""):
    """A minimal value that passes ``schema``: required properties only, "x" for text, 1 for numbers."""
    for key in ("anyOf", "oneOf"):
        if key in schema:
            for option in schema[key]:
                value = sample(option, name)
                if jsonschema.Draft202012Validator(option).is_valid(value):
                    return value
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return next((v for v in schema["enum"] if v is not None), None)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties", {})
        return {prop: sample(properties.get(prop, {}), prop) for prop in schema.get("required", [])}
    if kind == "array":
        count = schema.get("minItems", 0)
        return [sample(schema.get("items", {}), f"{name}[{i}]") for i in range(count)]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
        return max(1, int(low)) if "maximum" not in schema else min(max(1, int(low)), schema["maximum"])
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return sample_string(schema, name)


def sample_string(schema, name):
    if schema.get("format") == "date-time":
        return INSTANT
    if schema.get("format") == "date":
        return "2026-12-01"
    candidates = STRING_CANDIDATES
    if name.endswith(("_id", "_ids")) or "_ids[" in name:
        candidates = (UNKNOWN_ID, *candidates)
    low, high = schema.get("minLength", 1), schema.get("maxLength", 10_000)
    for candidate in candidates:
        if len(candidate) < low and re.fullmatch(r"x+", candidate):
            candidate = "x" * low
        if low <= len(candidate) <= high and re.search(schema.get("pattern", ""), candidate):
            return candidate
    raise AssertionError(f"no sample string for {name}: {schema}")


def request_body(operation, name):
    """(json body, multipart fields, uploads) passing the operation's request schema."""
    content = (operation.get("requestBody") or {}).get("content", {})
    if "multipart/form-data" in content:
        schema = content["multipart/form-data"]["schema"]
        fields, uploads = [], []
        for prop in schema.get("required", []):
            spec = schema["properties"][prop]
            if spec.get("format") == "binary" or spec.get("type") == "array":
                uploads.append((prop, "matrix.txt", b"route matrix"))
            elif prop == "offer":
                fields.append((prop, json.dumps({"price": "1.00"})))  # a JSON text, as the description says
            else:
                fields.append((prop, sample(spec, prop)))
        return None, fields, uploads
    if "application/json" in content:
        schema = content["application/json"]["schema"]
        body = sample(schema)
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(body))
        assert not errors, f"{name}: the generated body {body} does not pass its schema: {errors[0].message}"
        return body, None, None
    return None, None, None


def call(api, method, path, caller, body, fields, uploads):
    headers = api.headers(caller)
    if fields is not None:
        return api.app.post(path, params=fields, upload_files=uploads, headers=headers, expect_errors=True)
    if body is not None or method in ("POST", "PUT", "PATCH"):
        return api.app._gen_request(method, path, params=json.dumps(body if body is not None else {}),
                                    headers=headers, content_type="application/json", expect_errors=True)
    return api.app._gen_request(method, path, params="", headers=headers, expect_errors=True)


def error_code(response):
    if response.content_type == "application/json":
        try:
            return (response.json.get("error") or {}).get("code")
        except (ValueError, AttributeError):
            return None
    return None


@pytest.fixture
def spec(api):
    return api.get("openapi.json").json


def test_the_table_is_the_description(spec):
    described = {(method.upper(), path[len(API):]): frozenset(operation["x-roles"])
                 for path, operations in spec["paths"].items() for method, operation in operations.items()}
    missing = sorted(set(described) - set(EXPECTED))
    assert not missing, f"routes missing from EXPECTED (add them with their roles): {missing}"
    gone = sorted(set(EXPECTED) - set(described))
    assert not gone, f"routes in EXPECTED that the app no longer has: {gone}"
    changed = {route: (sorted(EXPECTED[route]), sorted(roles)) for route, roles in described.items()
               if frozenset(EXPECTED[route]) != roles}
    assert not changed, f"roles changed (expected, described): {changed}"


@pytest.mark.parametrize("route", sorted(EXPECTED), ids=lambda route: f"{route[0]} {route[1]}")
def test_route_answers_each_role_as_its_roles_say(route, spec, logged_in):
    method, template = route
    roles = EXPECTED[route]
    operation = spec["paths"][API + template][method.lower()]
    path = API + re.sub(r"{(\w+)}", lambda m: PATH_VALUES.get(m.group(1), UNKNOWN_ID), template)
    if route in REQUIRED_QUERY:
        path += "?" + REQUIRED_QUERY[route]
    body, fields, uploads = request_body(operation, f"{method} {template}")
    documented_403 = {code.strip() for code in operation["responses"].get("403", {}).get("description", "").split(",")}

    refused_by_view = REFUSED_BY_THE_VIEW.get(route, set())
    assert refused_by_view <= roles, f"stale REFUSED_BY_THE_VIEW entry: {sorted(refused_by_view - roles)} lack the role"

    seen, wrong = {}, []
    for caller in (None, *ROLES):
        if route == ("POST", "/auth/login"):
            body = {"username": f"matrix-{caller or 'anonymous'}", "password": "x"}
        try:
            response = call(logged_in, method, path, caller, body, fields, uploads)
        except Exception as error:  # an exception escaping the app is as bad as a 500
            seen[caller] = (f"raised {type(error).__name__}", None)
            wrong.append(f"{caller or 'anonymous'}: raised {error!r}")
            continue
        status, code = response.status_int, error_code(response)
        seen[caller] = (status, code)
        who = caller or "anonymous"
        if status >= 500:
            wrong.append(f"{who}: {status} {code}")
        elif route in EVERYONE_GETS:
            if status != EVERYONE_GETS[route]:
                wrong.append(f"{who}: {status} {code}, expected {EVERYONE_GETS[route]} for every caller")
        elif caller is None and roles != ANYONE:
            if (status, code) != (401, "auth.required"):
                wrong.append(f"{who}: {status} {code}, expected 401 auth.required")
        elif caller in refused_by_view or (caller is not None and roles != ANYONE and caller not in roles):
            if (status, code) != (403, "auth.forbidden"):
                wrong.append(f"{who}: {status} {code}, expected 403 auth.forbidden")
        elif status == 401 or (status == 403 and (code == "auth.forbidden" or code not in documented_403)):
            wrong.append(f"{who}: {status} {code}, but the route lets {'anyone' if roles == ANYONE else who} through")
    matrix = ", ".join(f"{caller or 'anonymous'}={status} {code or ''}".strip() for caller, (status, code) in seen.items())
    assert not wrong, f"{method} {template} (x-roles {sorted(roles)}):\n  " + "\n  ".join(wrong) + f"\n  seen: {matrix}"
