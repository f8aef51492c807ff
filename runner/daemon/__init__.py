"""Hosting: the daemon that serves the API and keeps the runs.

    serve.py            serve(): the one top-level nursery (the engine process, then Hypercorn)
    engine_process.py   the daemon's handle on its engine process (start, relay, publish)
    engine_host.py      what runs inside that process (`python -m runner.daemon.engine_host`)
    channel.py, wire.py the socket between them and the messages it carries
    runs.py             the run manager: runs as children of one nursery, approvals
    recovery.py         closing the runs a crash left open

Nothing is re-exported here: the engine process imports this package too and must load
nothing of HTTP, so `serve` and `DaemonAddress` are imported from runner.daemon.serve.
"""
