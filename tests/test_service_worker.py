"""The service worker keeps everything the offline page needs to work with no signal."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def precached() -> set[str]:
    source = (ROOT / "service-worker" / "service-worker.js").read_text(encoding="utf-8")
    listing = re.search(r"const PRECACHE = \[(.*?)\]", source, re.S).group(1)
    offline_url = re.search(r"const OFFLINE_URL = '([^']+)'", source).group(1)
    return set(re.findall(r"'([^']+)'", listing)) | ({offline_url} if "OFFLINE_URL" in listing else set())


def imported_modules(entry: str) -> set[str]:
    """Every module `entry` loads, following imports (a module that fails to load offline stops
    the whole page's script, the urgent line included)."""
    seen, waiting = set(), [entry]
    while waiting:
        path = waiting.pop()
        if path in seen:
            continue
        seen.add(path)
        source = (ROOT / path.lstrip("/")).read_text(encoding="utf-8")
        for target in re.findall(r"^import .*? from '([^']+)'", source, re.M):
            waiting.append(str(Path(path).parent / target).replace("/js/../", "/"))
    return {"/" + str(Path(p)).lstrip("/") for p in seen}


@pytest.mark.hazard("HAZ-002")
def test_the_offline_page_and_every_file_it_loads_are_kept_by_the_service_worker(client):
    raw = client.get("/offline").get_data(as_text=True)
    loaded = set(re.findall(r'(?:src|href)="(/static/[^"?]+)"', raw))
    for module in [path for path in loaded if path.endswith(".js")]:
        loaded |= imported_modules(module)
    assert "/static/js/urgent-line.js" in loaded
    assert "/offline" in precached()
    assert loaded - precached() == set()
