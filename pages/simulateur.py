"""Simulateur: applicant, operations, target, cost lines — and the results beside them."""

from functools import partial

import streamlit as st

from guichet.engine.models import MAX_START_DATE, MIN_START_DATE
from guichet.engine.rules import load_rules
from guichet.present import charts, labels
from guichet.present.formatting import escape_markdown as md
from guichet.present.tables import lines_table
from guichet.session.changes import lines_of_text
from guichet.ui import callbacks, components, grids, router, state

rules = load_rules()
router.ensure_frame()
state.show_flash()
ws = state.workspace()
scenario = ws.scenario
k = callbacks.widget_key

head, share = st.columns([4, 1], vertical_alignment="bottom")
with head:
    st.title("Simulateur")
with share:
    # the link is made only while the popover is open (it encodes the whole scenario)
    popover = st.popover("Copier le lien", icon=":material/link:", width="stretch", key="partage",
                         on_change="rerun")
if popover.open:
    with popover:
        link, problem = state.share_link()
        if link:
            st.markdown("Lien de ce scénario (bouton de copie à droite) :")
            st.code(link, language=None, wrap_lines=True)
            st.caption("Toute personne qui ouvre ce lien retrouve le scénario tel qu’il est maintenant.")
        else:
            st.warning(f"Attention : pas de lien pour ce scénario ({problem}). "
                       "Enregistrez-le plutôt en fichier.", icon=":material/warning:")
callbacks.show_form_error()

inputs, results = st.columns([5, 4], gap="medium")

with inputs:
    st.text_input("Nom du scénario", value=scenario.name, key=k("name"), max_chars=300,
                  on_change=callbacks.on_field, args=("name", "name"))
    st.selectbox("Type de demandeur", options=list(labels.APPLICANT_KINDS),
                 format_func=labels.APPLICANT_KINDS.__getitem__, key=k("kind"),
                 index=list(labels.APPLICANT_KINDS).index(scenario.applicant.kind),
                 on_change=callbacks.on_field, args=("applicant.kind", "kind"),
                 help="Le guichet est ouvert aux administrations d’État et aux opérateurs de l’État.")

    st.markdown("**Opérations** (éventuellement combinées)")
    st.checkbox("Migration d’application(s) vers le Cloud de confiance", key=k("op_migration"),
                value=scenario.migration is not None, on_change=callbacks.on_operations)
    st.checkbox("Extension ou montée en qualité des offres PI / NUBO", key=k("op_extension"),
                value=scenario.extension is not None, on_change=callbacks.on_operations)

    if scenario.migration is not None:
        with st.container(border=True):
            m = scenario.migration
            st.selectbox("Hébergement d’origine", options=list(labels.ORIGINS),
                         format_func=labels.ORIGINS.__getitem__, key=k("origin"),
                         index=list(labels.ORIGINS).index(m.origin),
                         on_change=callbacks.on_field, args=("migration.origin", "origin"))
            st.radio("Cible de la migration", options=list(labels.TARGETS),
                     format_func=labels.TARGETS.__getitem__, key=k("target"),
                     index=list(labels.TARGETS).index(m.target),
                     captions=[labels.TARGET_HELP[t] for t in labels.TARGETS],
                     on_change=callbacks.on_field, args=("migration.target", "target"))
            st.text_area("Applications migrées (une par ligne)", value="\n".join(m.applications),
                         key=k("apps"), height=80, on_change=callbacks.on_field,
                         args=("migration.applications", "apps", lines_of_text))

    if scenario.extension is not None:
        with st.container(border=True):
            x = scenario.extension
            st.multiselect("Clouds interministériels étendus", options=list(labels.CLOUDS),
                           format_func=labels.CLOUDS.__getitem__, default=x.clouds, key=k("clouds"),
                           on_change=callbacks.on_field, args=("extension.clouds", "clouds"))
            examples = list(rules.values("extension_service_examples"))
            st.multiselect("Services créés ou améliorés", options=sorted(set(examples + x.services)),
                           default=x.services, key=k("services"), accept_new_options=True,
                           on_change=callbacks.on_field, args=("extension.services", "services"),
                           help="Exemples de la page ; saisissez un autre service pour l’ajouter.")
            st.number_input("Engagements formalisés de ministères tiers", min_value=0, max_value=1000,
                            step=1, value=x.third_party_commitments, key=k("commitments"),
                            on_change=callbacks.on_field,
                            args=("extension.third_party_commitments", "commitments"),
                            help=rules["min_third_party_commitments"].source)

    c1, c2 = st.columns(2)
    with c1:
        st.date_input("Date de début du projet", value=scenario.start_date, key=k("start"),
                      min_value=MIN_START_DATE, max_value=MAX_START_DATE, format="DD/MM/YYYY", on_change=callbacks.on_field, args=("start_date", "start"))
    with c2:
        max_pct = float(rules.decimal("max_cofinancing_rate") * 100)
        st.number_input("Taux de cofinancement demandé (%)", min_value=0.0, max_value=max_pct,
                        step=0.5, value=float(scenario.requested_rate * 100), key=k("rate"),
                        format="%.1f", on_change=callbacks.on_field,
                        args=("requested_rate", "rate", lambda v: f"{v / 100:.4f}"),
                        help=rules["max_cofinancing_rate"].source)


@st.fragment
def lines_and_results() -> None:
    """The cost lines and everything computed from them, the results column beside the form
    included. An edit of the grid reruns only this (not the form, the title or the sidebar): the
    new figures show sooner. An edit that changes what is shown outside it — the status in the
    sidebar — reruns the whole page (``callbacks.on_grid_edit``)."""
    ws = state.workspace()
    scenario = ws.scenario
    evaluation = state.current_evaluation()

    with results:
        st.header("Résultat")
        with st.container(border=True):
            components.status_banner(evaluation)
            components.key_figures(evaluation, compact=True)
        components.reading_caption(evaluation)
        st.header("Contrôles")
        components.checks(evaluation)

    st.header("Lignes de coût")
    st.caption(grids.lines_caption())
    st.data_editor(
        grids.LINES.frame(), key=grids.LINES.key(), on_change=callbacks.on_grid_edit, num_rows="dynamic",
        hide_index=True, width="stretch", placeholder="—",
        alt="Tableau des lignes de coût : libellé, catégorie, montant, HT ou TTC, TVA, mois de début et de fin",
        column_config=grids.lines_columns())
    for row in ws.current.incomplete:
        st.warning(f"Attention : ligne {row.number} non comptée dans les totaux ({md(row.reason)}).",
                   icon=":material/edit_note:")

    with st.container(key="annonce-resultats"):  # announced politely after each edit
        components.figures_strip(evaluation)
    if components.remembered_toggle(
            f"Afficher le détail des {len(evaluation.lines)} ligne(s) comptée(s) : HT, TVA, TTC",
            key="show_line_detail"):
        st.dataframe(lines_table(evaluation), hide_index=True, width="stretch")

    st.header("Graphiques")
    # Shown on request: redrawing two charts after every edit of the grid slows the figures down
    # by ≈ 10–20 ms in the browser (bench/browser_latency.py); once on, they follow every edit.
    if components.remembered_toggle("Afficher les graphiques : coûts par catégorie, plan de financement",
                                    key="show_charts"):
        components.chart_with_table(charts.costs_by_category_spec(evaluation),
                                    partial(charts.costs_by_category_table, evaluation),
                                    "coûts par catégorie")
        components.chart_with_table(charts.funding_split_spec(evaluation),
                                    partial(charts.funding_split_table, evaluation),
                                    "plan de financement")
    st.caption(f"Scénario : {md(scenario.name)}")


lines_and_results()
