"""The app's garbage collector settings (app.garbage_collection) hold while it runs."""

import gc

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.garbage_collection import FULL_COLLECTION_EVERY, tuned_for_reports


def test_full_collections_are_rarer_while_the_app_runs(app: FastAPI) -> None:
    found = gc.get_threshold()
    with TestClient(app) as client:
        assert gc.get_threshold() == (found[0], found[1], FULL_COLLECTION_EVERY)
        assert client.get("/healthz").status_code == 200
    assert gc.get_threshold() == found


def test_the_thresholds_found_are_restored_after_an_error() -> None:
    found = gc.get_threshold()
    try:
        with tuned_for_reports():
            raise RuntimeError("the server stopped")
    except RuntimeError:
        pass
    assert gc.get_threshold() == found
