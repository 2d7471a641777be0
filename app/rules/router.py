"""HTTP routes for rules."""

from fastapi import APIRouter

router = APIRouter(tags=["rules"])
