"""HTTP routes for initiatives."""

from fastapi import APIRouter

router = APIRouter(tags=["initiatives"])
