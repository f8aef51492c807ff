"""stax: run GitHub Actions workflows on this machine and stream every state change.

Layers, bottom to top (a layer imports only from layers below it):

    errors, config          the error tree and stax.toml settings
    model, expressions      pure: parsed definitions and the ${{ }} language (never import trio)
    process                 spawning step processes, splitting their output, killing their groups
    events                  canonical events, the durable store and the multicast bus
    actions                 where a `uses:` comes from (git, a cache by commit, local folders),
                            the host's node and a container engine for the actions it names,
                            the tool cache (the host's interpreters for the setup-* actions)
    workspace               snapshots of a repository's working tree, one per job
    engine                  scheduling runs, jobs and steps; emits events into a sink
    skills                  the skill catalog (pure) and starting skill executions (above engine)
    definitions             workflow and skill files as the daemon parses them (off its loop)
    api                     HTTP: one subpackage per endpoint family, each a projection of events
    cli, daemon             entry points that own the top-level nurseries
"""

__version__ = "0.1.0"
