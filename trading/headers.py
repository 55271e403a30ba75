"""Security headers on every response: CSP, framing, referrer, HSTS in production, no-store on API JSON."""
from pyramid.tweens import INGRESS

# Pages load only their own scripts and stylesheets (no inline code): an injected
# <script> or style attribute does nothing even if some text escaped the templates.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
))

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# a year, as browsers' preload lists ask; sent only where the site is served over TLS (ggzy.hsts)
HSTS = "max-age=31536000; includeSubDomains"

BASE_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", PERMISSIONS_POLICY),
)


def security_headers_tween_factory(handler, registry):
    headers = list(BASE_HEADERS)
    if registry.settings["ggzy.hsts"]:
        headers.append(("Strict-Transport-Security", HSTS))

    def security_headers_tween(request):
        response = handler(request)
        for name, value in headers:
            # a view that needs its own policy may set one; every other response gets the default
            if name not in response.headers:
                response.headers[name] = value
        if request.path.startswith("/api/") and (response.content_type or "").startswith("application/json"):
            # tokens, sealed-bid metadata and personal data must never sit in a shared or disk cache
            response.headers["Cache-Control"] = "no-store"
        return response

    return security_headers_tween


def includeme(config):
    # outermost, so that error pages from the exception view and static files get the headers too
    config.add_tween("trading.headers.security_headers_tween_factory", under=INGRESS)
