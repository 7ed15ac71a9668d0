"""The news articles of the demo site (Dutch, about the demo's fictional athletes).

Paragraphs are plain text; a paragraph ``## Title`` is a subheading and ``[[embed:N]]`` marks where
the N-th embed of the article goes. :mod:`demo.render.news` turns them into HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Embed:
    """One post embedded in an article; ``form`` is "full" or "url-only"."""

    platform: str
    post_id: str
    form: str


@dataclass(frozen=True)
class Article:
    """A news article of the demo news site."""

    slug: str
    headline: str
    description: str
    published_at: datetime
    section: str
    author: str
    keywords: tuple[str, ...]
    athlete: str
    paragraphs: tuple[str, ...]
    embeds: tuple[Embed, ...]
    new_in_later: bool = False

    def visible(self, snapshot: str) -> bool:
        """Whether the article is published in the snapshot."""
        return snapshot == "later" or not self.new_in_later


def build_articles(story: dict[str, Any], tweets: list[Any]) -> list[Article]:
    """The articles, embedding the story posts (``story`` maps a story name to its post)."""

    def embed(name: str, form: str = "full") -> Embed:
        post = story[name]
        return Embed(post.platform, post.post_id, form)

    return [
        Article(
            slug="lotte-van-dijk-in-tranen-na-gouden-race",
            headline="Lotte van Dijk deelt emotionele beelden na gouden race",
            description="Op TikTok en Instagram laat Lotte van Dijk zien hoe ze haar gouden "
            "1000 meter beleefde. Zondag wacht de 500 meter.",
            published_at=datetime(2026, 2, 9, 7, 45, tzinfo=UTC),
            section="Schaatsen",
            author="Femke de Boer",
            keywords=("schaatsen", "Lotte van Dijk", "TikTok", "Instagram"),
            athlete="lotte-van-dijk",
            paragraphs=(
                "Lotte van Dijk heeft zondag de 500 meter nog op het programma staan, maar in "
                "haar hoofd is ze voorlopig nog bij de 1000 meter. Op die afstand reed de "
                "schaatsster uit Heerenveen vorige week naar de titel, in een baanrecord. Op "
                "sociale media laat ze zien hoe ze die avond heeft beleefd.",
                "Op TikTok zette Van Dijk een filmpje dat haar coach vlak na de finish maakte. "
                "Ze moest in de laatste rit aantreden tegen de Japanse Haruka Aoyama, die kort "
                "daarvoor de snelste tijd op het bord had gezet. Van Dijk wist dus precies wat "
                "ze moest rijden.",
                "Op de beelden rijdt ze na de finish uit, zet ze haar kap af en kijkt ze naar het "
                "scorebord. Pas als haar naam bovenaan verschijnt, zakt ze door haar knieën. "
                "Ploeggenoten komen van alle kanten aangeschaatst.",
                "## Geen woorden",
                'Bij de video schrijft ze dat ze "nog steeds geen woorden" heeft voor die avond. '
                "Het filmpje werd binnen een dag tienduizenden keren bekeken.",
                "[[embed:0]]",
                "## Medaille thuis",
                "Een dag later liet ze op Instagram zien waar de medaille nu ligt: gewoon op de "
                'keukentafel. "Zwaarder dan ik had gedacht", schrijft ze erbij.',
                "[[embed:1]]",
                "## 500 meter op zondag",
                "Zondag rijdt Van Dijk de 500 meter, een afstand waarop ze zelf geen favoriet is. "
                "Aoyama start in de laatste rit en geldt wel als kanshebber voor het goud.",
            ),
            embeds=(embed("lotte-gold-tiktok"), embed("lotte-medal-instagram")),
        ),
        Article(
            slug="mila-verhoeven-leidt-comeback-in-de-kuip",
            headline="Mila Verhoeven leidt knappe comeback in De Kuip",
            description="Twee keer op achterstand, toch gewonnen: aanvoerder Mila Verhoeven "
            "is trots op haar ploeg.",
            published_at=datetime(2026, 2, 2, 6, 30, tzinfo=UTC),
            section="Voetbal",
            author="Sander Koster",
            keywords=("voetbal", "vrouwenvoetbal", "Mila Verhoeven"),
            athlete="mila-verhoeven",
            paragraphs=(
                "Het leek zondagavond lang een verloren wedstrijd, maar de ploeg van Mila "
                "Verhoeven kwam in De Kuip twee keer terug van een achterstand en won uiteindelijk "
                "met 3-2. Verhoeven maakte zelf de gelijkmaker met een vrije trap in de tweede "
                "helft.",
                "Na afloop liet de aanvoerder op X weten hoe trots ze is op haar ploeggenoten.",
                "[[embed:0]]",
                "## Volgende week thuis",
                "Volgende week speelt de ploeg thuis tegen de nummer twee van de ranglijst. "
                "Verhoeven hoopt op een uitverkocht stadion.",
            ),
            embeds=(Embed("x", tweets[0].tweet_id, "full"),),
        ),
        Article(
            slug="jonas-bruckner-trainingskamp-mallorca",
            headline="Jonas Brückner laat zware eerste week trainingskamp zien",
            description="De Duitse renner Jonas Brückner neemt zijn volgers in een vlog mee "
            "naar Mallorca.",
            published_at=datetime(2026, 1, 29, 12, 10, tzinfo=UTC),
            section="Wielrennen",
            author="Joris Hendriks",
            keywords=("wielrennen", "Jonas Brückner", "YouTube"),
            athlete="jonas-bruckner",
            paragraphs=(
                "Lange beklimmingen, veel zon en vooral vermoeide benen: zo vat Jonas Brückner "
                "de eerste week van zijn trainingskamp op Mallorca samen. De Duitser maakte er een "
                "uitgebreide vlog over op zijn YouTube-kanaal.",
                "[[embed:0]]",
                "Brückner begint over drie weken aan zijn wegseizoen in Spanje. Zijn grote doel "
                "dit jaar is een etappezege in een grote ronde.",
            ),
            embeds=(embed("jonas-camp-youtube"),),
        ),
        Article(
            slug="sindre-haugland-springt-238-meter",
            headline="Noor Sindre Haugland springt 238 meter in Vikersund",
            description="Skispringer Sindre Haugland verbetert zijn persoonlijk record en deelt "
            "zijn vreugde op Bluesky.",
            published_at=datetime(2026, 1, 26, 7, 5, tzinfo=UTC),
            section="Wintersport",
            author="Femke de Boer",
            keywords=("schansspringen", "Sindre Haugland", "Bluesky"),
            athlete="sindre-haugland",
            paragraphs=(
                "Sindre Haugland heeft in Vikersund zijn persoonlijk record verbeterd. De "
                "Noorse schansspringer landde op 238 meter, elf meter verder dan zijn vorige "
                "beste sprong.",
                "Op Bluesky bedankte hij zijn landgenote Ingrid Solberg, die op de tribune zat.",
                "[[embed:0]]",
                "Haugland staat daarmee vierde in het wereldbekerklassement voor de vliegschansen.",
            ),
            embeds=(embed("sindre-record-bluesky"),),
        ),
        Article(
            slug="sociale-media-overzicht-week-6",
            headline="De week op sociale media: trainingen, reizen en een wereldbeker",
            description="Wat onze sporters deze week deelden, van de voetbaltraining tot de "
            "ijsbaan in Inzell.",
            published_at=datetime(2026, 2, 6, 16, 0, tzinfo=UTC),
            section="Overzicht",
            author="Redactie",
            keywords=("sociale media", "Mila Verhoeven", "Haruka Aoyama"),
            athlete="",
            paragraphs=(
                "Ook deze week deelden veel sporters een kijkje achter de schermen. Mila "
                "Verhoeven nam haar volgers mee naar de training van haar ploeg.",
                "[[embed:0]]",
                "Schaatsster Haruka Aoyama bedankte haar fans na de wereldbeker in Inzell.",
                "[[embed:1]]",
            ),
            embeds=(
                embed("mila-training-tiktok", "url-only"),
                embed("haruka-inzell-instagram", "url-only"),
            ),
        ),
        Article(
            slug="lotte-van-dijk-terug-op-het-ijs",
            headline="Lotte van Dijk weer op het ijs in Thialf",
            description="Na de Spelen pakt Lotte van Dijk de training weer op in Heerenveen.",
            published_at=datetime(2026, 2, 16, 8, 0, tzinfo=UTC),
            section="Schaatsen",
            author="Femke de Boer",
            keywords=("schaatsen", "Lotte van Dijk", "Thialf"),
            athlete="lotte-van-dijk",
            paragraphs=(
                "Een week na haar gouden race staat Lotte van Dijk alweer op het ijs. In Thialf "
                "werkte ze haar eerste training sinds de Spelen af.",
                "[[embed:0]]",
                "Het WK afstanden begint over vijf weken. Van Dijk wil daar op de 1000 en 1500 "
                "meter starten.",
            ),
            embeds=(embed("lotte-back-tiktok"),),
            new_in_later=True,
        ),
    ]
