"""A read-only portfolio dashboard in the browser: server-rendered HTML at `/dashboard`."""
