"""A stand-in identity provider: an RSA key pair and its JWKS on a real local HTTP port.

Only the identity provider is faked; the verifier under test fetches the keys over the socket
as it would from the real one."""

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://login.example.se/realms/kommunen"
AUDIENCE = "halsosupport-api"


class IdentityProvider:
    """Signs tokens with its private key; `jwks_url` serves the public half."""

    def __init__(self, jwks_url: str) -> None:
        self.jwks_url = jwks_url
        self.kid = f"key-{uuid.uuid4().hex[:8]}"  # unique: verifiers cache keys by kid
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.requests = 0

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = datetime.now(UTC)
        claims = {
            "sub": "staff-1",
            "role": "nurse",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now + timedelta(minutes=5),
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, headers: dict[str, Any] | None = None, **overrides: Any) -> str:
        return jwt.encode(
            self.claims(**overrides),
            self.private_key,
            algorithm="RS256",
            headers={"kid": self.kid, **(headers or {})},
        )


@contextmanager
def identity_provider() -> Iterator[IdentityProvider]:
    """Serve a fresh key pair's JWKS on 127.0.0.1 and a free port until the block ends."""
    holder: list[IdentityProvider] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            provider = holder[0]
            provider.requests += 1
            body = json.dumps(provider.jwks()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(IdentityProvider(f"http://127.0.0.1:{server.server_address[1]}/jwks"))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
