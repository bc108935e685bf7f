"""Push settings: the neutral title, the push service list and the VAPID key per environment."""
import pytest

from app import create_app
from app.push import vapid
from config import ConfigError, ProductionConfig

GOOD_SECRET = "k" * 32
# Production keeps its rate limits in Redis (config.py); nothing connects to it at start.
REDIS_URL = "redis://cache:6379/0"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in ("APP_ENV", "DEMO_MODE", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT", "PUSH_TITLE", "PUSH_SERVICE_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))


@pytest.mark.hazard("HAZ-021")
@pytest.mark.parametrize("title", ["Cancer care", "Your CANCER team", "Riverside cancer centre"])
def test_a_notification_title_naming_the_illness_is_refused(monkeypatch, title):
    monkeypatch.setenv("PUSH_TITLE", title)
    with pytest.raises(ConfigError, match="PUSH_TITLE"):
        create_app()


def test_the_title_and_push_services_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PUSH_TITLE", "Riverside Hospital")
    monkeypatch.setenv("PUSH_SERVICE_HOSTS", "fcm.googleapis.com, web.push.apple.com")
    config = create_app().config
    assert config["PUSH_TITLE"] == "Riverside Hospital"
    assert config["PUSH_SERVICE_HOSTS"] == ["fcm.googleapis.com", "web.push.apple.com"]
    monkeypatch.delenv("PUSH_TITLE")
    assert create_app().config["PUSH_TITLE"] == "Your care team"


def test_production_without_a_vapid_key_has_no_push():
    app = create_app({"SECRET_KEY": GOOD_SECRET, "REDIS_URL": REDIS_URL}, config_class=ProductionConfig)
    assert vapid.application_server_key(app) is None


def test_production_uses_the_configured_key():
    key = vapid.new_private_key()
    app = create_app({"SECRET_KEY": GOOD_SECRET, "VAPID_PRIVATE_KEY": key, "REDIS_URL": REDIS_URL,
                      "VAPID_SUBJECT": "mailto:care-team@nhs.net"}, config_class=ProductionConfig)
    assert vapid.application_server_key(app) == vapid.public_key_for(key)


def test_development_keeps_one_throwaway_key_across_restarts():
    first = vapid.application_server_key(create_app())
    assert first is not None
    assert vapid.application_server_key(create_app()) == first


def test_development_processes_starting_together_keep_the_same_throwaway_key(monkeypatch):
    """gunicorn's workers and the consumer start at once: a key file written by another process
    after this one looked for it must be read, never replaced (each would sign with its own)."""
    first = vapid.application_server_key(create_app())
    # The moment between looking for the file and writing it, as another process sees it.
    monkeypatch.setattr(vapid.Path, "exists", lambda path: False)
    assert vapid.application_server_key(create_app()) == first


@pytest.mark.parametrize("subject", ["push-admin@example.com", "http://example.com", "mailto:", "https:", "mailto:a@nodot"])
def test_a_vapid_subject_push_services_cannot_use_is_refused(monkeypatch, subject):
    monkeypatch.setenv("VAPID_SUBJECT", subject)
    with pytest.raises(ConfigError, match="VAPID_SUBJECT"):
        create_app()


@pytest.mark.parametrize("subject", ["mailto:care-team@nhs.net", "https://care.example.nhs.uk"])
def test_a_mailto_or_https_vapid_subject_is_taken(monkeypatch, subject):
    monkeypatch.setenv("VAPID_SUBJECT", subject)
    assert create_app().config["VAPID_SUBJECT"] == subject


def test_production_push_needs_a_real_contact():
    key = vapid.new_private_key()
    with pytest.raises(ConfigError, match="VAPID_SUBJECT"):
        create_app({"SECRET_KEY": GOOD_SECRET, "VAPID_PRIVATE_KEY": key, "REDIS_URL": REDIS_URL},
                   config_class=ProductionConfig)
    app = create_app({"SECRET_KEY": GOOD_SECRET, "VAPID_PRIVATE_KEY": key, "REDIS_URL": REDIS_URL,
                      "VAPID_SUBJECT": "mailto:care-team@nhs.net"}, config_class=ProductionConfig)
    assert app.config["VAPID_SUBJECT"] == "mailto:care-team@nhs.net"
