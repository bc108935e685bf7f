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


# ---------------------------------------------------------------- the kept serializers' own paths
# KeptKeySigner.sign/unsign, KeptSerializer.loads/load_payload/dump_payload and the session
# cookie's SessionCookieSerializer do the usual case in few calls and hand everything else to
# itsdangerous and Flask: for every form of token below, ours gives what itsdangerous gives (the
# value, or the same error with the same message), at the same moment.
NOW = 1_800_000_000
KEYS = ["an old secret", "the current secret"]


def outcome(serializer, token, **kwargs):
    try:
        return ("read", serializer.loads(token, **kwargs))
    except Exception as error:  # itsdangerous' refusals, and its errors making a datetime past 9999
        return ("refused", type(error), str(error))


def signed_as_is(text: bytes, key: str = KEYS[-1], salt: str = "wtf-csrf-token") -> str:
    """`text` and a valid signature of it by `key`, with no timestamp added (so its time part is
    whatever the text holds)."""
    return itsdangerous.Signer(key, salt=salt, key_derivation="django-concat",
                               digest_method=hashlib.sha1).sign(text).decode()


def csrf_pair():
    return (itsdangerous.URLSafeTimedSerializer(KEYS, salt="wtf-csrf-token"),
            kept_serializer(tuple(KEYS), "wtf-csrf-token"))


def stamp(seconds: int) -> bytes:
    return itsdangerous.encoding.base64_encode(seconds.to_bytes((seconds.bit_length() + 7) // 8, "big"))


def payload_of(value) -> bytes:
    return itsdangerous.URLSafeTimedSerializer(KEYS, salt="wtf-csrf-token").dump_payload(value)


def changed_at(token: str, position: int) -> str:
    return token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1:]


TOKENS = {
    "made now": lambda theirs: theirs.dumps("a" * 40),
    "as text or bytes": lambda theirs: theirs.dumps("a" * 40).encode(),
    "signed with the old secret": lambda theirs: itsdangerous.URLSafeTimedSerializer(
        KEYS[:1], salt="wtf-csrf-token").dumps("b" * 40),
    "another secret": lambda theirs: itsdangerous.URLSafeTimedSerializer(
        ["another secret"], salt="wtf-csrf-token").dumps("c"),
    "signature changed": lambda theirs: changed_at(theirs.dumps("a" * 40), -2),
    "signature's padding bits changed (itsdangerous reads it)": lambda theirs: (
        lambda token: token[:-1] + {"A": "B", "B": "A"}.get(token[-1], token[-1]))(theirs.dumps("x")),
    "signature cut": lambda theirs: theirs.dumps("a" * 40)[:-3],
    "signature with characters base64 skips": lambda theirs: (
        lambda token: token[:-5] + "!" + token[-5:])(theirs.dumps("a")),
    "payload changed": lambda theirs: changed_at(theirs.dumps("a" * 40), 2),
    "time changed": lambda theirs: (lambda token: token.replace(token.split(".")[1], "AAAAAA"))(
        theirs.dumps("a" * 40)),
    "no separator": lambda theirs: "nothing-signed-here",
    "empty": lambda theirs: "",
    "only separators": lambda theirs: "..",
    "no time": lambda theirs: signed_as_is(payload_of("a")),
    "time not base64": lambda theirs: signed_as_is(payload_of("a") + b".***"),
    "time of nine bytes": lambda theirs: signed_as_is(payload_of("a") + b"." + stamp(NOW << 40)),
    "time past the year 9999": lambda theirs: signed_as_is(payload_of("a") + b"." + stamp(253402300800)),
    "time on the last second of 9999": lambda theirs: signed_as_is(payload_of("a") + b"." + stamp(253402300799)),
    "time of one byte": lambda theirs: signed_as_is(payload_of("a") + b"." + stamp(200)),
    "time of eight bytes": lambda theirs: signed_as_is(payload_of("a") + b"." + stamp(2 ** 63)),
    "made an hour ago": lambda theirs: signed_as_is(payload_of("a") + b"." + stamp(NOW - 3600)),
    "made a day ago": lambda theirs: signed_as_is(payload_of("a") + b"." + stamp(NOW - 86400)),
    "made in the future": lambda theirs: signed_as_is(payload_of("a") + b"." + stamp(NOW + 60)),
    "payload not base64": lambda theirs: signed_as_is(b"%%%." + stamp(NOW)),
    "payload not JSON": lambda theirs: signed_as_is(itsdangerous.encoding.base64_encode(b"{nope") + b"." + stamp(NOW)),
    "payload not UTF-8": lambda theirs: signed_as_is(itsdangerous.encoding.base64_encode(b'"\xff"') + b"." + stamp(NOW)),
    "payload compressed": lambda theirs: theirs.dumps("z" * 500),
    "payload marked compressed but not": lambda theirs: signed_as_is(b"." + payload_of("a") + b"." + stamp(NOW)),
    "payload compressed, then changed and signed": lambda theirs: signed_as_is(
        b".eJzLSEAFAAAA" + b"." + stamp(NOW)),
    "a dict, a list, a number, null": lambda theirs: theirs.dumps({"a": [1, None, "é"]}),
    "non-ASCII text": lambda theirs: theirs.dumps("a") + "é",
}


@pytest.mark.parametrize("max_age", [None, 3600, 0])
@pytest.mark.parametrize("form", list(TOKENS))
def test_a_kept_serializer_reads_every_form_of_token_as_itsdangerous_does(form, max_age, monkeypatch):
    monkeypatch.setattr("time.time", lambda: NOW + 0.5)
    theirs, ours = csrf_pair()
    token = TOKENS[form](theirs)
    assert outcome(ours, token, max_age=max_age) == outcome(theirs, token, max_age=max_age)


def test_the_forms_cover_what_they_say(monkeypatch):
    # The table above holds tokens read, expired and refused for each of itsdangerous' reasons.
    monkeypatch.setattr("time.time", lambda: NOW + 0.5)
    theirs, _ours = csrf_pair()
    outcomes = {form: outcome(theirs, make(theirs), max_age=3600) for form, make in TOKENS.items()}
    assert outcomes["made now"] == ("read", "a" * 40)
    assert outcomes["signature's padding bits changed (itsdangerous reads it)"] == ("read", "x")
    assert outcomes["payload compressed"] == ("read", "z" * 500)
    kinds = {result[1] for result in outcomes.values() if result[0] == "refused"}
    assert kinds == {itsdangerous.BadSignature, itsdangerous.BadTimeSignature, itsdangerous.SignatureExpired,
                     itsdangerous.BadPayload, ValueError, OverflowError}
    assert outcome(theirs, TOKENS["time past the year 9999"](theirs))[1] is ValueError


@pytest.mark.parametrize("value", ["a" * 40, "", "é", {"sid": "x", "n": [1, 2]}, "z" * 500, ["q"] * 100])
def test_a_kept_serializer_makes_the_same_token_as_itsdangerous(value, monkeypatch):
    monkeypatch.setattr("time.time", lambda: NOW + 0.5)
    theirs, ours = csrf_pair()
    assert ours.dumps(value) == theirs.dumps(value)
    assert ours.dump_payload(value) == theirs.dump_payload(value)
    assert ours.loads(ours.dumps(value), max_age=10) == value
    cookie_theirs, cookie_ours = cookie_serializers(KEYS)
    session_value = {"sid": "t" * 43, "value": value}
    assert cookie_ours.dumps(session_value) == cookie_theirs.dumps(session_value)


def test_a_signer_with_another_algorithm_is_itsdangerous_own():
    ours = kept_serializer(tuple(KEYS), "plain", None, (("algorithm", itsdangerous.signer.NoneAlgorithm()),))
    theirs = itsdangerous.URLSafeTimedSerializer(KEYS, salt="plain",
                                                 signer_kwargs={"algorithm": itsdangerous.signer.NoneAlgorithm()})
    assert ours.loads(theirs.dumps("v")) == "v" and theirs.loads(ours.dumps("v")) == "v"
    assert outcome(ours, theirs.dumps("v") + "x") == outcome(theirs, theirs.dumps("v") + "x")


SESSION_VALUES = [
    {"sid": "t" * 43, "_user_id": "7", "_fresh": True, "csrf_token": "c" * 40, "_permanent": True},
    {},
    {"a": "{not a dict}", "b": "[not a list]", "c": '"{"'},
    {"only": "one key"},
    {" t": "a key that is a tag's, alone"},
    {" t": ["a", "b"]},
    {"tuple": ("a", 1)},
    {"bytes": b"\x00\xff"},
    {"nested": {"dict": {"deeper": 1}}, "list": [{"x": ("y",)}]},
    {"_flashes": [("info", "Sign in to continue")]},
    {"number": 1.5, "none": None, "text": "é\u2028"},
]


@pytest.mark.parametrize("value", SESSION_VALUES, ids=range(len(SESSION_VALUES)))
def test_the_session_cookie_reads_what_flask_reads(app, value):
    from flask.sessions import session_json_serializer

    from app.extensions import SessionCookieSerializer

    with app.app_context():
        text = session_json_serializer.dumps(value)
        assert SessionCookieSerializer().dumps(value) == text
        assert SessionCookieSerializer().loads(text) == session_json_serializer.loads(text) == value
        assert type(SessionCookieSerializer().loads(text)) is type(value)


@pytest.mark.parametrize("text", ['"just text {"', "1", "null", '{"a": 1}', '{" t": ["x"]}', '{" di": {" t": ["x"]}}'])
def test_the_session_cookie_reads_any_json_as_flask_does(app, text):
    from flask.sessions import session_json_serializer

    from app.extensions import SessionCookieSerializer

    with app.app_context():
        assert outcome_of(SessionCookieSerializer().loads, text) == outcome_of(session_json_serializer.loads, text)


def outcome_of(read, text):
    try:
        return ("read", read(text))
    except Exception as error:  # Flask's own TypeError for a tagged dict holding a tagged tuple
        return ("refused", type(error), str(error))


def test_the_apps_json_is_flasks_default_which_the_session_cookie_reads_as_the_standard_library(app):
    # SessionCookieSerializer reads a plain cookie with json.loads, as Flask's default provider does.
    from flask.json.provider import DefaultJSONProvider

    assert type(app.json) is DefaultJSONProvider


def test_a_token_made_now_is_read_by_the_kept_signer_alone_and_no_other_form_is(monkeypatch):
    # The usual token is read in C calls (not handed to itsdangerous, which would be as right and
    # as slow as before); every token itsdangerous refuses is handed to it.
    monkeypatch.setattr("time.time", lambda: NOW + 0.5)
    theirs, ours = csrf_pair()
    signer = ours.make_signer()
    assert signer is ours.make_signer()
    token = theirs.dumps("a" * 40)
    assert signer.value_signed_as_itsdangerous_writes_it(token, 3600) == token.rsplit(".", 2)[0].encode()
    old_secret = TOKENS["signed with the old secret"](theirs)
    assert signer.value_signed_as_itsdangerous_writes_it(old_secret, 3600) == old_secret.rsplit(".", 2)[0].encode()
    # (A payload that does not read is the serializer's to hand over, after the signature.)
    for form, make in TOKENS.items():
        result = outcome(theirs, make(theirs), max_age=3600)
        if result[0] == "refused" and result[1] is not itsdangerous.BadPayload:
            assert signer.value_signed_as_itsdangerous_writes_it(make(theirs), 3600) is None, form
