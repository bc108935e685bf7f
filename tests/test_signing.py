"""The session cookie's and CSRF tokens' signatures (app/extensions.py OneShotHMAC, KeptKeySigner):
the same bytes as itsdangerous' own HMAC, for every hash they are made with, and a changed
signature, message or key refused."""
import hashlib

import itsdangerous
import pytest
from flask.sessions import SecureCookieSessionInterface
from itsdangerous.signer import HMACAlgorithm

from app.extensions import OneShotHMAC, kept_serializer

DIGESTS = [HMACAlgorithm.default_digest_method, hashlib.sha1, hashlib.sha256, hashlib.sha512]


@pytest.mark.parametrize("digest_method", DIGESTS)
@pytest.mark.parametrize("key, message", [(b"k", b""), (b"secret" * 20, b"x" * 1000), (b"\x00\xff", b"\xe2\x82\xac.1")])
def test_a_signature_is_itsdangerous_own_hmac(digest_method, key, message):
    ours, theirs = OneShotHMAC(digest_method), HMACAlgorithm(digest_method)
    assert ours.get_signature(key, message) == theirs.get_signature(key, message)
    signature = theirs.get_signature(key, message)
    assert ours.verify_signature(key, message, signature)
    assert not ours.verify_signature(key, message + b"!", signature)
    assert not ours.verify_signature(key + b"!", message, signature)
    assert not ours.verify_signature(key, message, bytes([signature[0] ^ 1]) + signature[1:])


def cookie_serializers(keys: list[str]):
    interface = SecureCookieSessionInterface()
    signer_kwargs = {"key_derivation": interface.key_derivation, "digest_method": interface.digest_method}
    return (itsdangerous.URLSafeTimedSerializer(keys, salt=interface.salt, serializer=interface.serializer,
                                                signer_kwargs=signer_kwargs),
            kept_serializer(tuple(keys), interface.salt, interface.serializer, tuple(signer_kwargs.items())))


@pytest.mark.parametrize("kind", ["session cookie", "CSRF token"])
def test_kept_serializers_read_and_make_what_itsdangerous_does(kind):
    keys = ["an old secret", "the current secret"]
    if kind == "session cookie":
        theirs, ours = cookie_serializers(keys)
    else:
        theirs, ours = (itsdangerous.URLSafeTimedSerializer(keys, salt="wtf-csrf-token"),
                        kept_serializer(tuple(keys), "wtf-csrf-token"))
    assert isinstance(ours.make_signer().algorithm, OneShotHMAC)
    value = {"sid": "abc", "_user_id": "7"} if kind == "session cookie" else "a" * 40
    assert ours.loads(theirs.dumps(value)) == value and theirs.loads(ours.dumps(value)) == value
    assert ours.make_signer().get_signature(b"v") == theirs.make_signer().get_signature(b"v")
    old_only = itsdangerous.URLSafeTimedSerializer(keys[:1], salt=theirs.salt, serializer=theirs.serializer,
                                                   signer_kwargs=theirs.signer_kwargs)
    assert ours.loads(old_only.dumps(value)) == value  # a fallback secret still reads
    token = ours.dumps(value)
    # The signature's second-to-last character changed: its last one also carries base64's
    # padding bits (a 20-byte SHA-1 signature is 27 characters, 162 bits), so changing only those
    # (A for B, C or D) gave the same signature, and the test failed on the tokens ending so.
    changed = "A" if token[-2] != "A" else "B"
    for tampered in (token[:-2] + changed + token[-1],
                     itsdangerous.URLSafeTimedSerializer(["another secret"], salt=theirs.salt,
                                                         serializer=theirs.serializer,
                                                         signer_kwargs=theirs.signer_kwargs).dumps(value)):
        with pytest.raises(itsdangerous.BadSignature):
            ours.loads(tampered)
