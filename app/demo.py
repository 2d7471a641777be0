"""The demo portfolio shipped with the project: every kind of finding, right after set-up."""

from importlib.resources import files

from sqlalchemy.orm import Session

from app.imports.schemas import ImportDocument, ImportResult
from app.imports.service import import_document

DEMO_ACTOR = "demo"


def demo_document() -> ImportDocument:
    """Seven initiatives (a chatbot, IoT sensors, analytics, a campaign, an app...), their
    capabilities and four KPIs with measurements."""
    text = files("app").joinpath("data", "portfolio.json").read_text(encoding="utf-8")
    return ImportDocument.model_validate_json(text)


def load_demo(session: Session) -> ImportResult:
    """Import the demo portfolio; loading it twice changes nothing the second time."""
    session.info.setdefault("actor", DEMO_ACTOR)
    return import_document(session, demo_document())
