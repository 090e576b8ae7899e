"""The session's scenarios (pure: no Streamlit).

A workspace holds several named scenarios — one is current — and the reading in force. Each entry
keeps the rows of its cost-line grid (which may include incomplete rows) next to its scenario, whose
cost lines are always the complete rows. ``version`` changes whenever the scenario is replaced from
outside the grid and form (preset, file, link, import), so the pages rebuild their widgets from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from guichet.engine.evaluate import evaluate
from guichet.engine.models import MAX_TEXT, CostLine, Scenario
from guichet.engine.rules import load_rules
from guichet.io.loading import Problem, ScenarioError, changed
from guichet.session.editing import IncompleteRow, Row, lines_from_rows, rows_from_lines

MAX_ENTRIES = 12


@dataclass
class Entry:
    id: int
    scenario: Scenario
    rows: list[Row]
    incomplete: list[IncompleteRow] = field(default_factory=list)
    version: int = 0


@dataclass
class Workspace:
    entries: list[Entry] = field(default_factory=list)
    current_id: int = 0
    reading: str = field(default_factory=lambda: load_rules().default_reading)
    next_id: int = 1

    @property
    def current(self) -> Entry:
        for e in self.entries:
            if e.id == self.current_id:
                return e
        raise LookupError("no current scenario")

    @property
    def scenario(self) -> Scenario:
        return self.current.scenario

    def get(self, entry_id: int) -> Entry:
        for e in self.entries:
            if e.id == entry_id:
                return e
        raise LookupError(entry_id)

    def add(self, scenario: Scenario, switch: bool = True) -> Entry:
        """Add a scenario (a preset, a file, a link) as a new entry; the oldest goes beyond the cap.
        A scenario that cannot be evaluated is never added: ScenarioError, nothing changed."""
        try:
            evaluate(scenario, reading=self.reading)
        except (ArithmeticError, ValueError) as exc:
            raise ScenarioError([Problem("", "le scénario n’a pas pu être calculé : "
                                             "une valeur dépasse ce que le simulateur traite")]) from exc
        entry = Entry(id=self.next_id, scenario=scenario, rows=rows_from_lines(scenario.cost_lines))
        self.next_id += 1
        self.entries.append(entry)
        while len(self.entries) > MAX_ENTRIES:
            dropped = next(e for e in self.entries if e.id != entry.id)
            self.entries.remove(dropped)
        if switch or len(self.entries) == 1:
            self.current_id = entry.id
        return entry

    def replace(self, scenario: Scenario) -> None:
        """Replace the current scenario from outside the grid: rows rebuilt, widgets reset."""
        e = self.current
        e.scenario = scenario
        e.rows = rows_from_lines(scenario.cost_lines)
        e.incomplete = []
        e.version += 1

    def refresh(self, scenario: Scenario) -> None:
        """A change that reshapes the form (an indicator added or removed): the scenario's cost
        lines are unchanged, so the grid's rows stay; the widgets are rebuilt."""
        self.current.scenario = scenario
        self.current.version += 1

    def update(self, scenario: Scenario) -> None:
        """A form field changed: the widgets already show it, the rows are unchanged."""
        self.current.scenario = scenario

    def set_rows(self, rows: list[Row]) -> None:
        """The grid changed: complete rows become the scenario's cost lines, validated with the
        scenario (at most MAX_LINES of them). Raises ScenarioError and changes nothing when the
        result is not a valid scenario."""
        e = self.current
        lines, incomplete = lines_from_rows(rows)
        scenario = changed(e.scenario, cost_lines=lines)
        e.rows = rows
        e.incomplete = incomplete
        e.scenario = scenario

    def append_lines(self, lines: Iterable[CostLine]) -> None:
        """Imported lines go after the grid's rows (incomplete rows kept); the grid is rebuilt.
        Raises ScenarioError and changes nothing when too many lines would result."""
        self.set_rows(self.current.rows + rows_from_lines(list(lines)))
        self.current.version += 1

    def duplicate(self) -> Entry:
        source = self.current
        suffix = " (copie)"
        name = source.scenario.name[:MAX_TEXT - len(suffix)] + suffix
        copy = changed(source.scenario, name=name).model_copy(deep=True)
        entry = self.add(copy)
        entry.rows = [dict(r) for r in source.rows]
        entry.incomplete = list(source.incomplete)
        return entry

    def rename(self, name: str) -> None:
        """Raises ScenarioError (the name unchanged) for a name the format refuses."""
        name = name.strip()
        if name:
            self.update(changed(self.scenario, name=name))

    def delete(self, entry_id: int) -> None:
        if len(self.entries) <= 1:
            return
        self.entries = [e for e in self.entries if e.id != entry_id]
        if self.current_id == entry_id:
            self.current_id = self.entries[-1].id

    def switch(self, entry_id: int) -> None:
        self.get(entry_id)
        self.current_id = entry_id
