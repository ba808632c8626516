"""registered_domain: what part of a host name a company owns, offline, with the private PSL."""

import socket

import pytest

from accounts.domains import registered_domain


@pytest.mark.parametrize(
    "value, expected",
    [
        ("https://www.eu.acme.co.uk/path", "acme.co.uk"),
        ("www.Acme.com", "acme.com"),
        ("ACME.COM.", "acme.com"),
        ("http://user:secret@shop.acme.de:8443/cart?x=1#top", "acme.de"),
        ("jane.doe@Sales.Acme.com", "acme.com"),
        ("foo.github.io", "foo.github.io"),  # private suffix: GitHub Pages sites are separate owners
        ("docs.foo.github.io", "foo.github.io"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("example.com.au", "example.com.au"),
    ],
)
def test_registered_domain_normalises_urls_hosts_and_emails(value, expected):
    assert registered_domain(value) == expected


@pytest.mark.parametrize(
    "value", ["", "   ", "acme", "co.uk", "github.io", "192.168.0.1", "acme .com", "-acme.com", "ac_me.com"]
)
def test_values_without_a_registered_domain_are_none(value):
    assert registered_domain(value) is None


def test_registered_domain_never_touches_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("registered_domain tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    registered_domain.cache_clear()
    assert registered_domain("https://www.brand-new-example.co.uk") == "brand-new-example.co.uk"
