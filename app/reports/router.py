"""HTTP routes for reports."""

from fastapi import APIRouter

router = APIRouter(tags=["reports"])
