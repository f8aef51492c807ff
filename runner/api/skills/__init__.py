"""Skills (seed 002): list, describe and execute skills over HTTP, and follow an
execution as SSE.

projection.py turns a skill's canonical events into the seed's wire events (pure: the
CLI renders them too); routes.py serves the routes; openapi.py describes them.
"""

from runner.api.skills.projection import ExecutionView

__all__ = ["ExecutionView"]
