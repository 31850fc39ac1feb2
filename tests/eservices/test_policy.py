"""The allow-list lets the web view show the e-service's own sites and nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.eservices.policy import AllowList, Origin, OriginError, origin_of

ALLOWED = AllowList.of(["https://permis.example.org", "http://127.0.0.1:8471"])


@pytest.mark.parametrize(
    "url",
    [
        "https://permis.example.org/",
        "https://permis.example.org/renouveler?etape=2#photo",
        "https://PERMIS.example.org:443/x",
        "http://127.0.0.1:8471/recu",
        "about:blank",
        "",
    ],
)
def test_pages_of_the_allowed_origins_open(url: str) -> None:
    assert ALLOWED.allows(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://permis.example.org/",  # another scheme is another origin
        "https://permis.example.org:8443/",  # another port
        "https://example.org/",  # the parent domain
        "https://evil.permis.example.org/",  # a subdomain
        "https://permis.example.org.evil.test/",  # a look-alike
        "https://permis.example.org@evil.test/",  # credentials trick: the host is evil.test
        "http://127.0.0.1:8472/",
        "javascript:alert(1)",
        "data:text/html,<h1>x</h1>",
        "file:///etc/passwd",
        "chrome://settings",
        "https://permis.example.org:99999/",  # not a port
    ],
)
def test_everything_else_is_refused(url: str) -> None:
    assert not ALLOWED.allows(url)


@pytest.mark.parametrize(
    "text",
    ["https://a.example/path", "https://a.example?q=1", "ftp://a.example", "a.example", "https://"],
)
def test_an_origin_has_no_path_query_or_odd_scheme(text: str) -> None:
    with pytest.raises(OriginError):
        Origin.parse(text)


def test_default_ports_are_the_same_origin_written_two_ways() -> None:
    assert Origin.parse("https://a.example") == Origin.parse("https://a.example:443/")
    assert str(Origin.parse("http://a.example:8080")) == "http://a.example:8080"
    assert str(Origin.parse("https://A.example:443")) == "https://a.example"


def test_an_empty_allow_list_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="at least one origin"):
        AllowList([])


hosts = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z]{2,5}){1,2}", fullmatch=True)
paths = st.from_regex(r"(/[A-Za-z0-9_.-]{0,8}){0,3}", fullmatch=True)


@given(
    scheme=st.sampled_from(["http", "https"]),
    host=hosts,
    port=st.integers(1, 65535),
    path=paths,
    other_port=st.integers(1, 65535),
)
def test_a_url_is_allowed_exactly_when_its_origin_is_listed(
    scheme: str, host: str, port: int, path: str, other_port: int
) -> None:
    url = f"{scheme}://{host}:{port}{path}"
    assert origin_of(url) == Origin(scheme, host, port)
    assert AllowList([Origin(scheme, host, port)]).allows(url)
    listed = AllowList([Origin(scheme, host, other_port)])
    assert listed.allows(url) == (other_port == port)
