"""Anaplan hosts per region, and the base URLs the client talks to.

Sources: contract sheet §1.1 (CloudWorks hosts) and §9.1 (auth hosts); the Integration API hosts
outside the global group are not in the sheet and are inferred (see `_api_host`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

GLOBAL_REGIONS = ("us1", "us2", "us5", "us7", "eu1", "eu2", "eu4", "ap1")
"""Regions served by the global hosts (api.cloudworks.anaplan.com, auth.anaplan.com)."""

DEDICATED_REGIONS = ("eu3", "eu5", "gb1", "us9", "sg1", "ae1", "in1", "id1", "me1")
"""Regions with `{region}.api.anaplan.com` / `{region}.auth.anaplan.com` hosts."""

REGIONS = (*GLOBAL_REGIONS, "au1a", "ca1a", *DEDICATED_REGIONS)
"""Every region code accepted by `endpoints_for`, `us1` (the default) first."""

DEFAULT_REGION = "us1"


@dataclass(frozen=True)
class Endpoints:
    """The three base URLs: CloudWorks and the Integration API include `/2/0`, auth does not."""

    cloudworks_url: str
    auth_url: str
    api_url: str


def _cloudworks_host(region: str) -> str:
    if region in GLOBAL_REGIONS:
        return "https://api.cloudworks.anaplan.com/2/0"
    if region == "au1a":
        return "https://api.cloudworks.au1a.app2.anaplan.com/2/0"
    # The `/cloudworks` hosts get `/2/0` appended by analogy with the live-confirmed
    # https://api.anaplan.com/cloudworks/2/0 (contract sheet §1.1, INF).
    return f"https://{region}.api.anaplan.com/cloudworks/2/0"


def _auth_host(region: str) -> str:
    if region in GLOBAL_REGIONS:
        return "https://auth.anaplan.com"
    if region == "au1a":
        return "https://au1a.app2.anaplan.com"
    return f"https://{region}.auth.anaplan.com"


def _api_host(region: str) -> str:
    if region in GLOBAL_REGIONS:
        return "https://api.anaplan.com/2/0"
    # Inferred, not documented: by analogy with the regional CloudWorks hosts, the Integration
    # API is assumed to live at `{region}.api.anaplan.com/2/0` (AU and CA included).
    return f"https://{region}.api.anaplan.com/2/0"


def oauth_url_for(region: str = DEFAULT_REGION) -> str:
    """The OAuth service of a region (contract sheet §9.5): `{host}.app.anaplan.com`, not the auth
    service's host.

    The sheet gives us1 -> `us1a.app.anaplan.com` and AU -> `au1a.app2.anaplan.com`; the other
    regions' hosts are inferred the same way (the code with its `a` suffix), so ANAPLAN_OAUTH_URL
    can override them.
    """
    code = region.strip().lower()
    if code not in REGIONS:
        raise ValueError(f"unknown Anaplan region {region!r}; valid regions: {', '.join(REGIONS)}")
    host = code if code.endswith("a") else f"{code}a"
    return (
        f"https://{host}.app2.anaplan.com" if code == "au1a" else f"https://{host}.app.anaplan.com"
    )


def url_problem(url: str) -> str | None:
    """What makes `url` unusable as a base URL, in a few words; None when it can be used."""
    text = url.strip()
    if not text or any(char.isspace() for char in text):
        return "is empty or contains a space"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 -- parsing the port is the check: "host:abc" raises
    except ValueError:
        return "is not a valid URL (check the host and the port)"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http(s) URL with a host"
    if parts.query or parts.fragment:
        return "must not carry a query string or fragment"
    if parts.username is not None:
        return "must not carry a user name or password"
    return None


def _check_url(name: str, url: str) -> str:
    problem = url_problem(url)
    if problem is not None:
        raise ValueError(f"{name} {problem}; give a base URL such as https://host/2/0")
    return url.strip().rstrip("/")


def endpoints_for(
    region: str = DEFAULT_REGION,
    *,
    cloudworks_url: str | None = None,
    auth_url: str | None = None,
    api_url: str | None = None,
) -> Endpoints:
    """The base URLs of a region, with any explicit URL overriding the region's host.

    Raises `ValueError` listing the valid codes when the region is unknown.
    """
    code = region.strip().lower()
    if code not in REGIONS:
        raise ValueError(f"unknown Anaplan region {region!r}; valid regions: {', '.join(REGIONS)}")
    return Endpoints(
        cloudworks_url=_check_url("cloudworks_url", cloudworks_url or _cloudworks_host(code)),
        auth_url=_check_url("auth_url", auth_url or _auth_host(code)),
        api_url=_check_url("api_url", api_url or _api_host(code)),
    )
