"""HTTP routes for capabilities."""

from fastapi import APIRouter

router = APIRouter(tags=["capabilities"])
