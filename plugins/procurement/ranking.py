"""Government procurement's ranking of a sealed lot: lowest evaluated price or comprehensive scoring, both on
prices after the small and micro enterprise deduction (RULES.md "procurement.*")."""
from fractions import Fraction

from trading import ranking


def rank(evaluation, params, bids, scores):
    """The ranking entries of ``bids`` by ``evaluation`` (lowest_price or scoring) under the project's ``params``.

    ``bid.price`` is already the final quote where the method takes one (negotiation, consultation), so
    negotiation ranks by the lowest final quote and consultation scores the final quote.
    """
    evaluated = evaluated_price(params)
    if evaluation != "scoring":
        return ranking.by_lowest_price(bids, evaluated)
    criteria = params.get("criteria") or []
    criterion = ranking.price_criterion(criteria)
    maximum = ranking.exact(criterion.get("max", 0)) if criterion else Fraction(0)
    benchmark = min((evaluated(bid) for bid in bids if bid.qualified), default=None)

    def price_score(bid):
        """max × the lowest evaluated price / the bid's evaluated price, exactly (O87 Art 55, C214 Art 24)."""
        price = evaluated(bid)
        if not price:
            return maximum  # a zero price is the lowest there can be
        return maximum * benchmark / price

    return ranking.by_score(bids, scores, criteria, price_score, evaluated)


def evaluated_price(params):
    """The exact evaluated price of a bid: an SME bidder's price × (1 − sme_deduction) (SME Art 9), else its price."""
    deduction = params.get("sme_deduction")
    factor = 1 - ranking.exact(deduction) if deduction is not None else Fraction(1)

    def evaluated(bid):
        price = ranking.exact(bid.price)
        return price * factor if bid.sme else price

    return evaluated
