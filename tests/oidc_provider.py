"""A small OpenID Connect provider on a loopback port, for the sign-in tests.

It does what an organisation's provider (Keycloak, Entra, Authentik...) does for Forumdeck's
sign-in, and checks what they check: the discovery document, the signing keys (JWKS), the
authorization page (a form: "sign in as"), the token endpoint (client secret, one-time code,
PKCE verifier, redirect URI) and userinfo (bearer token). ID tokens are RS256-signed with a
key generated for each provider, with the groups claim beside the usual ones.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Person:
    username: str
    email: str = ""
    name: str = ""
    groups: list[str] = field(default_factory=list)

    @property
    def sub(self) -> str:
        return f"sub-{self.username}"


@dataclass
class _Grant:
    person: Person
    client_id: str
    redirect_uri: str
    nonce: str | None
    challenge: str | None


class IdentityProvider:
    def __init__(self, *, client_id: str = "forumdeck", client_secret: str | None = None):
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.people: dict[str, Person] = {}
        self.groups_claim = "groups"
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self._codes: dict[str, _Grant] = {}
        self._tokens: dict[str, Person] = {}
        self.token_requests = 0
        self.server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- serving ---------------------------------------------------------------------------
    def start(self) -> IdentityProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> IdentityProvider:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def add(self, username: str, *, groups=(), email: str = "", name: str = "") -> Person:
        person = Person(
            username, email or f"{username}@example.org", name or username, list(groups)
        )
        self.people[username] = person
        return person

    # -- endpoints -------------------------------------------------------------------------
    def _wsgi(self, environ, start_response):
        request = Request(environ)
        route = {
            "/.well-known/openid-configuration": self._discovery,
            "/jwks": self._jwks,
            "/authorize": self._authorize,
            "/token": self._token,
            "/userinfo": self._userinfo,
        }.get(request.path)
        response = route(request) if route else Response("not found", status=404)
        return response(environ, start_response)

    def _json(self, data: dict, status: int = 200) -> Response:
        return Response(json.dumps(data), status=status, mimetype="application/json")

    def _discovery(self, request: Request) -> Response:
        return self._json(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "userinfo_endpoint": f"{self.url}/userinfo",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "client_secret_basic",
                ],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "profile", "email"],
            }
        )

    def _jwks(self, request: Request) -> Response:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return self._json({"keys": [jwk]})

    def _authorize(self, request: Request) -> Response:
        args = request.values
        if args.get("client_id") != self.client_id or args.get("response_type") != "code":
            return Response("unknown client or response type", status=400)
        if "openid" not in args.get("scope", "").split():
            return Response("the openid scope is required", status=400)
        if request.method == "GET":
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in args.items()
            )
            page = (
                "<!DOCTYPE html><html lang='en'><head><title>Test identity provider</title>"
                "</head><body><h1>Test identity provider</h1>"
                f"<form method='post' action='/authorize'>{hidden}"
                "<label for='who'>Your organisation username</label> "
                "<input id='who' name='who' autocomplete='off'> "
                "<button type='submit'>Continue</button></form></body></html>"
            )
            return Response(page, mimetype="text/html")
        person = self.people.get(request.form.get("who", ""))
        if person is None:
            return Response("no such person here", status=403)
        code = secrets.token_urlsafe(16)
        self._codes[code] = _Grant(
            person=person,
            client_id=args["client_id"],
            redirect_uri=args["redirect_uri"],
            nonce=args.get("nonce"),
            challenge=args.get("code_challenge"),
        )
        query = urlencode({"code": code, "state": args.get("state", "")})
        return Response(status=302, headers={"Location": f"{args['redirect_uri']}?{query}"})

    def _client_ok(self, request: Request) -> bool:
        auth = request.authorization
        if auth is not None and auth.type == "basic":
            return auth.username == self.client_id and auth.password == self.client_secret
        return (
            request.form.get("client_id") == self.client_id
            and request.form.get("client_secret") == self.client_secret
        )

    def _token(self, request: Request) -> Response:
        self.token_requests += 1
        if request.method != "POST" or not self._client_ok(request):
            return self._json({"error": "invalid_client"}, status=401)
        grant = self._codes.pop(request.form.get("code", ""), None)
        if grant is None or grant.redirect_uri != request.form.get("redirect_uri"):
            return self._json({"error": "invalid_grant"}, status=400)
        if grant.challenge:
            verifier = request.form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
                return self._json({"error": "invalid_grant", "detail": "PKCE"}, status=400)
        access = secrets.token_urlsafe(24)
        self._tokens[access] = grant.person
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": self.client_id,
            "sub": grant.person.sub,
            "iat": now,
            "exp": now + 300,
            **self._claims(grant.person),
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        id_token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})
        return self._json(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )

    def _claims(self, person: Person) -> dict:
        claims = {
            "preferred_username": person.username,
            "email": person.email,
            "email_verified": True,
            "name": person.name,
        }
        if self.groups_claim:
            claims[self.groups_claim] = list(person.groups)
        return claims

    def _userinfo(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        person = self._tokens.get(header.removeprefix("Bearer ").strip())
        if not header.startswith("Bearer ") or person is None:
            return self._json({"error": "invalid_token"}, status=401)
        return self._json({"sub": person.sub, **self._claims(person)})
