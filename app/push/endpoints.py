"""Which push subscription endpoints the server will ever send to.

A subscription's endpoint is an address the browser hands us, and the server then makes requests
to it: without limits that would let anyone make the server post to any address it can reach
(server-side request forgery). So an endpoint is taken only over https, on the default port,
at a host on the configured list of known push services (PUSH_SERVICE_HOSTS), with no user name
or password in it; sending never follows a redirect (see service.py). The same check runs when
a browser subscribes and again before every send, so taking a host off the list stops sends at
once.

List entries: an exact host ("fcm.googleapis.com"), a wildcard for any subdomain
("*.notify.windows.com", never the bare domain), or a host with a port ("localhost:8443") where
a port other than 443 is wanted (the test suite's local push service).
"""
from __future__ import annotations

from urllib.parse import urlsplit

# The browsers' push services: Chrome, Edge on Android and Samsung Internet use FCM; Firefox uses
# Mozilla's autopush; Safari (macOS and iOS 16.4+ on the Home Screen) uses Apple's; Edge on
# Windows uses WNS.
KNOWN_PUSH_SERVICE_HOSTS = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "web.push.apple.com",
    "*.notify.windows.com",
)
MAX_ENDPOINT_LENGTH = 1024


def _host_allowed(host: str, port: int | None, allowed: str) -> bool:
    allowed = allowed.strip().lower()
    allowed_host, _, allowed_port = allowed.partition(":")
    if allowed_port:
        if not allowed_port.isdigit() or port != int(allowed_port):
            return False
    elif port not in (None, 443):
        return False
    if allowed_host.startswith("*."):
        suffix = allowed_host[1:]  # ".notify.windows.com"
        return host.endswith(suffix) and len(host) > len(suffix)
    return host == allowed_host


def endpoint_allowed(endpoint: object, allowed_hosts: list[str] | tuple[str, ...]) -> bool:
    """True when the server may send to `endpoint` (see the module's docstring)."""
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT_LENGTH:
        return False
    if not endpoint.isascii() or any(ch.isspace() or ord(ch) < 32 for ch in endpoint):
        return False
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme != "https" or not parts.hostname or parts.username is not None or parts.password is not None:
        return False
    if parts.fragment:
        return False
    host = parts.hostname.lower()
    return any(_host_allowed(host, port, allowed) for allowed in allowed_hosts)


def push_service_host(endpoint: str) -> str:
    """The push service's host name, for records (never the whole endpoint, which identifies the phone)."""
    return (urlsplit(endpoint).hostname or "")[:255]
