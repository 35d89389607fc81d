"""The sandbox's OAuth pages: the login form a browser sees, and plain message pages.

The form carries only the pending sign-in's user code; everything else about the request
(client, redirect URI, state, PKCE challenge) stays on the server, so a page cannot alter it.
"""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

_STYLE = (
    "body{font-family:sans-serif;max-width:28em;margin:3em auto}label{display:block;margin:.6em 0}"
)


def _page(title: str, body: str, status: int) -> HTMLResponse:
    html = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    # Pages about a sign-in must not be cached or framed.
    headers = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}
    return HTMLResponse(html, status_code=status, headers=headers)


def login_page(
    *, client_name: str, user_code: str, device: bool, error: str = "", status: int = 200
) -> HTMLResponse:
    """Ask a seeded user to sign in and approve (or deny) `client_name`."""
    code_field = (
        f"<label>Code shown on your device <input name='user_code' value='{escape(user_code)}'"
        " autocomplete='off' required></label>"
        if device
        else f"<p>Request code <b>{escape(user_code)}</b></p>"
        f"<input type='hidden' name='user_code' value='{escape(user_code)}'>"
    )
    warning = f"<p role='alert'><b>{escape(error)}</b></p>" if error else ""
    body = (
        f"<p>{escape(client_name)} asks to use Anaplan as you.</p>{warning}"
        "<form method='post' action='/auth/authorize'>"
        f"{code_field}"
        "<label>Email <input name='username' type='email' autocomplete='username'></label>"
        "<label>Password <input name='password' type='password' autocomplete='current-password'>"
        "</label>"
        "<button name='action' value='approve'>Sign in and allow</button> "
        "<button name='action' value='deny' formnovalidate>Deny</button>"
        "</form>"
    )
    return _page("Sign in to Anaplan (sandbox)", body, status)


def message_page(title: str, text: str, status: int = 200) -> HTMLResponse:
    """A page that only says something (a device approved, a request refused)."""
    return _page(title, f"<p>{escape(text)}</p>", status)
