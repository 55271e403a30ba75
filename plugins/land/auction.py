"""How land lots move: listing (挂牌) with quotes and a live auction at its close, or an auction (拍卖) at auction_at."""
from trading.auction import AuctionPolicy


class ListingPolicy(AuctionPolicy):
    """land.listing: quotes during the listing; at its close two or more bidders go live, one wins at the reserve."""

    method = "land.listing"

    def deadlines(self, timeline):
        return {"auction.listing_open": timeline["listing_from"], "auction.listing_close": timeline["listing_until"]}

    def phase_before_live(self, timeline, now):
        if now < timeline["listing_from"]:
            return "registration"
        if now < timeline["listing_until"]:
            return "listing"
        return "waiting"

    def registration_closes(self, timeline):
        return timeline["listing_until"]

    def on_deadline(self, name, engine):
        if name == "auction.listing_open":
            return engine.set_phase("listing")
        if name != "auction.listing_close":
            return "ignored"
        quoters = engine.quoters()
        state = engine.state
        if len(quoters) >= 2:
            # L39 Art 20: a live auction among the qualified bidders, from the highest quote
            return engine.go_live(self.countdown(engine.params))
        if len(quoters) == 1 and engine.reaches_reserve(state.current):
            return engine.award(state.leader_org_id, state.current, "single_quote")
        return engine.fail("below_reserve" if quoters else "no_quote")


class AuctionMethodPolicy(AuctionPolicy):
    """land.auction: registration, then a live auction at auction_at from the start price."""

    method = "land.auction"

    def deadlines(self, timeline):
        return {"auction.start": timeline["auction_at"]}

    def phase_before_live(self, timeline, now):
        return "registration" if now < timeline["registration_until"] else "waiting"

    def registration_closes(self, timeline):
        return timeline["registration_until"]

    def on_deadline(self, name, engine):
        if name != "auction.start":
            return "ignored"
        if not engine.qualified():
            return engine.fail("no_bidder")
        return engine.go_live(self.countdown(engine.params))


POLICIES = {ListingPolicy.method: ListingPolicy(), AuctionMethodPolicy.method: AuctionMethodPolicy()}
