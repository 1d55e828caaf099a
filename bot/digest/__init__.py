"""Digests for the working group: what the community said, as an embed and five files.

``builder`` gathers the figures (``bot.data.digest``) and writes ``digest.md`` (``markdown``),
``tallies.csv``, ``feedback.csv``, ``signups.csv`` (``csvfile``: spreadsheet-safe CSV) and
``heatmap.png`` (``heatmap``); ``period`` reads "since" and places the weekly slot; ``service`` holds the
rules of on-demand, weekly (once per ISO week) and exported digests; ``cli`` is ``python -m bot digest``.
"""
