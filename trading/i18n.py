"""Translation strings, locale choice and the one place money and time are formatted."""
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from pyramid.i18n import TranslationStringFactory

_ = TranslationStringFactory("ggzy")

LOCALES = ("zh_CN", "en")
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")


def _match(tag):
    tag = tag.strip().lower().replace("_", "-")
    if tag.startswith("zh"):
        return "zh_CN"
    if tag.startswith("en"):
        return "en"
    return None


def negotiate_locale(request):
    """The explicit choice (``?_LOCALE_=`` or the language cookie), then Accept-Language, then the default."""
    try:
        chosen = request.GET.get("_LOCALE_") or request.cookies.get("_LOCALE_")
    except UnicodeDecodeError:  # a query string that is not UTF-8: the query tween answers it with 400
        chosen = request.cookies.get("_LOCALE_")
    if chosen in LOCALES:
        return chosen
    locale = from_accept_language(request.headers.get("Accept-Language", ""))
    return locale or request.registry.settings["ggzy.default_locale"]


def from_accept_language(header):
    """The best of our locales in an Accept-Language header, by quality then order; None if none fits."""
    offers = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        locale = _match(tag)
        if locale and quality > 0:
            offers.append((-quality, position, locale))
    return min(offers)[2] if offers else None


def money(value):
    """A Decimal amount as the API writes it: two places, rounded half up."""
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def instant(value):
    """An aware datetime as RFC 3339 in Asia/Shanghai time, as the API writes instants."""
    if value is None:
        return None
    return value.astimezone(LOCAL_TZ).isoformat(timespec="seconds" if not value.microsecond else "microseconds")


def local_text(value):
    """An instant as people read it on pages: Asia/Shanghai, to the minute."""
    if value is None:
        return ""
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


KIND_NAMES = {"sealed": _("Sealed bids"), "auction": _("Public auction")}


def kind_label(kind):
    """A method kind as people read it (the bare code "sealed" is also a bid's status)."""
    return KIND_NAMES.get(kind, kind)


# what pages call each timeline instant
TIMELINE_LABELS = {
    "docs_from": _("Documents on offer from"),
    "docs_until": _("Documents on offer until"),
    "bid_deadline": _("Bid deadline and opening"),
    "questions_until": _("Questions until"),
    "listing_from": _("Listing from"),
    "listing_until": _("Listing until"),
    "registration_until": _("Registration until"),
    "disclosure_until": _("Disclosure until"),
    "auction_at": _("Auction starts"),
}
