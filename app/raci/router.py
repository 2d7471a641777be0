"""HTTP routes for raci."""

from fastapi import APIRouter

router = APIRouter(tags=["raci"])
