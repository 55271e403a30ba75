"""Settings are read and checked in one place; a bad value names the setting."""
import pytest

from trading.settings import SettingsError, read

BASE = {"sqlalchemy.url": "sqlite:///x.sqlite"}


def test_defaults_are_those_of_development_ini():
    settings = read(BASE)
    assert settings["ggzy.clock"] == "system"
    assert settings["ggzy.default_locale"] == "zh_CN"
    assert settings["ggzy.upload_max_bytes"] == 104857600
    assert settings["ggzy.invitation_minutes"] == 30
    assert settings["ggzy.token_hours"] == 12
    assert settings["ggzy.trusted_proxies"] == ()


@pytest.mark.parametrize("name, value", [
    ("ggzy.clock", "sundial"), ("ggzy.scheduler", "cron"), ("ggzy.default_locale", "fr"),
    ("ggzy.upload_max_bytes", "lots"), ("ggzy.token_hours", "0"), ("ggzy.trusted_proxies", "10.0.0.0/33"),
    ("sqlalchemy.url", "mysql://x"), ("ggzy.bank_secret", ""),
])
def test_bad_value_names_the_setting(name, value):
    with pytest.raises(SettingsError) as raised:
        read({**BASE, name: value})
    assert raised.value.name == name and name in str(raised.value)


def test_database_url_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    assert read({"sqlalchemy.url": "env:DATABASE_URL"})["sqlalchemy.url"] == "postgresql+psycopg://u@h/db"


def test_missing_environment_variable_names_the_setting(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(SettingsError, match="sqlalchemy.url"):
        read({"sqlalchemy.url": "env:DATABASE_URL"})


def test_trusted_proxies_take_addresses_and_cidrs():
    proxies = read({**BASE, "ggzy.trusted_proxies": "127.0.0.1, 10.1.0.0/16"})["ggzy.trusted_proxies"]
    assert [str(n) for n in proxies] == ["127.0.0.1/32", "10.1.0.0/16"]
