"""Jinja templates that import the design system's macros at the cost of a set comparison.

Every NHS.UK component's template starts with `{% from ... import ... %}` lines, and they run
each time the component is included, so one page makes dozens of imports. Jinja's
`Template._get_default_module(ctx)` decides per import whether the cached module will do by
computing `ctx.globals_keys - self.globals.keys()`: `self.globals` is a ChainMap over the
environment's globals (about 40 here), whose `in` is a Python-level loop, so each import cost
~40 ChainMap look-ups: a tenth of the patient home's time in a profile. The same decision is
made here against a frozenset of the keys, rebuilt only when a map's size changes (globals are
set when the app is created). The module is still rebuilt when the importing context carries a
global this template has not got, exactly as Jinja does.
"""
from __future__ import annotations

from collections import ChainMap

from jinja2 import Template


class FastImportTemplate(Template):
    def _get_default_module(self, ctx=None):
        if ctx is not None and not ctx.globals_keys <= self._global_keys():
            return super()._get_default_module(ctx)
        return super()._get_default_module(None)

    def _global_keys(self) -> frozenset:
        maps = self.globals.maps if isinstance(self.globals, ChainMap) else [self.globals]
        sizes = tuple(len(m) for m in maps)
        cached = self.__dict__.get("_global_keys_cache")
        if cached is None or cached[0] != sizes:
            cached = (sizes, frozenset(self.globals))
            self._global_keys_cache = cached
        return cached[1]
