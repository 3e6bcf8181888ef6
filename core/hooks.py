"""What the packages contribute to the site's shared parts, through one registry per app.

A package's ``register(app)`` adds its blueprints and then, through ``registry(app)``:

* navigation entries (``NavEntry``: a label, an endpoint, who sees it, an order) that
  ``base.html`` lists;
* panels on the shared pages (``Panel`` on ``Page.DASHBOARD``, ``Page.HOME`` or
  ``Page.DEPUTY_HOME``): a template partial and a function computing its context, called
  only when that page renders;
* template globals and filters;
* a demo seeder (``DemoSeeder``) that ``flask demo`` calls in order.

``core`` reads the registry and never imports a pillar package; the pillars import
``core``. ``core.web.register`` installs the one context processor that hands the
templates their navigation.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Flask, current_app, render_template
from markupsafe import Markup

EXTENSION = "yishi.hooks"

# Who sees a navigation entry: a function of Flask-Login's ``current_user``.
Audience = Callable[[Any], bool]


def everyone(user) -> bool:
    return True


def staff(user) -> bool:
    return user.is_authenticated and user.is_staff


def deputies(user) -> bool:
    """Deputies of a congress and members of a standing committee (both log in as deputies)."""
    return user.is_authenticated and user.is_deputy


def lead_units(user) -> bool:
    return user.is_authenticated and user.role == "lead_unit"


@dataclass(frozen=True)
class NavEntry:
    """One link of the main navigation. ``label`` is a lazy gettext string."""

    label: Any
    endpoint: str
    visible_to: Audience = everyone
    order: int = 100


class Page(enum.StrEnum):
    """The shared pages that show panels of several packages."""

    DASHBOARD = "dashboard"  # the staff dashboard: one card per package
    HOME = "home"  # the public home page, below the introduction
    DEPUTY_HOME = "deputy_home"  # a deputy's own page, below the sessions


@dataclass(frozen=True)
class Panel:
    """A partial of a shared page. ``context()`` returns the partial's variables; it runs
    only when the page is rendered."""

    template: str
    context: Callable[[], dict] | None = None
    order: int = 100


@dataclass
class DemoRun:
    """What the demo's seeders share: the day the demo is built for, and one random
    stream (the core roster starts it, the demo vote's ballots continue it, so the demo
    comes out the same every time)."""

    today: date
    rng: random.Random = field(default_factory=lambda: random.Random(20270112))


@dataclass(frozen=True)
class DemoLogins:
    """Console lines naming a package's demo accounts with new passwords, and how many
    accounts they cover (for the audit line)."""

    lines: list[str]
    accounts: int


@dataclass(frozen=True)
class DemoSeeder:
    """A package's part of the demo. ``seed`` adds its rows (the caller commits after
    each seeder) and returns console lines; ``logins``, if given, resets the passwords of
    the package's own demo accounts for ``flask demo --logins``."""

    name: str
    seed: Callable[[DemoRun], list[str]]
    order: int = 100
    logins: Callable[[], DemoLogins] | None = None


class Registry:
    """Everything the packages of one app contributed."""

    def __init__(self, app: Flask):
        self.app = app
        self.nav: list[NavEntry] = []
        self.panels: dict[Page, list[Panel]] = {page: [] for page in Page}
        self.template_globals: dict[str, Any] = {}
        self.template_filters: dict[str, Callable] = {}
        self.demo: list[DemoSeeder] = []

    def add_nav(self, *entries: NavEntry) -> None:
        self.nav.extend(entries)
        self.nav.sort(key=lambda e: e.order)

    def add_panel(self, page: Page, panel: Panel) -> None:
        self.panels[page].append(panel)
        self.panels[page].sort(key=lambda p: p.order)

    def add_template_global(self, name: str, value: Any) -> None:
        self._unique(name, self.template_globals)
        self.template_globals[name] = value
        self.app.add_template_global(value, name)

    def add_template_filter(self, name: str, function: Callable) -> None:
        self._unique(name, self.template_filters)
        self.template_filters[name] = function
        self.app.add_template_filter(function, name)

    def add_demo(self, seeder: DemoSeeder) -> None:
        self.demo.append(seeder)
        self.demo.sort(key=lambda s: s.order)

    def nav_for(self, user) -> list[NavEntry]:
        """The entries ``user`` sees, in order."""
        return [entry for entry in self.nav if entry.visible_to(user)]

    def render_panels(self, page: Page) -> list[Markup]:
        """Each panel of ``page`` rendered with its own context, in order."""
        return [Markup(render_template(p.template, **(p.context() if p.context else {}))) for p in self.panels[page]]

    @staticmethod
    def _unique(name: str, table: dict) -> None:
        if name in table:
            raise ValueError(f"template name {name!r} is registered twice")


def registry(app: Flask | None = None) -> Registry:
    """The registry of ``app`` (default: the current app), made on first use."""
    app = app or current_app._get_current_object()
    if EXTENSION not in app.extensions:
        app.extensions[EXTENSION] = Registry(app)
    return app.extensions[EXTENSION]
