"""HTTP routes for audit."""

from fastapi import APIRouter

router = APIRouter(tags=["audit"])
