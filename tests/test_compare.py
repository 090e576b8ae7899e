"""Side-by-side comparison: the table, what differs, duplicate names."""

from guichet.engine.evaluate import evaluate
from guichet.present.compare import comparison_table, differences
from guichet.present.formatting import eur, unique_names
from guichet.session.presets import load_preset


def items(*ids):
    return [(load_preset(i).name, load_preset(i), evaluate(load_preset(i))) for i in ids]


def test_table_has_one_column_per_scenario_with_the_engines_figures():
    table = comparison_table(items("migration-pi", "extension-nubo")).set_index("")
    assert list(table.columns) == [load_preset("migration-pi").name, load_preset("extension-nubo").name]
    assert table.loc["Assiette éligible"].tolist() == [
        eur(evaluate(load_preset("migration-pi")).eligible_base_ttc),
        eur(evaluate(load_preset("extension-nubo")).eligible_base_ttc)]
    assert table.loc["Extension"].tolist() == ["—", "NUBO"]


def test_differences_keep_only_rows_that_differ():
    same = differences(items("migration-pi", "migration-pi"))
    assert same.empty
    diff = differences(items("migration-pi", "not-eligible-commercial-cloud")).set_index("")
    assert "Statut" in diff.index and "Demandeur" not in diff.index


def test_same_names_are_numbered():
    assert unique_names(["A", "B", "A", "A"]) == ["A", "B", "A (2)", "A (3)"]
    assert unique_names(["", " ", "B"]) == ["Sans nom", "Sans nom (2)", "B"]
    table = comparison_table(items("migration-pi", "migration-pi"))
    assert len(table.columns) == 3
