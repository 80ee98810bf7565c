import secrets

import pytest

from redisbank import config
from redisbank.cookies import TokenSigner
from redisbank.errors import InsecureConfiguration

SECRET = "a-test-secret-that-is-long-enough-1234"


def test_a_signed_token_comes_back_and_a_flipped_byte_does_not():
    signer = TokenSigner(SECRET)
    token = secrets.token_urlsafe(32)
    value = signer.sign(token)
    assert value.startswith(token + ".")
    assert signer.unsign(value) == token
    for position in (0, 20, len(value) - 10):
        flipped = "A" if value[position] != "A" else "B"
        assert signer.unsign(value[:position] + flipped + value[position + 1 :]) is None


def test_another_secret_or_a_non_token_is_refused():
    token = secrets.token_urlsafe(32)
    assert TokenSigner(SECRET).unsign(TokenSigner(SECRET + "x").sign(token)) is None
    signer = TokenSigner(SECRET)
    assert signer.unsign(signer.sign("short")) is None
    assert signer.unsign("") is None
    assert signer.unsign("no signature at all") is None


def test_the_demo_secret_needs_demo_mode_and_short_secrets_are_refused():
    with pytest.raises(InsecureConfiguration, match="REDISBANK_DEMO_MODE=1"):
        TokenSigner(config.DEMO_SESSION_SECRET)
    assert TokenSigner(config.DEMO_SESSION_SECRET, demo_mode=True)
    with pytest.raises(InsecureConfiguration, match="has 5 characters"):
        TokenSigner("short", demo_mode=True)
