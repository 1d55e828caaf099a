"""Feedback on the drafts: the rules (text, cooldown, phase, anonymity), language detection, responses.

``rules`` checks what a member sends, ``language`` guesses the language of thread replies and
``service`` ties them to the data layer (``bot.data.feedback``); none of them needs discord.py.
``buttons`` holds the one component other capabilities show: the "Give feedback" button on posts.
"""
