"""Command line: ``python -m guichet evaluate FILE|- [--format json|text] [--reading NAME]``,
``python -m guichet export FILE|- --format xlsx|pdf|csv|md -o OUT [--reading NAME]``,
``python -m guichet schema``.

Exit status: 0 when a scenario was evaluated (eligible or not), 2 on bad input, with one French
message per problem on standard error and never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from guichet.engine.evaluate import Evaluation, evaluate
from guichet.engine.figures import label
from guichet.engine.models import Scenario
from guichet.engine.rules import UnknownReading, load_rules
from guichet.io.loading import MAX_SCENARIO_BYTES, Problem, ScenarioError, load_scenario
from guichet.present import labels
from guichet.present.formatting import eur, percent

EXIT_BAD_INPUT = 2


def _read_input(name: str) -> bytes:
    """The input's bytes, read only up to one byte over the size a scenario file may have (the
    loader then refuses it): a huge file or an endless stream is never read whole."""
    if name == "-":
        return sys.stdin.buffer.read(MAX_SCENARIO_BYTES + 1)
    path = Path(name)
    if path.is_dir():
        raise ScenarioError([Problem("", f"{name} est un dossier, pas un fichier de scénario")])
    if not path.exists():
        raise ScenarioError([Problem("", f"fichier introuvable : {name}")])
    try:
        with path.open("rb") as f:
            return f.read(MAX_SCENARIO_BYTES + 1)
    except OSError as exc:
        raise ScenarioError([Problem("", f"impossible de lire {name} : {_os_reason(exc)}")]) from None


def evaluation_json(evaluation: Evaluation) -> str:
    return json.dumps(evaluation.model_dump(mode="json"), ensure_ascii=False, indent=2)


def evaluation_text(scenario: Scenario, e: Evaluation) -> str:
    rules = load_rules()
    width = 34
    def row(label: str, value: str) -> str:
        return f"  {label} {'.' * max(2, width - len(label))} {value}"
    impact = (f"Oui (premier impact au mois {e.first_impact_month})" if e.six_month_impact
              else (f"Non (premier impact au mois {e.first_impact_month})" if e.first_impact_month
                    else "Non (aucun jalon d’impact)"))
    lines = [
        f"Scénario : {scenario.name}",
        f"Lecture : {e.reading_label} ({e.reading}) — règles {e.rules_version}, page du "
        f"{rules.source_date:%d/%m/%Y}",
        "",
        f"Statut : {e.status_label.upper()}",
        "",
        *(row(label(k), e.explanations[k].value)
          for k in ("total_cost_ttc", "excluded_cost_ttc", "eligible_base_ttc")),
        row(f"{label('cofinancing_ttc')} ({percent(e.requested_rate, 2)})", eur(e.cofinancing_ttc)),
        row(label("own_contribution_ttc"), eur(e.own_contribution_ttc)),
        row(label("six_month_impact"), impact),
        *(row(label(k), e.explanations[k].value)
          for k in ("annual_savings_ttc", "payback_months", "five_year_savings_ttc")),
        row("Agents formés", str(e.agents_trained) if e.agents_trained is not None else "—"),
        "",
    ]
    if not e.checks:
        lines.append("Aucun contrôle à signaler.")
    else:
        lines.append("Contrôles :")
        for c in e.checks:
            lines.append(f"- [{labels.SEVERITIES[c.severity]}] {c.code} — {c.message}")
            if c.advice:
                lines.append(f"    Conseil : {c.advice}")
            mark = " (hypothèse du simulateur)" if c.assumption else ""
            lines.append(f"    Source{mark} : « {c.source} »")
    lines.append("")
    lines.append("Comment est-ce calculé ?")
    for key in ("total_cost_ttc", "excluded_cost_ttc", "eligible_base_ttc",
                "potential_cofinancing_ttc", "cofinancing_ttc", "own_contribution_ttc",
                "annual_savings_ttc", "payback_months", "five_year_savings_ttc"):
        x = e.explanations[key]
        lines.append(f"- {x.label} : {x.computation}")
    return "\n".join(lines) + "\n"


def _cmd_evaluate(args: argparse.Namespace) -> int:
    scenario = load_scenario(_read_input(args.file))
    evaluation = evaluate(scenario, reading=args.reading)
    out = evaluation_json(evaluation) + "\n" if args.format == "json" else evaluation_text(scenario, evaluation)
    sys.stdout.write(out)
    return 0


EXPORT_FORMATS = ("xlsx", "pdf", "csv", "md")


def _cmd_export(args: argparse.Namespace) -> int:
    from guichet.io.exports import export

    fmt = args.format
    if fmt is None:
        suffix = Path(args.output).suffix.lower().lstrip(".")
        fmt = {"markdown": "md"}.get(suffix, suffix)
        if fmt not in EXPORT_FORMATS:
            raise ScenarioError([Problem("", "format d’export à préciser avec --format "
                                             f"({', '.join(EXPORT_FORMATS)})")])
    scenario = load_scenario(_read_input(args.file))
    evaluation = evaluate(scenario, reading=args.reading)
    data = export(scenario, evaluation, fmt)
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    out = Path(args.output)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise ScenarioError([Problem("", f"impossible d’écrire {args.output} : "
                                         f"{_os_reason(exc)}")]) from None
    print(f"{out} écrit ({fmt}, {len(data)} octets).", file=sys.stderr)
    return 0


def _os_reason(exc: OSError) -> str:
    import errno
    reasons = {errno.ENOENT: "dossier introuvable", errno.EACCES: "permission refusée",
               errno.EISDIR: "c’est un dossier", errno.ENOSPC: "disque plein",
               errno.EROFS: "système de fichiers en lecture seule"}
    return reasons.get(exc.errno or 0, exc.strerror or str(exc))


def _cmd_schema(args: argparse.Namespace) -> int:
    schema = Scenario.model_json_schema()
    sys.stdout.write(json.dumps(schema, ensure_ascii=False, indent=2) + "\n")
    return 0


#: argparse's own messages in French (Python 3.11's texts, as passed to its ``_()``).
ARGPARSE_FRENCH = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments",
    "options": "options",
    "show this help message and exit": "afficher cette aide et quitter",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "choix invalide : %(value)r (choix possibles : %(choices)s)",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "expected one argument": "une valeur attendue",
    "expected at most one argument": "au plus une valeur attendue",
    "expected at least one argument": "au moins une valeur attendue",
    "expected %s argument": "%s valeur attendue",
    "expected %s arguments": "%s valeurs attendues",
    "ambiguous option: %(option)s could match %(matches)s":
        "option ambiguë : %(option)s peut désigner %(matches)s",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "invalid %(type)s value: %(value)r": "valeur invalide (%(type)s) : %(value)r",
    "one of the arguments %s is required": "l’un des arguments %s est obligatoire",
    "not allowed with argument %s": "interdit avec l’argument %s",
    "ignored explicit argument %r": "valeur %r ignorée",
    "unexpected option string: %s": "option inattendue : %s",
    "%(prog)s: error: %(message)s\n": "Erreur : %(message)s\n",
}


@contextlib.contextmanager
def _french_argparse() -> Iterator[None]:
    """argparse speaks French while the parser is built and used (its texts go through the
    module's ``_``; restored afterwards, so nothing else in the process is changed)."""
    english = argparse._  # type: ignore[attr-defined]
    argparse._ = lambda text: ARGPARSE_FRENCH.get(text, text)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._ = english  # type: ignore[attr-defined]


def build_parser() -> argparse.ArgumentParser:
    with _french_argparse():
        return _build_parser()


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m guichet",
        description="Simulateur du guichet « Adoption du Cloud de confiance » (DINUM, FTAP).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE",
                                title="commandes")
    readings = list(load_rules().readings)

    ev = sub.add_parser("evaluate", help="évaluer un scénario (fichier JSON, ou - pour l’entrée standard)")
    ev.add_argument("file", metavar="FICHIER",
                    help="fichier JSON du scénario, ou - pour l’entrée standard")
    ev.add_argument("--format", choices=["json", "text"], default="text")
    ev.add_argument("--reading", default=None, metavar="|".join(readings),
                    help="lecture de la phrase sur la taille du projet")
    ev.set_defaults(func=_cmd_evaluate)

    ex = sub.add_parser("export", help="exporter le dossier d’un scénario (XLSX, PDF, CSV des "
                                      "lignes de coût, Markdown)")
    ex.add_argument("file", metavar="FICHIER", help="fichier JSON du scénario, ou - pour l’entrée standard")
    ex.add_argument("--format", choices=EXPORT_FORMATS, default=None,
                    help="format de l’export (par défaut : l’extension du fichier de sortie)")
    ex.add_argument("-o", "--output", required=True, metavar="SORTIE",
                    help="fichier à écrire (- pour la sortie standard)")
    ex.add_argument("--reading", default=None, metavar="|".join(readings),
                    help="lecture de la phrase sur la taille du projet")
    ex.set_defaults(func=_cmd_export)

    sc = sub.add_parser("schema", help="afficher le schéma JSON du format de scénario")
    sc.set_defaults(func=_cmd_schema)

    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command; usage errors exit 2 with a French message (argparse's own exit)."""
    with _french_argparse():
        parser = _build_parser()
        args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except ScenarioError as exc:
        for problem in exc.problems:
            print(f"Erreur : {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except UnknownReading as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
