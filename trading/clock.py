"""The one source of "now": the system clock, or a manual clock that tests and rehearsals set."""
import threading
from datetime import datetime, timezone

from .errors import Conflict
from .i18n import _, local_text


class SystemClock:
    kind = "system"

    def now(self):
        return datetime.now(timezone.utc)


class ManualClock:
    """Stands still between two sets and only moves forward; starts at the system time."""

    kind = "manual"

    def __init__(self, start=None):
        self._now = start or datetime.now(timezone.utc)
        self._lock = threading.Lock()

    def now(self):
        return self._now

    def reset(self, start):
        """Tests only: start a fresh timeline, which set() would refuse when it goes back."""
        with self._lock:
            self._now = start.astimezone(timezone.utc)

    def set(self, new):
        if new.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        with self._lock:
            if new < self._now:
                raise Conflict(
                    "clock.backwards",
                    _("The clock only moves forward; it is already ${now}.", mapping={"now": local_text(self._now)}),
                )
            self._now = new.astimezone(timezone.utc)
        return self._now


def make_clock(settings):
    return ManualClock() if settings["ggzy.clock"] == "manual" else SystemClock()


def get_clock(registry):
    return registry["clock"]


def includeme(config):
    config.registry["clock"] = make_clock(config.get_settings())
    config.add_request_method(lambda request: request.registry["clock"], "clock", reify=True)
