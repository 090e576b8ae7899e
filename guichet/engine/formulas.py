"""The small formulas of the engine, each named after what it computes (pure; Decimal only)."""

from __future__ import annotations

from decimal import ROUND_UP, Decimal

from guichet.engine.models import CostLine
from guichet.present.formatting import CENT, round_down, round_half_up


def line_ttc(line: CostLine) -> tuple[Decimal, Decimal, Decimal]:
    """(HT, VAT rate, TTC) of a cost line; TTC rounded half-up to the cent.

    An HT amount is raised by the line's VAT rate; a TTC amount is taken as it is and its HT part
    derived (rounded half-up) for the exports.
    """
    return line_amounts(line.amount, line.basis, line.effective_vat_rate())


def line_amounts(amount: Decimal, basis: str, rate: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(HT, VAT rate, TTC) of an amount entered on ``basis`` ("ht" or "ttc") at VAT ``rate``."""
    if basis == "ttc":
        ttc = round_half_up(amount)
        ht = round_half_up(ttc / (1 + rate)) if rate else ttc
    else:
        ht = round_half_up(amount)
        ttc = round_half_up(amount * (1 + rate))
    return ht, rate, ttc


def potential_cofinancing(rate: Decimal, base: Decimal) -> Decimal:
    """requested rate × eligible base, rounded down to the cent (never above the cap)."""
    return round_down(rate * base)


def base_needed_for_cofinancing(amount: Decimal, rate: Decimal) -> Decimal:
    """The smallest eligible base (to the cent) whose co-financing at ``rate`` reaches ``amount``."""
    needed = (amount / rate).quantize(CENT, rounding=ROUND_UP)
    while potential_cofinancing(rate, needed) < amount:  # pragma: no cover - guard for odd rates
        needed += CENT
    return needed


def training_reduction(training: Decimal, other_eligible: Decimal, share: Decimal) -> Decimal:
    """How much training to remove so that training ≤ share × (other eligible + training)."""
    if share >= 1:
        return Decimal(0)
    allowed = round_down(share * other_eligible / (1 - share))
    return max(training - allowed, Decimal(0))


def spread_monthly(lines: list[tuple[int, int, int, bool]], horizon: int) -> list[tuple[int, int]]:
    """Spread each line's TTC (in cents) evenly over its months; the leftover cents go to the
    first months, so each month's figures add up exactly to the line. Returns per month
    (eligible cents, excluded cents). Linear in lines + months (difference arrays)."""
    diff_eligible = [0] * (horizon + 2)
    diff_excluded = [0] * (horizon + 2)
    for cents, start, end, excluded in lines:
        n = end - start + 1
        per, extra = divmod(cents, n)
        diff = diff_excluded if excluded else diff_eligible
        diff[start] += per
        diff[end + 1] -= per
        if extra:
            diff[start] += 1
            diff[start + extra] -= 1
    out = []
    elig = excl = 0
    for month in range(1, horizon + 1):
        elig += diff_eligible[month]
        excl += diff_excluded[month]
        out.append((elig, excl))
    return out
