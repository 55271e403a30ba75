"""Accounts: login, lockout, tokens, organisations and users (API.md "Accounts")."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from trading.demo import full_uscc
from trading.models import AuditEvent, User

from ..conftest import PASSWORD

VALID_USCC = "91110000600037341L"


def register_body(**over):
    body = {
        "name": "Example Supplier Ltd", "uscc": VALID_USCC, "legal_representative": "Li Lei",
        "contact_name": "Han Meimei", "phone": "010-12345678", "email": "bid@example.com",
        "username": "supplier", "password": "a long enough password",
    }
    body.update(over)
    return body


def test_login_returns_token_and_user(api, users):
    body = api.login("officer", PASSWORD)
    assert body["user"] == {**body["user"], "username": "officer", "role": "officer", "org_id": None}
    assert len(body["token"]) >= 40


def test_bad_password_is_401(api, users):
    response = api.post("auth/login", {"username": "officer", "password": "wrong"}, status=401)
    assert response.json["error"]["code"] == "auth.required"


def test_fifth_failure_is_401_then_locked_even_with_right_password(api, users, clock):
    for _ in range(5):
        api.post("auth/login", {"username": "officer", "password": "wrong"}, status=401)
    response = api.post("auth/login", {"username": "officer", "password": PASSWORD}, status=429)
    assert response.json["error"]["code"] == "auth.locked"


def test_lock_lasts_15_minutes_from_fifth_failure_and_is_not_extended(api, users, clock):
    for _ in range(5):
        api.post("auth/login", {"username": "officer", "password": "wrong"}, status=401)
    start = clock.now()
    clock.set(start + timedelta(minutes=10))
    api.post("auth/login", {"username": "officer", "password": "wrong"}, status=429)
    clock.set(start + timedelta(minutes=14, seconds=59))
    api.post("auth/login", {"username": "officer", "password": PASSWORD}, status=429)
    clock.set(start + timedelta(minutes=15))
    api.post("auth/login", {"username": "officer", "password": PASSWORD}, status=200)


def test_four_failures_then_success_resets_the_count(api, users):
    for _ in range(4):
        api.post("auth/login", {"username": "officer", "password": "wrong"}, status=401)
    api.post("auth/login", {"username": "officer", "password": PASSWORD}, status=200)
    for _ in range(4):
        api.post("auth/login", {"username": "officer", "password": "wrong"}, status=401)
    api.post("auth/login", {"username": "officer", "password": PASSWORD}, status=200)


def test_unknown_username_is_locked_too(api, users):
    for _ in range(5):
        api.post("auth/login", {"username": "nobody", "password": "x"}, status=401)
    api.post("auth/login", {"username": "nobody", "password": "x"}, status=429)


def test_failed_logins_and_logins_are_audited(api, users, dbsession):
    api.post("auth/login", {"username": "officer", "password": "wrong"}, status=401)
    api.login("officer", PASSWORD)
    actions = dbsession.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars().all()
    assert actions[-2:] == ["auth.login_failed", "auth.login"]


def test_revoked_token_is_refused(api, users):
    api.login("admin", PASSWORD)
    api.get("me", as_user="admin", status=200)
    api.delete("auth/token", as_user="admin", status=204)
    response = api.get("me", as_user="admin", status=401)
    assert response.json["error"]["code"] == "auth.required"


def test_token_expires_after_token_hours_on_the_app_clock(api, users, clock, registry):
    hours = registry.settings["ggzy.token_hours"]
    api.login("admin", PASSWORD)
    clock.set(clock.now() + timedelta(hours=hours) - timedelta(minutes=1))
    api.get("me", as_user="admin", status=200)
    clock.set(clock.now() + timedelta(minutes=1))
    api.get("me", as_user="admin", status=401)


def test_garbage_token_is_401(api, users):
    api.get("me", headers={"Authorization": "Bearer nonsense"}, status=401)
    api.get("me", headers={"Authorization": "Basic abc"}, status=401)


def test_me_without_token_is_401(api):
    assert api.get("me", status=401).json["error"]["code"] == "auth.required"


def test_register_bidder_creates_organisation_and_user(api, dbsession):
    response = api.post("organizations/register", register_body(), status=201)
    assert response.json["organization"]["uscc"] == VALID_USCC
    assert response.json["organization"]["kind"] == "bidder"
    assert response.json["user"]["role"] == "bidder"
    assert response.json["user"]["org_id"] == response.json["organization"]["id"]
    api.login("supplier", "a long enough password")
    actions = dbsession.execute(select(AuditEvent.action)).scalars().all()
    assert {"organization.register", "user.register"} <= set(actions)


def test_register_with_wrong_check_character_is_422_uscc_invalid(api):
    response = api.post("organizations/register", register_body(uscc="91110000600037341A"), status=422)
    assert response.json["error"]["code"] == "rules.violated"
    assert [d["rule"] for d in response.json["error"]["details"]] == ["org.uscc_invalid"]


@pytest.mark.parametrize("code", ["9111000060003734", "91110000600037341LX", "9111000060003734IL"])
def test_register_with_wrong_length_or_character_is_422(api, code):
    response = api.post("organizations/register", register_body(uscc=code), status=422)
    assert response.json["error"]["details"][0]["rule"] == "org.uscc_invalid"


def test_register_known_uscc_is_409_org_exists(api):
    api.post("organizations/register", register_body(), status=201)
    response = api.post("organizations/register", register_body(username="other"), status=409)
    assert response.json["error"]["code"] == "org.exists"


def test_register_weak_password_is_422(api):
    response = api.post("organizations/register", register_body(password="short"), status=422)
    assert response.json["error"]["details"][0]["rule"] == "auth.password_weak"


def test_refused_registration_stores_nothing(api, dbsession):
    api.post("organizations/register", register_body(password="short"), status=422)
    assert dbsession.execute(select(User).where(User.username == "supplier")).first() is None


def test_officer_creates_owner_organisation(logged_in):
    body = {"name": "City Water Bureau", "uscc": full_uscc("11330100002500999"), "kind": "owner"}
    response = logged_in.post("organizations", body, as_user="officer", status=201)
    assert response.json["kind"] == "owner"
    listed = logged_in.get("organizations?kind=owner", as_user="officer").json
    assert [o["name"] for o in listed["items"]] == ["City Water Bureau"]


def test_bidder_may_not_create_organisations(logged_in):
    body = {"name": "X", "uscc": full_uscc("11330100002500999"), "kind": "owner"}
    response = logged_in.post("organizations", body, as_user="bidder", status=403)
    assert response.json["error"]["code"] == "auth.forbidden"


def test_admin_creates_user_and_user_creation_is_audited(logged_in, dbsession):
    response = logged_in.post("users", {"username": "newofficer", "password": "0123456789", "role": "officer"},
                              as_user="admin", status=201)
    assert response.json["role"] == "officer"
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "user.create")
                              .order_by(AuditEvent.seq.desc())).scalars().first()
    assert event.object_id == response.json["id"]
    assert event.actor_id == logged_in.get("me", as_user="admin").json["id"]


@pytest.mark.parametrize("role", ["officer", "bidder", "expert", "inspector"])
def test_only_admin_creates_users(logged_in, role):
    body = {"username": "someone", "password": "0123456789", "role": "officer"}
    logged_in.post("users", body, as_user=role, status=403)


def test_duplicate_username_is_409(logged_in):
    body = {"username": "officer", "password": "0123456789", "role": "officer"}
    assert logged_in.post("users", body, as_user="admin", status=409).json["error"]["code"] == "user.exists"


def test_password_is_rehashed_when_cost_settings_change(api, users, registry, dbsession):
    from trading.security import Passwords

    old = users["officer"].password_hash
    assert "m=64," in old
    original = registry["passwords"]
    registry["passwords"] = Passwords(1, 128, 1)
    try:
        api.login("officer", PASSWORD)
    finally:
        registry["passwords"] = original
    stored = dbsession.execute(select(User.password_hash).where(User.username == "officer")).scalar_one()
    assert "m=128," in stored and stored != old


def test_me_answers_the_user_and_a_bidders_organisation(logged_in, users):
    bidder = logged_in.get("me", as_user="bidder", status=200).json
    assert {k: bidder[k] for k in ("id", "username", "role", "org_id", "expert_id", "display_name")} == {
        "id": users["bidder"].id, "username": "bidder", "role": "bidder", "org_id": users["bidder"].org_id,
        "expert_id": None, "display_name": None}
    assert bidder["organization"]["id"] == users["bidder"].org_id
    assert bidder["organization"]["name"] == "Test Bidder Co"
    officer = logged_in.get("me", as_user="officer", status=200).json
    assert officer["role"] == "officer" and "organization" not in officer
