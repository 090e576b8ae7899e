"""Input and output: scenario files and their validation boundary (``loading``), share links,
cost lines imported from spreadsheets, the dossier exported (XLSX, PDF, CSV, Markdown) and the
isolated chart renderer. Everything that comes from outside is checked here."""
