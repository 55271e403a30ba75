"""The client address rule of API.md, with and without trusted proxies."""
import pytest
from pyramid.testing import DummyRequest

from trading.security import Passwords, client_addr
from trading.settings import read


def request_from(remote, forwarded=None, proxies=""):
    request = DummyRequest(environ={"REMOTE_ADDR": remote}, headers={"X-Forwarded-For": forwarded} if forwarded else {})
    request.registry.settings = read({"sqlalchemy.url": "sqlite://", "ggzy.trusted_proxies": proxies})
    return request


@pytest.mark.parametrize("remote, forwarded, proxies, expected", [
    ("203.0.113.5", None, "", "203.0.113.5"),
    ("203.0.113.5", "198.51.100.1", "", "203.0.113.5"),  # no trusted proxy: the header is ignored
    ("127.0.0.1", "198.51.100.1", "127.0.0.1", "198.51.100.1"),
    ("127.0.0.1", "1.1.1.1, 198.51.100.1, 10.0.0.2", "127.0.0.1, 10.0.0.0/8", "198.51.100.1"),
    ("127.0.0.1", None, "127.0.0.1", "127.0.0.1"),
    ("127.0.0.1", "garbage", "127.0.0.1", "127.0.0.1"),
    ("10.0.0.9", "198.51.100.1", "127.0.0.1", "10.0.0.9"),  # an untrusted peer cannot forge the header
])
def test_client_address(remote, forwarded, proxies, expected):
    assert client_addr(request_from(remote, forwarded, proxies)) == expected


def test_passwords_are_argon2id_with_the_configured_cost():
    passwords = Passwords(1, 64, 1)
    stored = passwords.hash("a secret phrase")
    assert stored.startswith("$argon2id$") and "m=64,t=1,p=1" in stored
    assert passwords.verify(stored, "a secret phrase") == (True, False)
    assert passwords.verify(stored, "wrong") == (False, False)
    assert Passwords(2, 64, 1).verify(stored, "a secret phrase") == (True, True)
