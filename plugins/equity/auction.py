"""How an equity lot moves: disclosure (信息披露), then agreement transfer or online bidding (网络竞价)."""
from trading.auction import AuctionPolicy, whole_multiple
from trading.errors import Conflict
from trading.i18n import _, money


class TransferPolicy(AuctionPolicy):
    method = "equity.transfer"

    def deadlines(self, timeline):
        return {"auction.disclosure_close": timeline["disclosure_until"], "auction.start": timeline["auction_at"]}

    def phase_before_live(self, timeline, now):
        return "registration" if now < timeline["disclosure_until"] else "waiting"

    def registration_closes(self, timeline):
        return timeline["disclosure_until"]

    def check_live_bid(self, lot, state, amount):
        """The first bid: the start price plus a whole multiple (0 or more) of the increment; later ones 1 or more."""
        if state.current is None:
            base, steps = lot.start_price, 0
        else:
            base, steps = state.current, 1
        if amount < base + steps * lot.increment or not whole_multiple(amount, base, lot.increment, steps):
            raise Conflict("auction.too_low", _(
                "A bid must be ${base} plus a whole multiple of the increment ${increment} (at least ${minimum}).",
                mapping={"base": money(base), "increment": money(lot.increment),
                         "minimum": money(base + steps * lot.increment)}),
                details=[{"minimum": money(base + steps * lot.increment), "increment": money(lot.increment)}])

    def on_deadline(self, name, engine):
        state = engine.state
        if name == "auction.disclosure_close":
            qualified = engine.qualified()
            if not qualified:
                return engine.fail("no_transferee")
            if len(qualified) == 1:
                # 协议转让: the only qualified transferee takes it at the listing price
                return engine.award(qualified[0], engine.lot.start_price, "agreement_transfer")
            return engine.set_phase("waiting")
        if name == "auction.start" and state.phase == "waiting":
            return engine.go_live(self.countdown(engine.params))
        return "ignored"


POLICIES = {TransferPolicy.method: TransferPolicy()}
