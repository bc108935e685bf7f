"""A subscription endpoint is sent to only over https at a known push service's host."""
import pytest

from app.push.endpoints import KNOWN_PUSH_SERVICE_HOSTS, endpoint_allowed

HOSTS = list(KNOWN_PUSH_SERVICE_HOSTS)


@pytest.mark.parametrize("endpoint", [
    "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bH",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAAB",
    "https://web.push.apple.com/QGxvbmdfdG9rZW4",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAD",
    "https://FCM.googleapis.com/fcm/send/x",
    "https://fcm.googleapis.com:443/fcm/send/x",
])
def test_known_push_services_are_allowed(endpoint):
    assert endpoint_allowed(endpoint, HOSTS)


@pytest.mark.parametrize("endpoint", [
    "http://fcm.googleapis.com/fcm/send/x",  # not https
    "https://fcm.googleapis.com:8443/fcm/send/x",  # another port
    "https://fcm.googleapis.com.evil.example/x",  # a lookalike host
    "https://evil.example/fcm.googleapis.com",
    "https://notify.windows.com/w/x",  # the wildcard is for subdomains only
    "https://evilnotify.windows.com/w/x",
    "https://user:pass@fcm.googleapis.com/fcm/send/x",  # credentials
    "https://fcm.googleapis.com@169.254.169.254/latest",  # a host hidden behind a user name
    "https://169.254.169.254/latest/meta-data",
    "https://localhost/push/x",
    "https://127.0.0.1/push/x",
    "https://[::1]/push/x",
    "https://fcm.googleapis.com/fcm/send/x#frag",
    "https://fcm.googleapis.com/fcm/send/x y",
    "https://fcm.googleapis.com/fcm/send/\u00e9",
    "https://fcm.googleapis.com:notaport/x",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "",
    None,
    42,
    "https://fcm.googleapis.com/" + "a" * 1024,
])
def test_anything_else_is_refused(endpoint):
    assert not endpoint_allowed(endpoint, HOSTS)


@pytest.mark.parametrize("endpoint, allowed", [
    ("https://localhost:8443/push/x", True),
    ("https://localhost/push/x", False),
    ("https://localhost:8444/push/x", False),
])
def test_a_listed_port_allows_that_port_only(endpoint, allowed):
    assert endpoint_allowed(endpoint, [*HOSTS, "localhost:8443"]) is allowed
