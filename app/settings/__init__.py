"""The service's governance settings: the agreement grace and re-confirmation periods and
the time a governance review has before it is due (API.md, "Additions")."""
