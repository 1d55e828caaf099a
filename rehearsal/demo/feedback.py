"""Demo step: members give feedback in their languages (form, slash command, thread reply), some anonymously;
the working group reads and answers it; the anonymous author gets the answer later. Prints what was stored."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING

from bot.data.feedback import FeedbackRepository
from bot.data.recommendations import Post, RecommendationRepository
from rehearsal.emulator import InteractionResult

if TYPE_CHECKING:
    from rehearsal.demo.context import DemoContext

# Demo members' opinions about the drafts, by the language of their Discord client.
FORM_FEEDBACK = {
    "fr": "Cette recommandation est claire, mais qui décidera de la répartition des fonds ?",
    "es": "Me gusta la idea, pero falta explicar cómo participarán las comunidades pequeñas.",
    "de": "Guter Ansatz, aber die Rechenschaftspflicht sollte konkreter beschrieben werden.",
    "ar": "أؤيد هذه التوصية، لكن يجب أن تشمل المجتمعات التي لا تتحدث الإنجليزية.",
    "hi": "यह सुझाव अच्छा है, लेकिन छोटे समुदायों के लिए संसाधन कैसे मिलेंगे?",
    "ja": "方向性には賛成ですが、意思決定のプロセスをもっと具体的にしてほしいです。",
    "pt": "Concordo com a proposta, mas o texto precisa de exemplos concretos de financiamento.",
    "zh": "我支持这个建议，但希望能说明如何保障小语种社区的参与。",
    "id": "Saya setuju, tetapi rekomendasi ini perlu menjelaskan siapa yang bertanggung jawab.",
    "sw": "Napenda pendekezo hili, lakini jamii ndogo zinahitaji msaada zaidi.",
    "uk": "Загалом підтримую, але бракує чітких критеріїв розподілу ресурсів.",
    "en": "Strongly support this, though the timeline seems too ambitious.",
}
THREAD_REPLIES = [
    "Je ne suis pas d'accord : la gouvernance doit rester locale.",
    "Hay que incluir a los afiliados más pequeños en las decisiones.",
    "Esta versão está muito melhor, obrigado pelas mudanças!",
    "Das Budget für kleine Communitys fehlt komplett.",
    "翻訳ボランティアへの支援も書いてほしい。",
    "هذا الاقتراح ممتاز ويجب تنفيذه بسرعة.",
    "इस प्रस्ताव में महिलाओं की भागीदारी पर ध्यान देना चाहिए।",
]


def speakers(demo: DemoContext) -> dict[str, list[str]]:
    """Simulated members by the language of their Discord locale ("pt-BR" -> "pt")."""
    found: dict[str, list[str]] = {}
    for name in demo.member_names:
        found.setdefault(demo.locales[name].split("-")[0], []).append(name)
    return found


async def click_give(demo: DemoContext, name: str, post: Post) -> InteractionResult:
    channel = post.message_channel_id
    opened = await demo.emu.click_button(
        demo.members[name], channel, post.message_id, f"feedback:give:{post.recommendation_id}"
    )
    return await opened.wait(30)


async def submit(demo: DemoContext, name: str, opened: InteractionResult, values: dict[str, object]) -> str:
    if opened.modal is None:
        return opened.content or ""
    done = await (await demo.emu.submit_modal(demo.members[name], opened, values)).wait(30)
    return done.content or ""


async def wait_for_items(repo: FeedbackRepository, guild_id: int, count: int) -> None:
    """Thread replies arrive as gateway events: wait (at most 15 s) until the bot stored them."""
    for _ in range(300):
        if (await repo.count_for_working_group(guild_id))[0] >= count:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the bot stored fewer than {count} feedback items")


async def run(demo: DemoContext) -> None:
    demo.heading("Feedback: by form, by slash command and by thread reply")
    recommendations = RecommendationRepository(demo.bot.db)
    posts = sorted(await recommendations.live_posts(demo.guild_id), key=lambda p: p.recommendation_id)
    by_language = speakers(demo)
    repo = FeedbackRepository(demo.bot.db)
    expected = 0
    anonymous_author: str | None = None
    named_author: str | None = None

    # The "Give feedback" button under a draft; every third member ticks "Send anonymously".
    for index, (language, text) in enumerate(FORM_FEEDBACK.items()):
        names = by_language.get(language) or demo.member_names
        name = demo.rng.choice(names)
        post = posts[index % len(posts)]
        anonymous = index % 3 == 0
        area = [str(demo.rng.randint(1, 9))] if index % 2 else ["0"]
        opened = await click_give(demo, name, post)
        answer = await submit(demo, name, opened, {"text": text, "anonymous": anonymous, "area": area})
        expected += 1
        if anonymous and anonymous_author is None:
            anonymous_author = name
        if not anonymous and named_author is None:
            named_author = name
        if index == 0:
            demo.say(
                f"{name} pressed Give feedback under R{index % len(posts) + 1} and sent it; the bot said:"
            )
            demo.say(f"  {answer.splitlines()[0]}")
        demo.clock.advance(seconds=5)

    # /feedback give with the recommendation, a scoping area and anonymity chosen in the command.
    name = demo.rng.choice(by_language.get("pt") or demo.member_names)
    opened = await demo.command(name, "feedback give", recommendation=5, area=4, anonymous=True)
    answer = await submit(
        demo, name, opened, {"text": "A área 4 precisa de metas mensuráveis para as comunidades."}
    )
    expected += 1
    demo.say(f"{name} used /feedback give recommendation:5 area:4 anonymous:True: {answer.splitlines()[0]}")

    # Replies in the drafts' threads: the language is detected, the version is the current one.
    repliers = demo.rng.sample(demo.member_names, k=len(THREAD_REPLIES))
    replies = []
    for index, (name, text) in enumerate(zip(repliers, THREAD_REPLIES, strict=True)):
        post = posts[(index * 2) % len(posts)]
        replies.append(
            (name, post, await demo.emu.post_message(demo.members[name], post.thread_id or 0, text))
        )
        expected += 1
    await wait_for_items(repo, demo.guild_id, expected)
    name, post, message = replies[0]
    await demo.emu.edit_message(
        demo.members[name], post.thread_id or 0, message.id, THREAD_REPLIES[0] + " (édité)"
    )
    name, post, message = replies[-1]
    await demo.emu.delete_message(post.thread_id or 0, message.id)
    await demo.world.settle()
    demo.say(
        f"{len(THREAD_REPLIES)} members replied in the drafts' threads; one edited the reply (history kept), "
        "one deleted it (marked deleted)."
    )

    # Limits answered with a sentence.
    name = demo.member_names[0]
    empty = await submit(demo, name, await click_give(demo, name, posts[0]), {"text": "   "})
    demo.say(f"An empty form: {empty}")
    for _ in range(4):
        last = await submit(demo, name, await click_give(demo, name, posts[1]), {"text": "+1"})
    demo.say(f"A member sending four in a row: {last}")
    demo.clock.advance(minutes=2)

    # The working group reads (unanswered first) and answers one named and one anonymous item.
    listing = await demo.command("wg", "feedback-manage list")
    first_line = listing.content.splitlines()[0]
    demo.say(f"Working group ran /feedback-manage list: {first_line} ({len(listing.embeds)} shown)")
    for author in (named_author, anonymous_author):
        if author is None:
            continue
        mine = await repo.for_author(demo.guild_id, demo.members[author])
        target = mine[-1]
        reply = await demo.command(
            "wg",
            "feedback-manage respond",
            item=target.id,
            text="Thank you! We will take this into the next version.",
        )
        shown = "anonymous" if target.anonymous else author
        demo.say(f"Working group answered #{target.id} ({shown}): {reply.content}")
    if anonymous_author is not None:
        seen = await demo.command(anonymous_author, "feedback mine")
        answers = [e for e in seen.embeds if e.get("fields")]
        demo.say(
            f"{anonymous_author} (anonymous) ran /feedback mine and found the answer there: "
            f"{answers[0]['fields'][0]['value'] if answers else 'none'}"
        )

    # What was stored.
    demo.say()
    demo.say("Stored feedback (the working group's view: anonymous authors are never shown):")
    stored = await repo.for_working_group(demo.guild_id, limit=200)
    for item in sorted(stored, key=lambda i: i.id):
        who = "anonymous" if item.author_id is None else demo.readable(f"<@{item.author_id}>")
        area = f"area {item.area_number}" if item.area_number else "no area"
        demo.say(
            f"  #{item.id:<3} R{item.recommendation_number} v{item.version} · {area:<7} · {item.source:<6} · "
            f"{(item.language or '?'):<6} · {who:<12} · {item.body[:70]}"
        )
    languages = Counter((item.language or "?").split("-")[0] for item in stored)
    total, unanswered = await repo.count_for_working_group(demo.guild_id)
    demo.say(
        f"{total} visible items ({unanswered} unanswered) in {len(languages)} languages: "
        + ", ".join(f"{language} {count}" for language, count in languages.most_common())
    )
    demo.facts["feedback_items"] = total
