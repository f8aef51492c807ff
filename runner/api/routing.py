"""Route groups: a family's routes as methods of one object, bound to the daemon's
Services when the app is created.

    class SessionRoutes(RouteGroup):
        name = "sessions"                      # the blueprint: endpoints are sessions.<method>
        errors = ErrorFormat(("/v1/sessions",), session_error)

        @get("/v1/sessions/<session>")
        async def get_session(self, session: str) -> Response:
            run = await self.services.find_run(...)

A route reaches the store, the bus and the run manager through `self.services`, and
keeps what its family needs between requests (a frame cache, a rate limiter) in fields
its `__init__` creates: nothing is looked up in the app's config or kept in a module.
`before_request`, when a group defines it, runs before each of the group's routes.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from quart import Blueprint

if TYPE_CHECKING:
    from collections.abc import Callable

    from runner.api.responses import ErrorFormat
    from runner.api.services import Services

View = TypeVar("View", bound="Callable[..., Any]")
_MARK = "__stax_routes__"


def route(rule: str, *methods: str, public: bool = False) -> Callable[[View], View]:
    """Mark a method as the view of `rule` for `methods`. `public`: answered without a
    token whatever the settings (health checks, the dashboard's pages and login)."""

    def mark(view: View) -> View:
        vars(view).setdefault(_MARK, []).append((rule, methods, public))
        return view

    return mark


def get(rule: str, *, public: bool = False) -> Callable[[View], View]:
    return route(rule, "GET", public=public)


def post(rule: str) -> Callable[[View], View]:
    return route(rule, "POST")


def delete(rule: str) -> Callable[[View], View]:
    return route(rule, "DELETE")


class RouteGroup:
    """One family's routes (or a part of a family that has a prefix of its own)."""

    name: ClassVar[str]  # the blueprint's name
    errors: ClassVar[ErrorFormat | None] = None  # None: the REST error format

    def __init__(self, services: Services) -> None:
        self.services = services

    async def before_request(self) -> None:
        """Runs before each of the group's routes (when a group overrides it)."""

    def blueprint(self) -> Blueprint:
        """The group's routes, bound to this object, as a blueprint for the app."""
        blueprint = Blueprint(self.name, type(self).__module__)
        for endpoint, rule, methods, _ in self._routes():
            view = getattr(self, endpoint)
            blueprint.add_url_rule(rule, endpoint=endpoint, view_func=view, methods=methods)
        if type(self).before_request is not RouteGroup.before_request:
            blueprint.before_request(self.before_request)
        return blueprint

    @classmethod
    def public_endpoints(cls) -> frozenset[str]:
        """The endpoints (`<name>.<method>`) marked public."""
        return frozenset(
            f"{cls.name}.{endpoint}" for endpoint, *_, public in cls._routes() if public
        )

    @classmethod
    def _routes(cls) -> list[tuple[str, str, tuple[str, ...], bool]]:
        """(endpoint, rule, methods, public) of every route of the group."""
        return [
            (endpoint, rule, methods, public)
            for endpoint, member in inspect.getmembers(cls, inspect.isfunction)
            for rule, methods, public in vars(member).get(_MARK, ())
        ]
