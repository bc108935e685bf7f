from py_vapid import Vapid

from app.push.vapid import public_key_for


def test_generate_vapid_prints_a_working_key_as_environment_lines(runner):
    result = runner.invoke(args=["push", "generate-vapid"])

    assert result.exit_code == 0, result.output
    lines = dict(line.lstrip("# ").split("=", 1) for line in result.output.splitlines() if "=" in line)
    private_key = lines["VAPID_PRIVATE_KEY"]
    assert lines["VAPID_PUBLIC_KEY"] == public_key_for(private_key)
    # A key py_vapid (and so pywebpush) can sign with.
    Vapid.from_string(private_key).sign({"sub": "mailto:a@example.test", "aud": "https://fcm.googleapis.com"})


def test_each_run_makes_a_new_key(runner):
    first = runner.invoke(args=["push", "generate-vapid"]).output
    second = runner.invoke(args=["push", "generate-vapid"]).output
    assert first.splitlines()[0] != second.splitlines()[0]
