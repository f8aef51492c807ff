"""Execution threads (seed 000): a run's jobs as threads, streamed.

projection.py turns a canonical event into gateway thread events and numbers them;
routes.py serves a run's threads as SSE, with history, resume and a thread filter;
openapi.py describes the route.
"""
