"""The organisations' contact keys that the shared-contact rule looks up: kept by the model, filled by 0009."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, select, text

from trading import migrate, testing
from trading.demo import full_uscc
from trading.models import Organization
from trading.models.accounts import contact_key


def test_contact_key_drops_every_whitespace_and_lowers_case():
    assert contact_key(" 0571-8800\u30000000\t") == "0571-88000000"  # an ideographic space too
    assert contact_key("Shadow@Example.COM") == "shadow@example.com"
    assert contact_key("  ") is None and contact_key(None) is None


def test_the_keys_follow_the_contact_fields_on_insert_and_update(dbsession):
    org = Organization(name="影子公司", uscc=full_uscc("91330100MA2D00088"), kind="bidder", phone=" 0571 8800 ",
                       email="A@B.cn", legal_representative="某 甲", created_at=datetime.now(timezone.utc))
    dbsession.add(org)
    dbsession.flush()
    assert (org.phone_key, org.email_key, org.representative_key) == ("05718800", "a@b.cn", "某甲")
    org.phone, org.legal_representative = "0571-1234", None
    dbsession.flush()
    stored = dbsession.execute(select(Organization.phone_key, Organization.representative_key)
                               .where(Organization.id == org.id)).one()
    assert tuple(stored) == ("0571-1234", None)


@pytest.fixture
def scratch_url(backend, tmp_path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite'}"
        return
    name, url = testing.create_pg_database(prefix="ggzy_migrate")
    try:
        yield url
    finally:
        testing.drop_pg_database(name)


def test_migration_0009_fills_the_keys_of_existing_organisations(scratch_url):
    engine = create_engine(scratch_url)
    try:
        migrate.upgrade(engine, "0008")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO organizations (id, name, uscc, kind, phone, email, legal_representative, created_at) "
                "VALUES ('o1', 'A', 'U1', 'bidder', ' 0571 88 ', 'X@Y.CN', NULL, '2026-11-26 00:00:00')"))
        migrate.upgrade(engine)
        with engine.connect() as connection:
            row = connection.execute(text(
                "SELECT phone_key, email_key, representative_key FROM organizations WHERE id = 'o1'")).one()
        assert tuple(row) == ("057188", "x@y.cn", None)
    finally:
        engine.dispose()
