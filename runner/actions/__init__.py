"""Where a `uses:` comes from and what it may call: the runner services (artifacts,
cache) the official actions talk to live in `runner.actions.services`."""
