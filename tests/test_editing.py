"""Grid rows ↔ cost lines, the data editor's deltas, and the form's changes."""

from decimal import Decimal

import pytest

from guichet.io.loading import ScenarioError
from guichet.session import changes
from guichet.session.editing import (apply_editor_delta, lines_from_rows, milestones_from_rows,
                                     row_to_line, rows_from_lines)
from guichet.session.presets import load_preset


def row(**kw):
    base = {"label": "Prestation", "category": "Prestations externes", "amount": 1000.0,
            "basis": "HT", "vat": None, "start": 1, "end": 3}
    base.update(kw)
    return base


def test_rows_round_trip_every_example_line():
    s = load_preset("secnumcloud-applications")
    lines, incomplete = lines_from_rows(rows_from_lines(s.cost_lines))
    assert incomplete == []
    assert lines == s.cost_lines


def test_amount_typed_as_float_is_read_exactly():
    line = row_to_line(row(amount=1234.56))
    assert line.amount == Decimal("1234.56")


def test_vat_percent_becomes_a_rate_and_blank_means_default():
    assert row_to_line(row(vat=5.5)).vat_rate == Decimal("0.055")
    assert row_to_line(row(vat=None)).vat_rate is None
    assert row_to_line(row(vat=float("nan"))).vat_rate is None


@pytest.mark.parametrize("missing", ["category", "amount"])
def test_half_filled_row_is_incomplete_and_left_out(missing):
    lines, incomplete = lines_from_rows([row(), row(**{missing: None})])
    assert len(lines) == 1
    assert incomplete[0].number == 2
    assert "à compléter" in incomplete[0].reason


def test_months_out_of_order_is_reported_in_french():
    reason = row_to_line(row(start=5, end=2))
    assert isinstance(reason, str) and "précède" in reason


def test_negative_amount_names_the_column():
    reason = row_to_line(row(amount=-5.0))
    assert isinstance(reason, str) and "Montant" in reason


def test_empty_label_takes_the_category_label():
    assert row_to_line(row(label=None)).label == "Prestations externes"


def test_delta_edits_deletes_and_adds_relative_to_the_base():
    base = [row(label="a"), row(label="b"), row(label="c")]
    delta = {"edited_rows": {2: {"amount": 5.0}}, "deleted_rows": [0],
             "added_rows": [{"label": "d", "category": "Matériel"}]}
    rows = apply_editor_delta(base, delta)
    assert [r["label"] for r in rows] == ["b", "c", "d"]
    assert rows[1]["amount"] == 5.0
    assert rows[2]["amount"] is None
    assert base[2]["amount"] == 1000.0  # the base is never changed


def test_a_second_edit_keeps_the_first():
    """The grid's state is cumulative against a stable base: two edits both survive (#7749)."""
    base = [row(label="a"), row(label="b")]
    first = {"edited_rows": {0: {"amount": 1.0}}}
    both = {"edited_rows": {0: {"amount": 1.0}, 1: {"amount": 2.0}}}
    assert [r["amount"] for r in apply_editor_delta(base, first)] == [1.0, 1000.0]
    assert [r["amount"] for r in apply_editor_delta(base, both)] == [1.0, 2.0]


def test_milestones_need_a_month():
    ms, incomplete = milestones_from_rows([
        {"label": "Mise en production", "month": 4, "impact": True},
        {"label": "Sans mois", "month": None, "impact": False},
        {"label": None, "month": None, "impact": None},
    ])
    assert [(m.label, m.month, m.impact) for m in ms] == [("Mise en production", 4, True)]
    assert [r.number for r in incomplete] == [2]


def test_set_field_validates_and_leaves_the_original():
    s = load_preset("migration-pi")
    t = changes.set_field(s, "migration.target", "other")
    assert t.migration.target == "other" and s.migration.target == "pi"
    with pytest.raises(ScenarioError) as exc:
        changes.set_field(s, "migration.target", "aws")
    assert exc.value.problems[0].path == "migration.target"


def test_operations_toggle_keeps_entered_values():
    s = load_preset("migration-pi")
    both = changes.set_operations(s, True, True)
    assert both.migration == s.migration
    assert both.extension.clouds == ["pi"] and both.extension.third_party_commitments == 0
    none = changes.set_operations(s, False, False)
    assert none.migration is None and none.extension is None


def test_lines_of_text():
    assert changes.lines_of_text(" A \n\n B\n") == ["A", "B"]
