"""Moderation: consultation phases, thread actions, hiding feedback, and members' data requests.

``phases``: the rules of switching ``draft`` / ``open`` / ``closed`` and scheduling a close.
``threads``: what a moderator does to a thread, with Discord's refusals turned into sentences.
``hiding``: hide and restore a feedback item (kept, but out of every working-group view).
``privacy``: a member's data export, erasure ("forget") and the salted registry of forgotten members.
"""
