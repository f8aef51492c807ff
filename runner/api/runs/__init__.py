"""The REST surface the CLI and the dashboard use: runs, workflows, step logs, artifacts,
health.

routes.py serves runs, workflows, logs and health; run_request.py checks the body of
POST /api/runs; artifacts.py lists and downloads a run's artifacts; openapi.py
describes them all.
"""
