"""The command line's HTTP side: `raci report`, `raci import` and `raci export` talk to a running
server through its public API, exactly as any other script would."""
