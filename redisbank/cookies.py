"""Signing the session token that a cookie or a bearer header carries.

The value a client holds is the session token followed by an HMAC of it under
the server's secret (itsdangerous, SHA-1 HMAC by default, which is sound as a
MAC). A value changed by one byte fails the check before Redis is asked, so a
forged or mangled credential costs the server no lookup. The signature is not
what keeps a session alive: expiry is decided by the store at every read.
"""

import re

from itsdangerous import BadSignature, Signer

from redisbank import config
from redisbank.errors import InsecureConfiguration

# token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


class TokenSigner:
    """Signs session tokens for the client and checks what the client sends back."""

    def __init__(self, secret: str, *, demo_mode: bool = False):
        if secret == config.DEMO_SESSION_SECRET and not demo_mode:
            raise InsecureConfiguration(
                config.ENV_SESSION_SECRET,
                "is the published demo secret",
                f"set it to a long random value, or set {config.ENV_DEMO_MODE}=1 "
                "to run the demo",
            )
        if len(secret) < config.SESSION_SECRET_MIN_CHARS:
            raise InsecureConfiguration(
                config.ENV_SESSION_SECRET,
                f"has {len(secret)} characters",
                f"use at least {config.SESSION_SECRET_MIN_CHARS}, for example "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`",
            )
        self._signer = Signer(secret, salt="redisbank.session-token")

    def sign(self, token: str) -> str:
        """Return the value to hand the client for token."""
        return self._signer.sign(token).decode()

    def unsign(self, value: str) -> str | None:
        """Return the token inside a signed value, or None if it is not genuine.

        None covers a bad signature, a value that is not ours at all, and a
        genuine signature over something that is not a session token.
        """
        try:
            token = self._signer.unsign(value.encode()).decode()
        except (BadSignature, UnicodeError):
            return None
        return token if _TOKEN.fullmatch(token) else None
