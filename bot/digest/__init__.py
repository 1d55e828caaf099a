"""Digests for the working group: what the community said, as an embed and five files.

``builder`` gathers the figures (``bot.data.digest``) and writes ``digest.md``, ``tallies.csv``,
``feedback.csv``, ``signups.csv`` and ``heatmap.png``; ``period`` reads "since" and places the weekly
digest; ``csvfile`` writes spreadsheet-safe CSV; ``weekly`` posts the weekly digest once per period.
"""
