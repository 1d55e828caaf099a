"""Which language a thread reply is written in (form feedback carries the member's Discord locale).

Two honest steps: a script that only one common language uses decides at once (kana: Japanese, Hangul:
Korean, Thai, Greek, Hebrew...); otherwise the offline ``py3langid`` model (shipped inside the package)
is asked and its answer kept only when it is confident. Too little text, or no model installed, gives
``None`` ("not known"), never a guess.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections import Counter
from functools import cache
from typing import Any

log = logging.getLogger(__name__)

MIN_CONFIDENCE = 0.5
MIN_LETTERS = 3

# Scripts written by one common language (the first word of a character's Unicode name).
SINGLE_LANGUAGE_SCRIPTS = {
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "HANGUL": "ko",
    "THAI": "th",
    "GREEK": "el",
    "HEBREW": "he",
    "GEORGIAN": "ka",
    "ARMENIAN": "hy",
    "BENGALI": "bn",
    "TAMIL": "ta",
    "TELUGU": "te",
    "GUJARATI": "gu",
    "GURMUKHI": "pa",
    "KANNADA": "kn",
    "MALAYALAM": "ml",
    "SINHALA": "si",
    "KHMER": "km",
    "LAO": "lo",
    "MYANMAR": "my",
    "ETHIOPIC": "am",
    "TIBETAN": "bo",
}

# Mentions, channel links, custom emoji, URLs and code say nothing about the language.
_NOISE = re.compile(r"<a?:\w+:\d+>|<[@#][!&]?\d+>|https?://\S+|```.*?```|`[^`]*`", re.DOTALL)


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    if name.startswith("CJK") or "IDEOGRAPH" in name:
        return "HAN"
    return name.split(" ", 1)[0] or None


_model_lock = threading.Lock()


@cache
def _load_model_once() -> Any:
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
    except ImportError:
        log.warning("py3langid is not installed: thread replies get a language from their script only")
        return None
    try:
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    except Exception:  # a broken install must not stop thread replies from being stored
        log.exception("The py3langid model could not be loaded: languages come from scripts only")
        return None


def _load_model() -> Any:
    """One model per process, shared by every detector (and every restart of the bot in tests)."""
    with _model_lock:
        return _load_model_once()


class LanguageDetector:
    """Detects a language code ("fr", "ja"...) or ``None``; loads its model lazily, once."""

    def __init__(self, *, min_confidence: float = MIN_CONFIDENCE, use_model: bool = True) -> None:
        self.min_confidence = min_confidence
        self._use_model = use_model
        self._identifier: Any = None

    def warm_up(self) -> bool:
        """Load the model (about a second; call it off the event loop). False when it is not installed."""
        if self._identifier is None and self._use_model:
            self._identifier = _load_model()
        return self._identifier is not None

    def detect(self, text: str) -> str | None:
        cleaned = _NOISE.sub(" ", text)
        scripts = Counter(script for ch in cleaned if (script := _script(ch)) is not None)
        letters = sum(scripts.values())
        if letters < MIN_LETTERS:
            return None
        kana = scripts.get("HIRAGANA", 0) + scripts.get("KATAKANA", 0)
        if kana and (kana + scripts.get("HAN", 0)) * 2 >= letters:
            return "ja"
        for script, count in scripts.most_common():
            if script in SINGLE_LANGUAGE_SCRIPTS and count * 4 >= letters:
                return SINGLE_LANGUAGE_SCRIPTS[script]
        if scripts.get("HAN", 0) * 2 >= letters:
            return "zh"
        self.warm_up()
        if self._identifier is None:
            return None
        language, confidence = self._identifier.classify(cleaned)
        return str(language) if confidence >= self.min_confidence else None
