"""Runner events (seed 003): GET /api/events, every state change of every run.

projection.py turns a canonical event into the seed's wire events; routes.py serves
them as SSE, with resume and filters; openapi.py describes the route.
"""
