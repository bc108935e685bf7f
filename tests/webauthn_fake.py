"""A software passkey authenticator, so route tests can run real WebAuthn ceremonies.

It does what a phone or security key does: makes an EC P-256 key pair per credential,
answers `navigator.credentials.create()` with a "none" attestation and
`navigator.credentials.get()` with a signature over authenticatorData || SHA-256(clientDataJSON),
and keeps a sign counter. Its input is the options JSON the server sends; its output is the
JSON our page posts back (RegistrationResponseJSON / AuthenticationResponseJSON).

Knobs, to play a misbehaving or hostile authenticator:
- `counter=` on `authenticate()` sends exactly that sign count (a clone, or a replay);
- `synced=True` (or `counter_step=0`) always sends 0, like Apple and Google synced passkeys;
- `origin=`, `challenge=`, `rp_id=` on either ceremony put the wrong value in the signed data;
- `flip_signature=True` corrupts one byte of the signature.

    authenticator = FakeAuthenticator()
    response = authenticator.register(options_json)      # a new credential for options' user
    response = authenticator.authenticate(options_json)  # signs in with it
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.encode_cbor import encode_cbor

# authenticatorData flags (WebAuthn §6.1)
USER_PRESENT = 0x01
USER_VERIFIED = 0x04
BACKUP_ELIGIBLE = 0x08
BACKED_UP = 0x10
ATTESTED_CREDENTIAL_DATA = 0x40

NO_AAGUID = bytes(16)
COSE_ES256 = -7


class ExcludedCredential(Exception):
    """The browser's InvalidStateError: this authenticator already holds an excluded credential."""


class NoCredential(Exception):
    """The browser's NotAllowedError: nothing on this authenticator for that relying party."""


@dataclass
class StoredCredential:
    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: str  # base64url, exactly as the options gave it

    @property
    def id(self) -> str:
        return bytes_to_base64url(self.credential_id)


def b64(data: bytes) -> str:
    return bytes_to_base64url(data)


class FakeAuthenticator:
    def __init__(
        self,
        rp_id: str = "localhost",
        origin: str = "http://localhost:5000",
        sign_count_start: int = 0,
        counter_step: int = 1,
        *,
        synced: bool = False,
        transports: tuple[str, ...] = ("internal", "hybrid"),
    ) -> None:
        self.rp_id = rp_id
        self.origin = origin
        self.sign_count = 0 if synced else sign_count_start
        self.counter_step = 0 if synced else counter_step
        self.synced = synced
        self.transports = list(transports)
        self.credentials: list[StoredCredential] = []

    # ------------------------------------------------------------ ceremonies

    def register(
        self,
        options_json: dict,
        user_verified: bool = True,
        *,
        origin: str | None = None,
        challenge: str | None = None,
        rp_id: str | None = None,
        transports=None,
    ) -> dict:
        """Answer registration options with a new credential (RegistrationResponseJSON)."""
        rp_id_for_options = options_json.get("rp", {}).get("id", self.rp_id)
        excluded = {c["id"] for c in options_json.get("excludeCredentials", [])}
        if any(c.id in excluded for c in self.credentials if c.rp_id == rp_id_for_options):
            raise ExcludedCredential("this authenticator already has a passkey for that account")

        private_key = ec.generate_private_key(ec.SECP256R1())
        stored = StoredCredential(
            credential_id=secrets.token_bytes(32),
            private_key=private_key,
            rp_id=rp_id_for_options,
            user_handle=options_json["user"]["id"],
        )
        self.credentials.append(stored)

        client_data = self._client_data(
            "webauthn.create", challenge or options_json["challenge"], origin
        )
        attested = (
            NO_AAGUID
            + len(stored.credential_id).to_bytes(2, "big")
            + stored.credential_id
            + _cose_public_key(private_key)
        )
        flags = USER_PRESENT | ATTESTED_CREDENTIAL_DATA | (USER_VERIFIED if user_verified else 0)
        auth_data = self._auth_data(rp_id or rp_id_for_options, flags, self.sign_count) + attested
        attestation_object = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": stored.id,
            "rawId": stored.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "attestationObject": b64(attestation_object),
                "transports": list(self.transports) if transports is None else transports,
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def authenticate(
        self,
        options_json: dict,
        *,
        counter: int | None = None,
        origin: str | None = None,
        challenge: str | None = None,
        rp_id: str | None = None,
        flip_signature: bool = False,
        credential: StoredCredential | None = None,
        user_handle: str | None = None,
        user_present: bool = True,
        user_verified: bool = True,
    ) -> dict:
        """Answer authentication options by signing with a stored credential."""
        credential = credential or self._pick(options_json)
        if counter is None:
            self.sign_count += self.counter_step
            counter = self.sign_count
        client_data = self._client_data("webauthn.get", challenge or options_json["challenge"], origin)
        flags = (USER_PRESENT if user_present else 0) | (USER_VERIFIED if user_verified else 0)
        auth_data = self._auth_data(rp_id or credential.rp_id, flags, counter)
        signature = credential.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        if flip_signature:
            # The last byte is inside the integer s: still valid DER, no longer a valid signature.
            signature = signature[:-1] + bytes([signature[-1] ^ 0x01])
        return {
            "id": credential.id,
            "rawId": credential.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "authenticatorData": b64(auth_data),
                "signature": b64(signature),
                "userHandle": credential.user_handle if user_handle is None else user_handle,
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    # ------------------------------------------------------------ parts

    def _pick(self, options_json: dict) -> StoredCredential:
        rp_id = options_json.get("rpId", self.rp_id)
        allowed = {c["id"] for c in options_json.get("allowCredentials", [])}
        candidates = [
            c for c in self.credentials if c.rp_id == rp_id and (not allowed or c.id in allowed)
        ]
        if not candidates:
            raise NoCredential(f"no passkey for {rp_id} on this authenticator")
        return candidates[-1]  # the newest, as a phone offers first

    def _client_data(self, ceremony: str, challenge: str, origin: str | None) -> bytes:
        # Browsers serialise exactly these members in this order.
        return json.dumps(
            {
                "type": ceremony,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            },
            separators=(",", ":"),
        ).encode()

    def _auth_data(self, rp_id: str, flags: int, counter: int) -> bytes:
        if self.synced:
            flags |= BACKUP_ELIGIBLE | BACKED_UP
        return (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags])
            + counter.to_bytes(4, "big")
        )


def _cose_public_key(private_key: ec.EllipticCurvePrivateKey) -> bytes:
    numbers = private_key.public_key().public_numbers()
    return encode_cbor(
        {
            1: 2,  # kty: EC2
            3: COSE_ES256,  # alg: ES256
            -1: 1,  # crv: P-256
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }
    )


def challenge_of(options_json: dict) -> bytes:
    """The raw challenge bytes from options JSON (for checks in tests)."""
    return base64url_to_bytes(options_json["challenge"])
