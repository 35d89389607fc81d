"""Region hosts and URL overrides."""

from __future__ import annotations

import pytest

from anaplan_mcp.cloudworks import REGIONS, Endpoints, endpoints_for


def test_default_region_uses_the_global_hosts() -> None:
    assert endpoints_for() == Endpoints(
        cloudworks_url="https://api.cloudworks.anaplan.com/2/0",
        auth_url="https://auth.anaplan.com",
        api_url="https://api.anaplan.com/2/0",
    )


@pytest.mark.parametrize("region", ["us2", "us5", "us7", "eu1", "eu2", "eu4", "ap1"])
def test_global_group_shares_the_default_hosts(region: str) -> None:
    assert endpoints_for(region) == endpoints_for("us1")


def test_dedicated_region_hosts() -> None:
    gb = endpoints_for("GB1")
    assert gb.cloudworks_url == "https://gb1.api.anaplan.com/cloudworks/2/0"
    assert gb.auth_url == "https://gb1.auth.anaplan.com"
    assert gb.api_url == "https://gb1.api.anaplan.com/2/0"


def test_australia_and_canada_have_their_own_hosts() -> None:
    au, ca = endpoints_for("au1a"), endpoints_for("ca1a")
    assert au.cloudworks_url == "https://api.cloudworks.au1a.app2.anaplan.com/2/0"
    assert au.auth_url == "https://au1a.app2.anaplan.com"
    assert ca.cloudworks_url == "https://ca1a.api.anaplan.com/cloudworks/2/0"
    assert ca.auth_url == "https://ca1a.auth.anaplan.com"


def test_every_region_resolves_to_distinct_https_hosts() -> None:
    for region in REGIONS:
        endpoints = endpoints_for(region)
        assert all(url.startswith("https://") for url in vars(endpoints).values())
    assert len(REGIONS) == 19


def test_unknown_region_lists_the_valid_codes() -> None:
    with pytest.raises(ValueError, match="unknown Anaplan region") as info:
        endpoints_for("xx9")
    assert "us1" in str(info.value)
    assert "me1" in str(info.value)


def test_overrides_win_and_lose_their_trailing_slash() -> None:
    endpoints = endpoints_for(
        "eu3",
        cloudworks_url="http://localhost:8765/2/0/",
        auth_url="http://localhost:8765",
        api_url="http://localhost:8765/2/0",
    )
    assert endpoints.cloudworks_url == "http://localhost:8765/2/0"
    assert endpoints.auth_url == "http://localhost:8765"


def test_override_must_be_an_http_url_and_is_not_echoed() -> None:
    with pytest.raises(ValueError, match="cloudworks_url") as info:
        endpoints_for(cloudworks_url="ftp://user:hunter2@host/2/0")
    assert "hunter2" not in str(info.value)
