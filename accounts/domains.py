"""Registered domains: the part of a host name a company actually owns.

`https://www.eu.acme.co.uk/path` → `acme.co.uk`. Uses the Public Suffix List bundled with
tldextract (never the network, never a cache directory), including the private section so a
customer on `foo.github.io` is not merged with every other GitHub Pages site.
"""

import re
from functools import lru_cache

import tldextract

_extract = tldextract.TLDExtract(
    cache_dir=None,  # no cache directory: works read-only and offline
    suffix_list_urls=(),  # the bundled snapshot only, never an HTTP request
    fallback_to_snapshot=True,
    include_psl_private_domains=True,
)

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


@lru_cache(maxsize=65536)
def registered_domain(value: str) -> str | None:
    """The registered domain of a host name, URL or email address, lower-case; None if there is none.

    Accepts `acme.com`, `www.acme.com`, `https://eu.acme.co.uk/x?y`, `ACME.COM.`, `jane@acme.com`
    and IDNs (returned in punycode). Returns None for IP addresses, bare public suffixes
    (`co.uk`), single labels (`localhost`) and anything with characters a host cannot have.
    """
    text = (value or "").strip().lower()
    if not text:
        return None
    if "@" in text and not _SCHEME.match(text):
        text = text.rsplit("@", 1)[1]
    text = _SCHEME.sub("", text)
    host = re.split(r"[/?#]", text, maxsplit=1)[0]
    if "@" in host:  # user:password@host
        host = host.rsplit("@", 1)[1]
    host = host.split(":", 1)[0].rstrip(".")
    if not host or any(ch.isspace() for ch in host):
        return None
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    parts = _extract(host)
    if not parts.suffix or not parts.domain:
        return None
    return parts.top_domain_under_public_suffix
