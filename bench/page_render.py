"""How long the server takes to render the pages people use most (prints figures; no asserts).

    .venv/bin/python bench/page_render.py
    .venv/bin/python bench/page_render.py --quick   # 3 renders a page (CI: it keeps working)
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

# The project instead of bench/, which Python puts first: bench/queue.py would hide the standard
# library's queue module from everything imported after (huey imports psycopg, which needs it).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from tests.helpers import TestClient, make_actors, sign_in_as  # noqa: E402

PAGES = {
    "patient": ["/my-care", "/hna", "/hna/questions/distress", "/hna/questions/domain-physical", "/hna/check"],
    "nurse": ["/nurse/patients", "/nurse/hnas"],
}


def main(repeat: int = 30) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
            "SECRET_KEY": "bench-secret", "RATELIMIT_ENABLED": False,
        })
        app.test_client_class = TestClient
        with app.app_context():
            db.create_all()
            actors = make_actors()
        clients = {"patient": app.test_client(), "nurse": app.test_client()}
        sign_in_as(clients["patient"], actors.patient_a)
        sign_in_as(clients["nurse"], actors.nurse_a)
        clients["patient"].post_form("/hna/start")
        print(f"{'page':40} {'median ms':>10} {'p90 ms':>8}  bytes")
        for role, urls in PAGES.items():
            client = clients[role]
            for url in urls:
                client.get(url)  # warm the template cache
                times = []
                for _ in range(repeat):
                    start = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - start) * 1000)
                times.sort()
                print(f"{role + ' ' + url:40} {statistics.median(times):10.1f} {times[int(len(times) * 0.9)]:8.1f}  {len(response.data)}")


if __name__ == "__main__":
    # --quick: 3 renders a page, so CI shows it still works (tests/test_bench.py).
    main(repeat=3 if "--quick" in sys.argv[1:] else 30)
