"""HTTP: the daemon's one app, one subpackage per endpoint family.

Top to bottom (a module imports only from those below it; pyproject.toml's
import-linter contracts hold this):

    app.py              create_app(services): the guards, the fixed table of error
                        formats, every family's routes, the middleware around them
    openapi.py          GET /openapi.json: the families' fragments, assembled
    runs/ runner_events/ executions/ sessions/ skills/ agent/ dashboard/
                        the families, independent of each other: each a pure
                        projection.py (canonical event -> wire events), routes.py, openapi.py
    routing.py          RouteGroup: a family's routes, bound to the Services
    responses.py        JSON answers and the families' error formats
    openapi_fragment.py what a family's OpenAPI fragment is written with
    services.py         Services: what the routes reach (store, bus, runs, tokens, state)
    sse.py streaming.py thread_streams.py run_replay.py snapshots.py login.py auth.py
    request_json.py request_numbers.py rate_limit.py whole_body.py last_resort.py
    faults.py http_server.py runner_services.py
                        what the families and the app share
"""
