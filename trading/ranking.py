"""Ranking arithmetic shared by the sealed methods' plugins: exact prices, half-up rounding, tie order, entries."""
import math
from decimal import Decimal
from fractions import Fraction

SCORED_KINDS = ("technical", "business")
PRICE_KIND = "price"


def exact(value):
    """A Decimal, int or JSON number (a float is read as it is written, 0.1 → 1/10) as an exact Fraction."""
    if isinstance(value, float):
        value = str(value)
    if isinstance(value, str):
        value = Decimal(value)
    return Fraction(value)


def half_up(value, places=2):
    """An exact value rounded half up (a half away from zero) to ``places`` decimals, as a Decimal."""
    scaled = exact(value) * 10 ** places
    digits = math.floor(abs(scaled) + Fraction(1, 2))
    return Decimal(-digits if scaled < 0 else digits).scaleb(-places)


def as_decimal(value):
    """A Fraction with a terminating decimal expansion (a price after a decimal deduction) as an exact Decimal,
    with at least the two places of money."""
    value = exact(value)
    places = 2
    while (value * 10 ** places).denominator != 1:
        places += 1
    return Decimal(int(value * 10 ** places)).scaleb(-places)


def scored_criteria(criteria):
    """The criteria the members score (technical and business), in their given order."""
    return [c for c in criteria or [] if isinstance(c, dict) and c.get("kind") in SCORED_KINDS]


def price_criterion(criteria):
    """The one price criterion (computed, never scored), or None."""
    return next((c for c in criteria or [] if isinstance(c, dict) and c.get("kind") == PRICE_KIND), None)


def entry(bid, *, evaluated_price=None, scores=None, price_score=None, total=None):
    """One ranking entry, before it is numbered (ggzy_rank's shape)."""
    return {
        "bid_id": bid.bid_id,
        "bidder_name": bid.bidder_name,
        "price": bid.price,
        "evaluated_price": evaluated_price,
        "qualified": bool(bid.qualified),
        "scores": dict(scores or {}),
        "price_score": price_score,
        "total": total,
        "rank": None,
    }


def numbered(pairs, key):
    """The entries of ``pairs`` ([(bid, entry)]): the qualified ones in ``key`` order, numbered from 1, then the
    unqualified in submission order without a rank.

    Sorting is stable, so bids that tie on every key keep the order they came in (submission, then id).
    """
    qualified = sorted(((bid, e) for bid, e in pairs if bid.qualified), key=lambda pair: key(pair[0], pair[1]))
    unqualified = sorted(((bid, e) for bid, e in pairs if not bid.qualified), key=lambda pair: pair[0].submitted_at)
    for rank, (_bid, e) in enumerate(qualified, start=1):
        e["rank"] = rank
    return [e for _bid, e in qualified] + [e for _bid, e in unqualified]


def by_lowest_price(bids, evaluated=None):
    """Lowest price (最低价): qualified bids by evaluated price ascending, then the lower price, then the earlier
    submission. ``evaluated(bid)`` gives the exact evaluated price (the price itself when None)."""
    pairs = []
    for bid in bids:
        value = evaluated(bid) if evaluated else None
        pairs.append((bid, entry(bid, evaluated_price=None if value is None else as_decimal(value))))
    return numbered(pairs, lambda bid, e: (exact(evaluated(bid)) if evaluated else exact(bid.price),
                                           exact(bid.price), bid.submitted_at))


def by_score(bids, scores, criteria, price_score, evaluated=None):
    """Comprehensive scoring (综合评分): each qualified bid's rounded criterion means plus its rounded price score.

    ``price_score(bid)`` gives the exact price score of a qualified bid (it is rounded here); ``scores`` are the
    members' means {bid_id: {criterion: Decimal}}. The total is the sum of the rounded parts; ties go to the lower
    price, then the earlier submission. An unqualified bid keeps its means but gets no price score and no total:
    it takes no further part in the evaluation.
    """
    codes = [c.get("code") for c in scored_criteria(criteria)]
    has_price = price_criterion(criteria) is not None
    pairs = []
    for bid in bids:
        means = scores.get(bid.bid_id) or {}
        parts = {code: half_up(means[code]) for code in codes if code in means}
        value = evaluated(bid) if evaluated else None
        evaluated_price = None if value is None else as_decimal(value)
        if bid.qualified:
            points = half_up(price_score(bid)) if has_price else None
            total = sum(parts.values(), Decimal("0.00")) + (points if points is not None else 0)
            pairs.append((bid, entry(bid, evaluated_price=evaluated_price, scores=parts, price_score=points,
                                     total=total)))
        else:
            pairs.append((bid, entry(bid, evaluated_price=evaluated_price, scores=parts)))
    return numbered(pairs, lambda bid, e: (-e["total"], exact(bid.price), bid.submitted_at))
