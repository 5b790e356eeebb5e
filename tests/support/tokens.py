"""A stand-in for the Bot Framework's token issuer: OpenID metadata, signing keys, signed JWTs.

The SDK fetches metadata with blocking `requests`, so it is served from a thread, not the loop.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.test"
KID = "bridgepulse-test-key"


@dataclass
class Issuer:
    base: str
    key: rsa.RSAPrivateKey
    other_key: rsa.RSAPrivateKey

    @property
    def overrides(self) -> dict[str, str]:
        return {
            "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": f"{self.base}/openid",
            "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": ISSUER,
        }

    def token(self, *, aud: str, serviceurl: str, foreign: bool = False) -> str:
        """A token as the Teams channel signs it; `foreign` signs with a key nobody published."""
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": aud, "serviceurl": serviceurl, "nbf": now, "exp": now + 600}
        key = self.other_key if foreign else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


@contextmanager
def token_issuer() -> Iterator[Issuer]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    public |= {"kid": KID, "use": "sig", "endorsements": ["msteams"]}
    documents: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            body = json.dumps(documents.get(self.path, {})).encode()
            self.send_response(200 if self.path in documents else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    documents["/openid"] = {"issuer": ISSUER, "jwks_uri": f"{base}/keys"}
    documents["/keys"] = {"keys": [public]}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Issuer(base, key, other)
    finally:
        server.shutdown()
        server.server_close()
