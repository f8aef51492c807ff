"""stax: run GitHub Actions workflows on this machine and stream every state change.

Layers, bottom to top (a layer imports only from layers below it):

    errors, config          the error tree and stax.toml settings
    model, expressions      pure: parsed definitions and the ${{ }} language (never import trio)
    process                 spawning step processes, splitting their output, killing their groups
    events                  canonical events, the durable store (a package: schema, writer,
                            commit, snapshots, reader), the multicast bus, and StoreReader:
                            what the API reads of the store
    actions                 where a `uses:` comes from (git, a cache by commit, local folders),
                            the host's node and a container engine for the actions it names
    engine                  scheduling runs, jobs and steps; emits events into a sink;
                            raises domain errors (runner.errors), knows nothing of HTTP
    skills                  the skill catalog (pure) and starting skill executions (above engine)
    definitions             workflow and skill files as the daemon parses them (off its loop)
    api                     HTTP: one subpackage per endpoint family, each a projection of events;
                            maps domain errors to statuses (api.responses.as_api_error)
    daemon                  hosting: serve (Hypercorn + the API), the engine process and its
                            typed wire, the run manager, recovery; implements api's Runs and
                            events' StoreReader
    cli                     entry points that own the top-level nurseries (with daemon.serve)
"""

__version__ = "0.1.0"
