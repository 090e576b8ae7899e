"""French formats: « 1 234 567,89 € », « 50 % », and inert Markdown for user text."""

from decimal import Decimal

from babel.numbers import format_currency, format_decimal, format_percent
from hypothesis import given, settings
from hypothesis import strategies as st

from guichet.present.formatting import (NBSP, NNBSP, escape_markdown, eur, money_str, number,
                                        percent, round_down, round_half_up, slug)


def test_euros_as_the_design_system_writes_them():
    assert eur(Decimal("1234567.89")) == f"1{NNBSP}234{NNBSP}567,89{NBSP}€"
    assert eur(0) == f"0,00{NBSP}€"
    assert eur("100000", cents=False) == f"100{NNBSP}000{NBSP}€"
    assert eur(Decimal("-5.5")) == f"-5,50{NBSP}€"
    assert eur(Decimal("-0.001")) == f"0,00{NBSP}€"


def test_euros_round_half_up_like_the_engine():
    assert eur(Decimal("0.005")) == f"0,01{NBSP}€"
    assert eur(Decimal("2.675")) == f"2,68{NBSP}€"
    assert money_str(Decimal("2.675")) == "2.68"


def test_percent_and_numbers():
    assert percent(Decimal("0.5")) == f"50{NBSP}%"
    assert percent(Decimal("0.125"), 1) == f"12,5{NBSP}%"
    assert percent(Decimal("0.2"), 2) == f"20{NBSP}%"
    assert number(1234567) == f"1{NNBSP}234{NNBSP}567"
    assert number(Decimal("1234.56"), 1) == f"1{NNBSP}234,6"


cents = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2,
                    allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(cents)
def test_same_strings_as_babel_fr_FR(value):
    babel = format_currency(value, "EUR", format="#,##0.00\u00a0¤", locale="fr_FR",
                            currency_digits=False)
    assert eur(value) == babel
    assert number(value, 2) == format_decimal(value, format="#,##0.##", locale="fr_FR")
    rate = (value / 10**10).quantize(Decimal("0.0001"))
    if rate != 0:  # Babel writes « -0 % » for a negative zero; we write « 0 % »
        assert percent(rate, 2) == format_percent(rate, format="#,##0.##\u00a0%", locale="fr_FR")


def test_rounding_helpers():
    assert round_half_up(Decimal("0.505")) == Decimal("0.51")
    assert round_down(Decimal("33000.0099")) == Decimal("33000.00")


def test_user_text_is_inert_markdown():
    text = "[clic](http://exemple.test) ![img](x) <b>gras</b> **fort** $x$ # titre"
    escaped = escape_markdown(text)
    for token in ["[", "]", "(", ")", "!", "<", ">", "*", "$", "#"]:
        assert "\\" + token in escaped
    assert escape_markdown("Démarches RH") == "Démarches RH"


def test_slug_for_file_names_and_keys():
    assert slug("Migration de l’application Démarches RH") == "migration-de-l-application-demarches-rh"
    assert slug("coûts par catégorie") == "couts-par-categorie"
    assert slug("  Projet — « 2027 » !") == "projet-2027"
    assert slug("« … »") == ""
