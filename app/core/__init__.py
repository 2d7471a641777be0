"""Infrastructure every layer uses: settings, errors and problem+json, HTTP helpers,
pagination, identifiers, shared schemas. Imports no domain and no database module."""
