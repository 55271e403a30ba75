"""Helpers for auction tests: land and equity projects through the API."""
from .sealed import Parties, at, bank_notice, create_and_publish, iso


def land_auction_body(parties, **over):
    body = {
        "method": "land.auction", "title": "城东A-3地块国有建设用地使用权拍卖出让", "owner_org_id": parties.owner.id,
        "lots": [{"title": "A-3地块", "start_price": "10000000.00", "increment": "100000.00",
                  "reserve_price": "12000000.00", "deposit": "2000000.00"}],
        "timeline": {"registration_until": iso(at(22, 17)), "auction_at": iso(at(23, 10))},
        "params": {"countdown_seconds": 300},
    }
    body.update(over)
    return body


def land_listing_body(parties, **over):
    body = land_auction_body(parties, method="land.listing", title="城西B-1地块挂牌出让",
                             timeline={"listing_from": iso(at(22, 9)), "listing_until": iso(at(8, 16, month=1, year=2027))})
    body.update(over)
    return body


def equity_body(parties, **over):
    body = {
        "method": "equity.transfer", "title": "市属国企持有的某公司40%股权转让", "owner_org_id": parties.owner.id,
        "lots": [{"title": "40%股权", "start_price": "5000000.00", "increment": "50000.00", "deposit": "500000.00"}],
        "timeline": {"disclosure_until": iso(at(30, 10)), "auction_at": iso(at(31, 10))},
        "params": {"appraisal": "5200000.00", "countdown_seconds": 120},
    }
    body.update(over)
    return body


def register_paid(api, project, usernames, secret="test-bank-secret"):
    for index, username in enumerate(usernames):
        registration = api.post(f"projects/{project['id']}/registrations", {"lot_ids": [project["lots"][0]["id"]]},
                                as_user=username, status=201).json
        bank_notice(api, secret, registration["deposit_account"], registration["amount_due"], f"R-{project['id'][:6]}-{index}",
                    payer=f"6222{index:012d}")


def lot_path(project):
    return f"projects/{project['id']}/lots/{project['lots'][0]['id']}"


def parties_and_project(api, script, body_of, bidders=3, **over):
    parties = Parties(api, script, bidders=bidders)
    project = create_and_publish(api, body_of(parties, **over))
    return parties, project
