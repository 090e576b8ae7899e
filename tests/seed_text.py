"""The seed page as plain text, to check that every rule quotes it word for word."""

from __future__ import annotations

import re
from pathlib import Path

SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seed" / "guichet-adoption-cloud-de-confiance.md"


def plain(text: str) -> str:
    text = re.sub(r"<script.*?</script>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # markdown links keep their text
    text = text.replace("**", "")
    text = re.sub(r"^\s*\*\s+", " ", text, flags=re.M)  # list bullets
    return re.sub(r"\s+", " ", text).strip()


def seed_plain() -> str | None:
    return plain(SEED.read_text(encoding="utf-8")) if SEED.is_file() else None
