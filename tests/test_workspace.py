"""The session's scenarios: add, replace, duplicate, rename, delete, switch."""

from guichet.session.editing import rows_from_lines
from guichet.session.presets import blank_scenario, list_presets, load_preset
from guichet.session.workspace import MAX_ENTRIES, Workspace


def test_presets_are_the_examples_in_order():
    ids = [p.id for p in list_presets()]
    assert ids[:4] == ["migration-pi", "secnumcloud-applications", "extension-nubo",
                       "not-eligible-commercial-cloud"]
    assert all(p.title for p in list_presets())


def test_add_switches_and_replace_bumps_the_version():
    ws = Workspace()
    first = ws.add(load_preset("migration-pi"))
    second = ws.add(load_preset("extension-nubo"))
    assert ws.current_id == second.id != first.id
    ws.replace(load_preset("secnumcloud-applications"))
    assert ws.current.version == 1
    assert ws.current.rows == rows_from_lines(ws.scenario.cost_lines)


def test_set_rows_keeps_incomplete_rows_out_of_the_scenario():
    ws = Workspace()
    ws.add(load_preset("migration-pi"))
    rows = ws.current.rows + [{"label": "à finir", "category": None, "amount": None, "basis": "HT",
                               "vat": None, "start": 1, "end": 1}]
    ws.set_rows(rows)
    assert len(ws.scenario.cost_lines) == 4
    assert len(ws.current.rows) == 5
    assert ws.current.incomplete[0].number == 5


def test_duplicate_rename_delete_switch():
    ws = Workspace()
    a = ws.add(load_preset("migration-pi"))
    b = ws.duplicate()
    assert ws.scenario.name.endswith("(copie)") and ws.current_id == b.id
    ws.rename("Variante NUBO")
    assert ws.scenario.name == "Variante NUBO"
    assert ws.get(a.id).scenario.name != "Variante NUBO"
    ws.switch(a.id)
    assert ws.current_id == a.id
    ws.delete(a.id)
    assert ws.current_id == b.id and len(ws.entries) == 1
    ws.delete(b.id)  # the last one stays
    assert len(ws.entries) == 1


def test_the_number_of_scenarios_is_capped():
    ws = Workspace()
    for _ in range(MAX_ENTRIES + 3):
        ws.add(blank_scenario())
    assert len(ws.entries) == MAX_ENTRIES
    assert ws.current_id == ws.entries[-1].id
