"""OAuth settings: one line per wrong value, the region's OAuth host, and which way in wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from anaplan_mcp.cloudworks.regions import oauth_url_for
from anaplan_mcp.oauth.client import OAuthTokens
from anaplan_mcp.oauth.store import FileSignInStore, sign_in_key
from anaplan_mcp.settings import SettingsError, load_settings


def test_the_oauth_host_comes_from_the_region() -> None:
    assert oauth_url_for("us1") == "https://us1a.app.anaplan.com"
    assert oauth_url_for("au1a") == "https://au1a.app2.anaplan.com"
    assert oauth_url_for("ca1a") == "https://ca1a.app.anaplan.com"
    assert load_settings(region="eu1").oauth_url == "https://eu1a.app.anaplan.com"
    given = load_settings(oauth_url="http://127.0.0.1:9/", region="eu1")
    assert given.oauth_url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"oauth_url": "ftp://x"}, "ANAPLAN_OAUTH_URL: not an http(s) URL"),
        (
            {"oauth_redirect_uri": "https://127.0.0.1:8976/cb"},
            "ANAPLAN_OAUTH_REDIRECT_URI: must be",
        ),
        ({"oauth_redirect_uri": "http://example.com:8976/cb"}, "http loopback URL with a port"),
        ({"oauth_redirect_uri": "http://127.0.0.1/callback"}, "http loopback URL with a port"),
        ({"oauth_client_secret": "env:HOME"}, "ANAPLAN_OAUTH_CLIENT_SECRET: an env: reference"),
    ],
)
def test_wrong_values_are_one_line_naming_the_variable(given: dict[str, str], words: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(**given)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_client_secret_may_name_an_anaplan_secret_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANAPLAN_SECRET_OAUTH", "s3cret")
    settings = load_settings(oauth_client_secret="env:ANAPLAN_SECRET_OAUTH")
    assert settings.oauth_client_secret is not None
    assert settings.oauth_client_secret.get_secret_value() == "s3cret"
    assert load_settings(oauth_redirect_uri="http://localhost:9000/x").oauth_redirect_uri


def test_oauth_wins_over_certificate_and_basic_only_with_a_stored_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "sign-in.json"
    monkeypatch.setenv("ANAPLAN_MCP_TOKEN_STORE", str(store))
    basic = {"username": "u@example.com", "password": "p", "oauth_client_id": "cid"}
    assert load_settings(**basic).auth_mode == "basic"
    FileSignInStore(store, sign_in_key("other", oauth_url_for("us1")))._write(
        {"sign_ins": {sign_in_key("cid", oauth_url_for("us1")): OAuthTokens("a", "r", 1).to_dict()}}
    )
    assert load_settings(**basic).auth_mode == "oauth"
    assert load_settings(**basic, region="eu3").auth_mode == "basic"  # another host: not this one
    assert load_settings(**basic, token_passthrough=True).auth_mode == "passthrough"
    assert load_settings(**basic, sandbox=True).auth_mode == "sandbox"


def test_the_stored_sign_in_is_looked_up_once_per_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A keyring may ask the person to unlock it: starting a server must not ask three times.
    monkeypatch.setenv("ANAPLAN_MCP_TOKEN_STORE", str(tmp_path / "sign-in.json"))
    reads: list[Path] = []
    original = FileSignInStore.holds

    def counted(self: FileSignInStore) -> bool:
        reads.append(self.path)
        return original(self)

    monkeypatch.setattr(FileSignInStore, "holds", counted)
    settings = load_settings(username="u@example.com", password="p", oauth_client_id="cid")
    assert [settings.auth_mode for _ in range(3)] == ["basic"] * 3
    assert len(reads) == 1


def test_no_credentials_names_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from anaplan_mcp.server.app import _auth

    monkeypatch.setenv("ANAPLAN_MCP_TOKEN_STORE", str(tmp_path / "none.json"))
    with pytest.raises(SettingsError, match="anaplan-mcp login"):
        _auth(load_settings())
    with pytest.raises(SettingsError, match=r"no Anaplan sign-in is stored .* `anaplan-mcp login`"):
        _auth(load_settings(oauth_client_id="cid"))
