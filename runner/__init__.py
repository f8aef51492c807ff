"""stax: run GitHub Actions workflows on this machine and stream every state change.

Layers, bottom to top (a layer imports only from layers below it; `|`: independent).
pyproject.toml's import-linter contracts hold them; docs/architecture.md draws them.

    errors | json_text | memory | run_ids
                            the error tree, JSON text (and JSONValue), memory, run ids
    expressions             the ${{ }} language (pure: never imports trio)
    model | config | dotenv parsed definitions (pure) | stax.toml settings | .env files
    events | process        canonical events, the durable store (a package: schema, writer,
                            commit, snapshots, reader), the multicast bus, and StoreReader:
                            what the API reads of the store | spawning step processes,
                            splitting their output, killing their groups
    actions | skills        where a `uses:` comes from (git, a cache by commit, local
                            folders), the host's node and a container engine for the actions
                            it names | the skill catalog (pure)
    workspace               snapshots of a repository's working tree, one per job (actions
                            also hold the tool cache: the host's interpreters for setup-*)
    engine                  scheduling runs, jobs and steps; emits events into a sink;
                            raises domain errors (runner.errors), knows nothing of HTTP;
                            a skill execution is a run it builds (engine.skill_runs)
    definitions | workflow_files
                            workflow and skill files as the daemon parses them (off its
                            loop) | finding a workflow by name
    api                     HTTP: one subpackage per endpoint family, each a projection of events;
                            maps domain errors to statuses (api.responses.as_api_error)
    daemon                  hosting: serve (Hypercorn + the API), the engine process and its
                            typed wire, the run manager, recovery; implements api's Runs and
                            events' StoreReader
    cli                     entry points that own the top-level nurseries (with daemon.serve)
"""

__version__ = "0.1.0"
