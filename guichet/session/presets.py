"""The app's presets: the scenarios of ``examples/``, and a blank scenario (pure: no Streamlit)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from guichet.engine.evaluate import evaluate
from guichet.engine.models import Applicant, Migration, Scenario
from guichet.io.loading import load_scenario
from guichet.present import labels
from guichet.present.formatting import eur

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
ORDER = ["migration-pi", "secnumcloud-applications", "extension-nubo", "not-eligible-commercial-cloud"]


@dataclass(frozen=True)
class Preset:
    id: str
    title: str
    path: Path


def list_presets() -> list[Preset]:
    files = sorted(EXAMPLES_DIR.glob("*.json"),
                   key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else len(ORDER), p.stem))
    return [Preset(id=p.stem, title=load_scenario(p.read_bytes()).name, path=p) for p in files]


def load_preset(preset_id: str) -> Scenario:
    for p in list_presets():
        if p.id == preset_id:
            return load_scenario(p.path.read_bytes())
    raise KeyError(preset_id)


def blank_scenario(today: dt.date | None = None) -> Scenario:
    """A new, empty project: an administration migrating to PI, starting next month."""
    today = today or dt.date.today()
    start = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return Scenario(name="Nouveau projet", applicant=Applicant(kind="state_administration"),
                    migration=Migration(origin="physical", target="pi"), start_date=start)


def preset_summary(scenario: Scenario) -> str:
    """« Migration vers PI · 234 000 € TTC · Éligible »: one line to tell presets apart."""
    e = evaluate(scenario)
    ops = []
    if scenario.migration:
        target = labels.TARGETS[scenario.migration.target].split(" (")[0]
        ops.append(f"Migration vers {target[0].lower() + target[1:] if target.startswith(('Offre', 'Autre')) else target}")
    if scenario.extension:
        ops.append("Extension " + " et ".join(labels.CLOUDS[c] for c in scenario.extension.clouds))
    return " · ".join(ops + [f"{eur(e.total_cost_ttc, cents=False)} TTC", e.status_label])
