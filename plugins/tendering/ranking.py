"""Tendering's ranking of a sealed lot: the lowest evaluated price (经评审的最低投标价法) or comprehensive scoring
(综合评估法) with the `lowest` or `deviation` price formula (RULES.md "tendering.open, tendering.invited")."""
from fractions import Fraction

from trading import ranking


def rank(params, bids, scores):
    """The ranking entries of ``bids`` under the project's ``params`` (ggzy_rank)."""
    if params.get("evaluation", "lowest_price") != "scoring":
        return ranking.by_lowest_price(bids)
    criteria = params.get("criteria") or []
    criterion = ranking.price_criterion(criteria)
    maximum = ranking.exact(criterion.get("max", 0)) if criterion else Fraction(0)
    prices = [ranking.exact(bid.price) for bid in bids if bid.qualified]
    if params.get("price_formula", "lowest") == "deviation":
        price_score = deviation_score(prices, maximum, params)
    else:
        price_score = lowest_score(prices, maximum)
    return ranking.by_score(bids, scores, criteria, price_score)


def lowest_score(prices, maximum):
    """`lowest`: max × the lowest qualified price / the bid's price, exactly."""
    benchmark = min(prices, default=None)

    def score(bid):
        price = ranking.exact(bid.price)
        if not price:
            return maximum  # a zero price is the lowest there can be
        return maximum * benchmark / price

    return score


def deviation_score(prices, maximum, params):
    """`deviation`: points off the maximum per percentage point away from the discounted mean, never below 0."""
    discount = ranking.exact(params.get("benchmark_discount") or 0)
    above = ranking.exact(params.get("points_above") or 0)
    below = ranking.exact(params.get("points_below") or 0)
    benchmark = sum(prices) / len(prices) * (1 - discount) if prices else None

    def score(bid):
        if not benchmark:
            return maximum
        deviation = (ranking.exact(bid.price) - benchmark) / benchmark * 100  # percentage points
        if deviation > 0:
            points = maximum - above * deviation
        elif deviation < 0:
            points = maximum - below * -deviation
        else:
            points = maximum
        return max(points, Fraction(0))

    return score
