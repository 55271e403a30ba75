"""Helpers for evaluation tests: a project past its opening, a complete committee, members logged in."""
from ..conftest import PASSWORD
from .experts.helpers import add_experts, draw_body
from .sealed import Parties, at, create_and_publish, register_and_pay, set_clock, submit_bid


def opened_project(api, script, body_of, prices, secret="open sesame", bidders=None, offers=None, **over):
    """Publish, register and bid with one bidder per price, open and decrypt all: returns (parties, project, bid ids)."""
    parties = Parties(api, script, bidders=bidders or len(prices))
    project = create_and_publish(api, body_of(parties, **over))
    bids = {}
    for (username, _org), price in zip(parties.bidders, prices):
        register_and_pay(api, project, username)
        offer = (offers or {}).get(username)
        bids[username] = submit_bid(api, project, username, price, secret=secret, offer=offer).json["id"]
    set_clock(api, at(21, 9, 30))
    for username, bid_id in bids.items():
        api.post(f"bids/{bid_id}/decrypt", {"unlock_secret": secret}, as_user=username)
    api.post(f"projects/{project['id']}/opening/close", as_user="officer1")
    return parties, project, bids


def committee(api, script, project, size=5, specialty="A0101"):
    """Draw `size` experts for the first lot and have them all accept; returns their usernames in member order."""
    from trading.services import accounts

    add_experts(api, size + 2, start=500, specialties=[specialty])
    lot_id = project["lots"][0]["id"]
    draw = api.post(f"projects/{project['id']}/expert-draws",
                    draw_body(((specialty, size),), alternates=0, lot_id=lot_id, evaluation_day=22),
                    as_user="officer1", status=201).json
    api.post(f"expert-draws/{draw['id']}/run", as_user="officer1")
    record = api.get(f"expert-draws/{draw['id']}", as_user="admin1").json
    usernames = []
    with script() as request:
        for person in record["members"]:
            username = "m-" + person["expert_id"][:8]
            accounts.create_user(request, username=username, password=PASSWORD, role="expert",
                                 expert_id=person["expert_id"])
            usernames.append(username)
    for username in usernames:
        api.login(username, PASSWORD)
        invitation = api.get("me/invitations", as_user=username).json["items"][0]
        api.post(f"invitations/{invitation['id']}/accept", as_user=username)
    return usernames
