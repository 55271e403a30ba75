"""Migration 0009 (the organisations' contact keys the shared-contact rule looks up) and the schema check at start.

The keys are kept by the model and filled for existing rows by the migration; a server or scheduler started on a
database whose schema is behind the code refuses to start, naming the command that upgrades it.
"""
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
def scratch_url(backend):
    with testing.scratch_database(backend, prefix="ggzy_migrate") as url:
        yield url


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


def test_the_app_refuses_to_start_on_a_schema_behind_the_code_and_starts_once_upgraded(scratch_url, tmp_path):
    import trading
    from trading.migrate import SchemaBehind

    settings = testing.app_settings(scratch_url, tmp_path / "files")
    with pytest.raises(SchemaBehind, match=r"nothing \(an empty database\).*ggzy initdb"):
        trading.main({}, **settings)
    engine = create_engine(scratch_url)
    try:
        migrate.upgrade(engine, "0008")
        with pytest.raises(SchemaBehind, match=r"at 0008, this code needs 0009: run `ggzy initdb INI`"):
            trading.main({}, **settings)
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    assert callable(trading.main({}, **settings))


def test_a_database_that_does_not_answer_is_left_to_the_requests(tmp_path):
    import trading

    settings = testing.app_settings("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", tmp_path / "files")
    assert callable(trading.main({}, **settings))  # it starts, and answers 503 until the database is back


def test_the_scheduler_refuses_a_schema_behind_the_code(scratch_url, tmp_path, capsys):
    from trading import cli

    engine = create_engine(scratch_url)
    try:
        migrate.upgrade(engine, "0008")
    finally:
        engine.dispose()
    ini = tmp_path / "behind.ini"
    ini.write_text(f"""[app:main]
use = egg:ggzy
sqlalchemy.url = {scratch_url}
ggzy.storage_dir = {tmp_path / "files"}
ggzy.session_secret = test-session-secret
ggzy.bank_secret = test-bank-secret
""", encoding="utf-8")
    assert cli.main(["scheduler", str(ini)]) == 2
    assert "this code needs 0009: run `ggzy initdb INI`" in capsys.readouterr().err
