"""Every named route of the core, in one place (API under /api/v1, pages at the root)."""

API = "/api/v1"


def includeme(config):
    add = config.add_route
    # accounts
    add("api.auth.login", API + "/auth/login")
    add("api.auth.token", API + "/auth/token")
    add("api.me", API + "/me")
    add("api.organizations.register", API + "/organizations/register")
    add("api.organizations", API + "/organizations")
    add("api.organization", API + "/organizations/{org_id}")
    add("api.users", API + "/users")
    # methods and the contract
    add("api.methods", API + "/methods")
    add("api.openapi", API + "/openapi.json")
    # audit trail
    add("api.audit", API + "/audit")
    add("api.audit.verify", API + "/audit/verify")
    # the manual clock (only routed when ggzy.clock = manual)
    if config.get_settings()["ggzy.clock"] == "manual":
        add("api.testing.clock", API + "/testing/clock")

    # pages
    add("home", "/")
    add("login", "/login")
    add("logout", "/logout")
    add("language", "/language/{locale}")
    add("methods", "/methods")
    add("heartbeat", "/__heartbeat__")
