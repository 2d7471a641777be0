"""HTTP routes for imports."""

from fastapi import APIRouter

router = APIRouter(tags=["imports"])
