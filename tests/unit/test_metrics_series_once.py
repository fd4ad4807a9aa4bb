"""The process's metric series are made once, even when gunicorn's threads answer the first requests together
(two threads registering the same names raised DuplicateTimeseries: a 500 on a first /healthz)."""
from __future__ import annotations

import threading

from pasar import metrics


def test_threads_asking_for_the_series_at_once_get_the_same_ones_made_once(monkeypatch):
    made, inside, release = [], threading.Event(), threading.Event()

    def slow_make():
        made.append(threading.current_thread().name)
        inside.set()
        release.wait(5)  # hold the first maker inside while the others ask
        return object()

    monkeypatch.setattr(metrics, "_series", None)
    monkeypatch.setattr(metrics, "_make_series", slow_make)
    got = []
    threads = [threading.Thread(target=lambda: got.append(metrics.series())) for _ in range(8)]
    for t in threads:
        t.start()
    assert inside.wait(5)
    release.set()
    for t in threads:
        t.join(5)
    assert len(made) == 1, made
    assert len(got) == 8 and len({id(s) for s in got}) == 1
