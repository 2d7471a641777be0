"""HTTP routes for components."""

from fastapi import APIRouter

router = APIRouter(tags=["components"])
