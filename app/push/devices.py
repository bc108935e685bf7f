"""A plain name for a subscribed browser, from its user agent, for the list of devices
("Chrome on Android"), so a person can tell which one to remove. Nothing more is kept of it."""
from __future__ import annotations

# Order matters: Edge and Samsung Internet also say "Chrome", Chrome on iOS also says "Safari".
_BROWSERS = (
    ("EdgA/", "Edge"), ("EdgiOS/", "Edge"), ("Edg/", "Edge"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("FxiOS/", "Firefox"), ("Firefox/", "Firefox"),
    ("CriOS/", "Chrome"), ("OPR/", "Opera"), ("Chrome/", "Chrome"), ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
    ("Windows", "Windows"), ("Macintosh", "Mac"), ("CrOS", "Chromebook"), ("Linux", "Linux"),
)


def device_label(user_agent: str | None) -> str:
    agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return f"{browser or 'A web browser'}{f' on {system}' if system else ''}"
    return "A web browser"
