"""Template behaviour that every page relies on."""
from __future__ import annotations


def test_a_variable_the_view_did_not_pass_counts_as_none(app):
    # The design system needs ChainableUndefined; without this test override, a forgotten
    # `conflict` was "not none" and every edit page warned of a colleague's change.
    template = app.jinja_env.from_string("{{ 'shown' if conflict is not none else 'hidden' }}")
    assert template.render() == "hidden"
    assert template.render(conflict=None) == "hidden"
    assert template.render(conflict={"by": "Sam"}) == "shown"
    assert app.jinja_env.from_string("{{ 0 is none }}").render() == "False"
