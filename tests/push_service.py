"""A local push service for the tests: it speaks the Web Push protocol (RFC 8030) over HTTPS,
checks the VAPID JWT (RFC 8292) and decrypts every message (RFC 8291, aes128gcm) with the
subscription's own keys, which it makes like a browser would. So a test reads exactly what a
phone would receive, and can make the service answer 404, 410, 429 with Retry-After, 500, a
redirect, or nothing in time.

Why HTTPS with a self-signed certificate, rather than plain HTTP: the app sends only to https
endpoints on its list of push services (PUSH_SERVICE_HOSTS), and checks that again before every
send. Testing through the real check (the tests add this service's `localhost:<port>` to the list
and point PUSH_TLS_VERIFY at its certificate) proves the check and the no-redirect rule instead
of bypassing them.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path

import http_ece
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Subscription:
    """What `PushManager.subscribe` gives a page, plus the private half a phone keeps."""

    token: str
    endpoint: str
    p256dh: str
    auth: str
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)
    # The server key the page subscribed with (applicationServerKey): a push service refuses
    # messages signed by any other key.
    application_server_key: str | None = None

    def as_json(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass
class Received:
    """One push message as the service took it in: its headers, the VAPID claims and the
    decrypted payload (None when it could not be verified or decrypted: see `refused`)."""

    token: str
    ttl: str | None
    urgency: str | None
    topic: str | None
    content_encoding: str | None
    claims: dict | None
    payload: dict | None
    answered: int
    refused: str | None = None


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0


class LocalPushService:
    def __init__(self, directory: Path) -> None:
        self.cert_path, key_path = _self_signed_certificate(directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, key_path)
        self._subscriptions: dict[str, Subscription] = {}
        self._answers: dict[str, list[Answer]] = {}
        self.received: list[Received] = []
        self.requests_to: list[str] = []
        self._lock = threading.Lock()
        # A slow answer from one test must not land in the next test's list after a reset.
        self._generation = 0
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                service._handle(self)

            def do_GET(self):  # noqa: N802
                with service._lock:
                    service.requests_to.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.origin = f"https://localhost:{self.port}"
        # What PUSH_SERVICE_HOSTS needs to allow this service.
        self.host_entry = f"localhost:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self._subscriptions.clear()
            self._answers.clear()
            self.received.clear()
            self.requests_to.clear()
            self._generation += 1

    # ------------------------------------------------------------------ what a browser does

    def subscribe(self, application_server_key: str | None = None) -> Subscription:
        """A new subscription, as a browser would get one: a fresh P-256 key pair and auth secret,
        tied to the server's VAPID public key when given."""
        private_key = ec.generate_private_key(ec.SECP256R1())
        public = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        token = secrets.token_urlsafe(24)
        subscription = Subscription(token, f"{self.origin}/push/{token}", b64url(public),
                                    b64url(secrets.token_bytes(16)), private_key, application_server_key)
        with self._lock:
            self._subscriptions[token] = subscription
        return subscription

    def answer(self, subscription: Subscription, *answers: Answer) -> None:
        """The next sends to `subscription` get these answers, in order; then 201 again."""
        with self._lock:
            self._answers.setdefault(subscription.token, []).extend(answers)

    def messages_for(self, subscription: Subscription) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.token == subscription.token]

    # ------------------------------------------------------------------ the protocol

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        token = request.path.rsplit("/", 1)[-1]
        with self._lock:
            generation = self._generation
            self.requests_to.append(request.path)
            subscription = self._subscriptions.get(token) if request.path.startswith("/push/") else None
            queued = self._answers.get(token) or []
            answer = queued.pop(0) if queued else Answer(201)
        claims, refused = self._verify_vapid(request.headers.get("Authorization"))
        if refused is None and subscription is not None and subscription.application_server_key:
            if _vapid_key(request.headers.get("Authorization")) != subscription.application_server_key:
                refused = "VAPID: signed with a key other than the one the browser subscribed with"
        payload = None
        if subscription is None:
            answer, refused = Answer(404), refused or "no such subscription"
        elif refused is None:
            try:
                plain = http_ece.decrypt(body, private_key=subscription.private_key,
                                         auth_secret=unb64url(subscription.auth), version="aes128gcm")
                payload = json.loads(plain)
            except Exception as exc:  # any decryption failure is a refusal, reported to the test
                refused = f"could not decrypt: {exc!r}"
        if refused is not None and answer.status < 300:
            answer = Answer(403 if "vapid" in refused.lower() else 400)
        if request.headers.get("TTL") is None and refused is None and answer.status < 300:
            refused, answer = "no TTL header", Answer(400)
        if answer.delay_seconds:
            time.sleep(answer.delay_seconds)
        with self._lock:
            if generation != self._generation:
                return
            self.received.append(Received(
                token=token, ttl=request.headers.get("TTL"), urgency=request.headers.get("Urgency"),
                topic=request.headers.get("Topic"), content_encoding=request.headers.get("Content-Encoding"),
                claims=claims, payload=payload, answered=answer.status, refused=refused))
        try:
            request.send_response(answer.status)
            for name, value in answer.headers.items():
                request.send_header(name, value)
            if answer.status == 201:
                request.send_header("Location", f"{self.origin}/message/{secrets.token_urlsafe(8)}")
            request.send_header("Content-Length", "0")
            request.end_headers()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the sender gave up waiting (the timeout tests)

    def _verify_vapid(self, header: str | None) -> tuple[dict | None, str | None]:
        """RFC 8292: `vapid t=<JWT>, k=<public key>`; an ES256 JWT signed by that key, whose `aud`
        is this service's origin, `exp` in the future and at most 24 hours away, and `sub` a
        mailto: or https: contact."""
        if not header or not header.lower().startswith("vapid "):
            return None, "VAPID: no vapid Authorization header"
        parts = dict(item.strip().split("=", 1) for item in header[6:].split(",") if "=" in item)
        if "t" not in parts or "k" not in parts:
            return None, "VAPID: t= or k= missing"
        try:
            signing_input, _, signature = parts["t"].rpartition(".")
            header_b64, _, claims_b64 = signing_input.partition(".")
            jwt_header = json.loads(unb64url(header_b64))
            claims = json.loads(unb64url(claims_b64))
            raw_signature = unb64url(signature)
            public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
        except (ValueError, TypeError):
            return None, "VAPID: malformed token"
        if jwt_header.get("alg") != "ES256" or len(raw_signature) != 64:
            return claims, "VAPID: not ES256"
        der = encode_dss_signature(int.from_bytes(raw_signature[:32], "big"), int.from_bytes(raw_signature[32:], "big"))
        try:
            public_key.verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return claims, "VAPID: bad signature"
        now = time.time()
        if claims.get("aud") != self.origin:
            return claims, f"VAPID: aud {claims.get('aud')!r} is not {self.origin!r}"
        if not isinstance(claims.get("exp"), int) or not now < claims["exp"] <= now + 24 * 3600:
            return claims, "VAPID: exp missing, past, or more than 24 hours away"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return claims, "VAPID: sub is not a mailto: or https: contact"
        return claims, None


def _vapid_key(header: str | None) -> str | None:
    parts = dict(item.strip().split("=", 1) for item in (header or "")[6:].split(",") if "=" in item)
    return parts.get("k")


def _self_signed_certificate(directory: Path) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "push-service.crt", directory / "push-service.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)
