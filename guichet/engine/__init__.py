"""The engine: the rules of the guichet (``rules/``), the scenario format (``models``), the small
formulas, the checks, the figures' definitions, the evaluation and the indicators. Pure: it reads
the rules file and computes, nothing more."""
