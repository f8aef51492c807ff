"""stax: run GitHub Actions workflows on this machine and stream every state change.

Layers, bottom to top (a layer imports only from layers below it; `|`: independent).
pyproject.toml's import-linter contracts hold them; docs/architecture.md draws them.

    errors | json_text | memory | run_ids
    expressions             the ${{ }} language (pure: never imports trio)
    model | config | dotenv parsed definitions (pure) | stax.toml settings | .env files
    events | process        canonical events, store, bus | spawning and killing step processes
    actions | skills        where a `uses:` comes from | the skill catalog (pure)
    engine                  scheduling runs, jobs and steps; emits events into a sink
    definitions | workflow_files   files as the daemon parses them | finding them by name
    api                     HTTP: one subpackage per endpoint family, each a projection of events
    daemon                  hosting: the nursery that owns the store, the engine and HTTP
    cli                     the command line
"""

__version__ = "0.1.0"
