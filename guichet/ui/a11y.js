// Accessibility fixes Streamlit does not offer (fixed code: no user text ever reaches it).
// - the page's language is French (RGAA 8.3);
// - Streamlit's skip link speaks French (RGAA 12.7);
// - containers keyed "annonce-*" are polite live regions: results that change after an edit
//   are announced (role="status").
(function () {
  const doc = window.document;
  const apply = () => {
    if (doc.documentElement.lang !== "fr") doc.documentElement.lang = "fr";
    const skip = doc.querySelector('[data-testid="stSkipToContent"]');
    if (skip && skip.textContent !== "Aller au contenu principal") {
      skip.textContent = "Aller au contenu principal";
    }
    doc.querySelectorAll('[class*="st-key-annonce-"]').forEach((el) => {
      if (el.getAttribute("role") !== "status") {
        el.setAttribute("role", "status");
        el.setAttribute("aria-live", "polite");
      }
    });
  };
  apply();
  if (!window.__guichetA11y) {
    window.__guichetA11y = new MutationObserver(apply);
    window.__guichetA11y.observe(doc.body, { childList: true, subtree: true });
  }
})();
