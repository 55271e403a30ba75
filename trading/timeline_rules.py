"""Rule checks the sector plugins share: instants in order, counted periods, amendments, deposits, scoring criteria."""
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from .errors import RuleViolation
from .i18n import CENT, _, local_text, money
from .rules import days_between, local_date

DAYS = "days"
WORKING_DAYS = "working_days"

# instants someone has to meet: one on a non-working day warns, it does not block (RULES.md "Counting days")
DEADLINES = ("docs_until", "bid_deadline", "registration_until", "listing_until", "disclosure_until", "auction_at")

SEALED_DEFAULTS = {"questions_until": "bid_deadline"}
SEALED_ORDER = (("docs_from", "docs_until"), ("docs_until", "bid_deadline"), ("questions_until", "bid_deadline"))

DEPOSIT_SHARE = Decimal("0.02")
CRITERIA_TOTAL = Decimal(100)


def number(value):
    """A JSON number (or a decimal string) as an exact Decimal, None when it is not one."""
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def plain(value):
    """A Decimal written without exponent or trailing zeros, for messages and details (0.10 → "0.1", 30.0 → "30")."""
    return format(value.normalize(), "f")


def json_number(value):
    """A Decimal for the details of a violation, as a JSON number: an int when whole (30), else a float (29.5)."""
    return int(value) if value == value.to_integral_value() else float(value)


def announced_at(project, now, amendment):
    """When the project was announced: ``now`` on publish, the publish time when an amendment is checked."""
    if amendment is None:
        return now
    return project.published_at or now


def with_defaults(timeline, defaults):
    """The timeline without empty instants, each optional one missing filled from the one it defaults to."""
    full = {name: moment for name, moment in timeline.items() if moment is not None}
    for name, fallback in (defaults or {}).items():
        if name not in full and fallback in full:
            full[name] = full[fallback]
    return full


def sealed_timeline(timeline):
    """The sealed timeline with ``questions_until`` defaulting to ``bid_deadline`` (API.md "Projects")."""
    return with_defaults(timeline, SEALED_DEFAULTS)


def changed_instants(timeline, amendment):
    """The timeline fields an amendment sets to a new instant (all of them on publish)."""
    if amendment is None:
        return {name for name, moment in timeline.items() if moment is not None}
    old = amendment.old_timeline or {}
    return {name for name, moment in timeline.items() if moment is not None and moment != old.get(name)}


def check_order(project, now, amendment, *, pairs, defaults=None):
    """``timeline.order``: each pair of instants in order, every instant at or after the announcement.

    ``pairs`` are ``(earlier, later)`` field names; ``defaults`` maps an
    optional instant to the one it defaults to. On an amendment, only the
    instants it changes must be at or after its issue. A missing required
    instant is not reported here: the project service reports
    ``timeline.missing`` from the method's ``required_timeline``.
    """
    defaults = defaults or {}
    timeline = with_defaults(project.timeline, defaults)
    # an instant that only repeats the one it defaults to is checked under that one's name
    own = {name for name, moment in timeline.items()
           if not (name in defaults and moment == timeline.get(defaults[name]))}
    violations = []
    for earlier, later in pairs:
        first, second = timeline.get(earlier), timeline.get(later)
        if first is not None and second is not None and second < first:
            violations.append(RuleViolation(
                "timeline.order",
                _("${later} (${later_at}) is before ${earlier} (${earlier_at}); it must be at or after it.",
                  mapping={"later": later, "later_at": local_text(second),
                           "earlier": earlier, "earlier_at": local_text(first)}),
                source=None, policy=None, field=later, after=earlier,
            ))
    if amendment is None:
        for name in sorted(own, key=lambda field: (timeline[field], field)):
            if timeline[name] < now:
                violations.append(RuleViolation(
                    "timeline.order",
                    _("${field} (${at}) is before the announcement (${now}); every instant must be at or after it.",
                      mapping={"field": name, "at": local_text(timeline[name]), "now": local_text(now)}),
                    source=None, policy=None, field=name,
                ))
    else:
        issued = amendment.issued_at
        changed = changed_instants(project.timeline, amendment) & own
        for name in sorted(changed, key=lambda field: (timeline[field], field)):
            if timeline[name] < issued:
                violations.append(RuleViolation(
                    "timeline.order",
                    _("The amended ${field} (${at}) is before the amendment itself (${issued}).",
                      mapping={"field": name, "at": local_text(timeline[name]), "issued": local_text(issued)}),
                    source=None, policy=None, field=name,
                ))
    return violations


def check_sealed_order(project, now, amendment):
    """``timeline.order`` of sealed methods: docs_from ≤ docs_until ≤ bid_deadline, questions_until ≤ bid_deadline."""
    return check_order(project, now, amendment, pairs=SEALED_ORDER, defaults=SEALED_DEFAULTS)


def count(start, end, unit, calendar):
    """Days (``date(end) − date(start)``) or working days after ``date(start)`` up to ``date(end)``."""
    if unit == WORKING_DAYS:
        return calendar.working_days_between(start, end)
    return days_between(start, end)


def at_least(rule, start, end, minimum, message, *, source, policy, unit=DAYS, calendar=None, field=None, **extra):
    """One violation of ``rule`` when fewer than ``minimum`` days (or working days) run from ``start`` to ``end``.

    ``message`` is a translation string that may use ``${minimum}`` and
    ``${actual}``; they are filled in here. Nothing is checked when an
    instant is missing: the project service reports ``timeline.missing``.
    """
    if start is None or end is None:
        return []
    actual = count(start, end, unit, calendar)
    if actual >= minimum:
        return []
    detail = {"minimum": minimum, "actual": actual, "unit": unit, **extra}
    if field:
        detail["field"] = field
    return [RuleViolation(
        rule, _(message, mapping={"minimum": minimum, "actual": actual}),
        source=source, policy=policy, **detail,
    )]


def check_amendment_notice(project, amendment, *, source, policy, minimum=15):
    """``timeline.amendment_too_late``: an amendment late before the bid deadline must move it ``minimum`` days out.

    Reg Art 21 / TBL Art 23, O87 Art 27: the old deadline decides whether the
    amendment is late; the new one must then leave bidders ``minimum`` days.
    """
    if amendment is None:
        return []
    old_deadline = (amendment.old_timeline or {}).get("bid_deadline")
    new_deadline = project.timeline.get("bid_deadline")
    issued = amendment.issued_at
    if old_deadline is None or new_deadline is None or days_between(issued, old_deadline) >= minimum:
        return []
    actual = days_between(issued, new_deadline)
    if actual >= minimum:
        return []
    return [RuleViolation(
        "timeline.amendment_too_late",
        _("This amendment comes less than ${minimum} days before the bid deadline (${old}); "
          "move the deadline to at least ${minimum} days after the amendment, to ${earliest} or later "
          "(now ${actual} days).",
          mapping={"minimum": minimum, "old": local_text(old_deadline), "actual": actual,
                   "earliest": (local_date(issued) + timedelta(days=minimum)).isoformat()}),
        source=source, policy=policy, field="bid_deadline", minimum=minimum, actual=actual, unit=DAYS,
    )]


def deadline_warnings(project, calendar, amendment):
    """The calendar's warnings for each deadline of the timeline (only the changed ones on an amendment)."""
    changed = changed_instants(project.timeline, amendment)
    warnings, seen = [], set()
    for name in DEADLINES:
        moment = project.timeline.get(name)
        if moment is None or name not in changed:
            continue
        for warning in calendar.warnings_for(moment, name):
            mapping = getattr(warning.message, "mapping", None) or {}
            # the calendar repeats its "year unconfirmed" warning for every instant of that year
            key = (warning.rule, str(warning.message), repr(sorted(mapping.items())),
                   repr(sorted(warning.extra.items())))
            if key not in seen:
                seen.add(key)
                warnings.append(warning)
    return warnings


def check_deposits(lots, *, source, policy, share=DEPOSIT_SHARE):
    """``deposit.too_high``: each lot's deposit at most ``share`` (2%) of its budget, in exact Decimal arithmetic."""
    violations = []
    share_text = plain(share * 100) + "%"
    for lot in lots:
        if lot.deposit is None or lot.budget is None:
            continue
        deposit, budget = Decimal(lot.deposit), Decimal(lot.budget)
        limit = budget * share
        if deposit > limit:
            maximum = money(limit.quantize(CENT, rounding=ROUND_DOWN))
            violations.append(RuleViolation(
                "deposit.too_high",
                _("Lot ${lot}: the deposit ${deposit} is more than ${share} of the budget ${budget}; "
                  "it may be at most ${maximum}.",
                  mapping={"lot": lot.number, "deposit": money(deposit), "share": share_text,
                           "budget": money(budget), "maximum": maximum}),
                source=source, policy=policy, lot=lot.number, lot_id=lot.id, field="deposit",
                maximum=maximum, actual=money(deposit),
            ))
    return violations


def check_criteria(params, *, source, policy):
    """Scoring criteria: maxima of at most 2 decimals adding up to exactly 100, and one price criterion.

    Returns ``(violations, price_max)``, ``price_max`` the maximum of the one
    price criterion (None when there is not exactly one) for the weight rules.
    """
    criteria = [c for c in params.get("criteria") or [] if isinstance(c, dict)]
    violations = []
    total = Decimal(0)
    for criterion in criteria:
        maximum = number(criterion.get("max"))
        if maximum is None:
            continue
        total += maximum
        if maximum != maximum.quantize(CENT, rounding=ROUND_DOWN):
            violations.append(RuleViolation(
                "evaluation.criteria_max",
                _("The criterion ${criterion} has the maximum ${max}; a maximum has at most 2 decimal places.",
                  mapping={"criterion": criterion.get("code", ""), "max": plain(maximum)}),
                source=source, policy=policy, criterion=criterion.get("code"), actual=json_number(maximum),
            ))
    if total != CRITERIA_TOTAL:
        violations.append(RuleViolation(
            "evaluation.criteria_total",
            _("The maxima of the scoring criteria add up to ${total}; they must add up to exactly 100.",
              mapping={"total": plain(total)}),
            source=source, policy=policy, field="criteria", minimum=100, maximum=100, actual=json_number(total),
        ))
    prices = [c for c in criteria if c.get("kind") == "price"]
    if len(prices) != 1:
        violations.append(RuleViolation(
            "evaluation.price_criterion",
            _("Scoring needs exactly one price criterion (kind price); the criteria have ${count}.",
              mapping={"count": len(prices)}),
            source=source, policy=policy, field="criteria", actual=len(prices),
        ))
        return violations, None
    return violations, number(prices[0].get("max"))


def check_auction_lots(lots, *, required, positive, source, policy):
    """An auction lot's amounts: each ``required`` one present (``lot.incomplete``), each ``positive`` one above zero.

    A zero start price or increment would let equal bids tie, and the whole
    multiples of an increment of zero are meaningless (``lot.amount_not_positive``).
    """
    violations = []
    for lot in lots:
        for name in required:
            if getattr(lot, name) is None:
                violations.append(RuleViolation(
                    "lot.incomplete",
                    _("Lot ${lot} has no ${field}.", mapping={"lot": lot.number, "field": name}),
                    source=source, policy=policy, lot=lot.number, lot_id=lot.id, field=name,
                ))
        for name in positive:
            amount = getattr(lot, name)
            if amount is not None and Decimal(amount) <= 0:
                violations.append(RuleViolation(
                    "lot.amount_not_positive",
                    _("Lot ${lot}: ${field} is ${amount}; it must be more than zero.",
                      mapping={"lot": lot.number, "field": name, "amount": money(amount)}),
                    source=source, policy=policy, lot=lot.number, lot_id=lot.id, field=name, actual=money(amount),
                ))
    return violations
