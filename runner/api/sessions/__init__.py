"""Session threads (seed 001): runs as Managed Agents sessions, jobs as their threads.

objects.py builds the session and thread objects and their ids; projection.py turns a
canonical event into session events; streams.py reads them from a position (pages,
SSE); routes.py serves them; openapi.py describes the routes.
"""
