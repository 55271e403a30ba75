"""The plugin contract: every hook a ggzy plugin may implement, with who calls it and when."""
import pluggy

hookspec = pluggy.HookspecMarker("ggzy")
hookimpl = pluggy.HookimplMarker("ggzy")


@hookspec
def ggzy_methods(limits):
    """Return the trading methods this plugin provides, as a list of ``trading.methods.MethodSpec``.

    Called once when the application starts, to build the method registry
    behind ``GET /api/v1/methods``, project creation and every rule check.
    A method code (``tendering.open``) may be provided by one plugin only.
    ``limits`` is the app's ``trading.legal_limits.Limits``: a spec's legal
    numbers (``min_bids``, ``committee_min``, ``publicity``) take their
    effective values from it.
    """


@hookspec
def ggzy_legal_limits():
    """Return the legal numbers of the rules this plugin owns, as a list of ``trading.legal_limits.Limit``.

    Called once when the application starts, before the settings of the
    rules are read: each entry becomes the setting ``ggzy.rules.<name>``
    whose default and floor (or ceiling, for a maximum) is the legal value
    (RULES.md). A name may be declared by one plugin only.
    """


@hookspec
def ggzy_check_rules(project, now, calendar, amendment, limits):
    """Return the ``RuleViolation``s (and ``RuleWarning``s) of ``project`` at the instant ``now``.

    Called by the project service when a project is published (``now`` is the
    announcement time, ``amendment`` is None) and when an amendment is issued
    (``project`` then carries the amended timeline, ``amendment`` the change
    with its ``old_timeline`` and ``issued_at``). ``project`` is a
    ``trading.rules.ProjectView``; ``calendar`` a ``trading.workdays.WorkCalendar``;
    ``limits`` the effective legal numbers (``trading.legal_limits.Limits``),
    which a check uses, and prints in its messages, instead of the legal value.
    Each plugin checks only projects whose method it provides, returning an
    empty list otherwise.
    """


@hookspec(firstresult=True)
def ggzy_rank(lot, bids, scores):
    """Return the ranking of a sealed lot after evaluation, or None if the lot's method is not yours.

    Called by the evaluation service when the officer finalises. ``bids`` are the
    lot's opened bids with their qualification, ``scores`` the members' mean
    score per bid and criterion. The first plugin answering wins.
    """


@hookspec(firstresult=True)
def ggzy_auction_policy(lot):
    """Return how an auction lot moves between phases and decides its result, or None if not yours.

    Called by the auction engine for every phase change and every bid on an
    auction lot; the policy says which bids are acceptable and who wins. A
    policy belongs to the lot's method: the engine remembers it per method to
    judge refused bids without loading the lot.
    """


@hookspec(firstresult=True)
def ggzy_committee(lot):
    """Return the confirmed evaluation committee members of a sealed lot.

    Called by the evaluation service when an evaluation starts, to know whether
    the committee is complete and who may score. Implemented by ``experts``.
    """


@hookspec
def ggzy_after_event(event, request):
    """React to an audit event; called for every event right after it is written, in the same transaction.

    ``event`` is the ``AuditEvent`` row, ``request`` the request (or script
    request) whose transaction wrote it. Implemented by ``monitoring`` to raise
    alerts; an implementation must not commit, and whatever it writes shares
    the event's fate.
    """


@hookspec
def ggzy_alert_rules():
    """Return the alert rules this plugin contributes (each with a code, a severity and a check).

    Called once at start by the monitoring engine to build its rule table.
    """


@hookspec
def ggzy_deadline_handlers():
    """Return a mapping of deadline name to handler for the transitions this plugin applies.

    Called once at start. The due sweep takes each due row of the deadline
    table and calls ``handler(deadline, request)`` inside that row's own
    transaction; the handler returns a short text saying what it did.
    """


@hookspec(firstresult=True)
def ggzy_committee_minimum(project, lot, limits):
    """Return the smallest evaluation committee the method allows for ``lot`` (or the whole project), or None.

    Called by ``experts`` when an officer creates a draw, to check the
    composition rule (RULES.md: at least 5, or 7 for a procurement lot
    budgeted at 10,000,000.00 or more, or 3 for negotiation, consultation and
    inquiry; ``limits``, the effective legal numbers, may raise them). ``lot``
    is None for a draw that covers every lot; the plugin providing the
    project's method answers.
    """


@hookspec
def ggzy_reference_data(request):
    """Load this plugin's reference data (catalogues, defaults); return a short summary of what was added.

    Called by ``ggzy initdb`` inside one transaction, after the schema is at
    head. Must be idempotent: a second run adds nothing.
    """


@hookspec
def ggzy_demo_data(request):
    """Load this plugin's part of the demo (``ggzy demo``); return the demo logins it made as (role, username, password).

    Called after the core's demo organisations and users exist, inside the
    same transaction; must be idempotent.
    """


@hookspec
def ggzy_includeme(config):
    """Add this plugin's own routes, views, templates and translations to the Pyramid configuration.

    Called once while the application is configured, after the core has been
    set up and committed.
    """
