"""Who is calling: API keys' rows, secrets and scopes, and the one resolver that turns a
presented secret into a known key (cached per process, checked in every transaction).
Managing keys over HTTP and the command line is app.keys."""
