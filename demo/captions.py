"""Caption bank of the demo site: sentence templates per language and sport vocabulary.

Everything here is written for the demo and is about fictional athletes. Captions are composed from
an opener (what happened, where), a sport detail, sometimes a line about a team-mate, hashtags and
emoji, so that each body holds two or three full sentences in one language (langdetect needs that).
"""

from __future__ import annotations

#: Openers with ``{event}`` and ``{place}`` slots, per caption language.
OPENERS: dict[str, tuple[str, ...]] = {
    "nl": (
        "Vandaag {event} in {place} en ik heb echt alles gegeven wat ik in me had.",
        "Wat een avond in {place}, {event} was nog zwaarder dan ik vooraf had gedacht.",
        "Terug uit {place} na {event} en ik zit nog steeds een beetje na te genieten.",
        "Vroeg op pad naar {place}, want vandaag staat {event} op het programma.",
        "Soms gaat het niet zoals je wilt, en {event} in {place} was zo'n dag.",
        "Eindelijk weer {event} in {place}, wat heb ik hier de afgelopen weken naar uitgekeken.",
        "De benen voelden vandaag heel goed tijdens {event} in {place}, daar word ik blij van.",
        "Dankbaar voor alle steun langs de kant bij {event} in {place} vandaag.",
        "Een kleine terugblik op {event} in {place}, wat was het een bijzondere week.",
        "Na een lange reis zijn we eindelijk in {place} aangekomen voor {event}.",
    ),
    "en": (
        "Today was {event} in {place} and I honestly left everything out there.",
        "What a night in {place}, {event} was even harder than I expected it to be.",
        "Back home after {event} in {place} and I am still smiling about it.",
        "Early start on the road to {place} because {event} is on the schedule today.",
        "Not every day goes to plan, and {event} in {place} was one of those days.",
        "Finally back for {event} in {place}, I have been looking forward to this for weeks.",
        "The legs felt really good during {event} in {place} and that makes me so happy.",
        "So grateful for everyone who was cheering at {event} in {place} today.",
        "A little look back at {event} in {place}, what a special week it has been.",
        "After a long trip we finally made it to {place} for {event}.",
    ),
    "ja": (
        "今日は{place}で{event}でした。最後まで全力で滑り切ることができました。",
        "{place}での{event}は、思っていたよりもずっと厳しいレースになりました。",
        "{event}を終えて{place}から帰ってきました。まだ少し余韻に浸っています。",
        "朝早くから{place}へ移動しています。今日はいよいよ{event}に挑みます。",
        "うまくいかない日もあります。{place}での{event}はそんな一日でした。",
        "久しぶりの{place}で{event}、ずっと楽しみにしていました。",
        "{place}での{event}、脚の状態がとても良くて本当に嬉しかったです。",
        "{place}で{event}、会場で応援してくださった皆さん本当にありがとうございました。",
    ),
    "de": (
        "Heute stand {event} in {place} auf dem Programm und ich habe wirklich alles gegeben.",
        "Was für ein Tag in {place}, {event} war noch härter als ich gedacht hatte.",
        "Zurück aus {place} und {event} steckt mir immer noch ein bisschen in den Beinen.",
        "Früh aufgestanden, denn heute steht {event} in {place} an.",
        "Nicht jeder Tag läuft nach Plan, und {event} in {place} war so ein Tag.",
        "Endlich wieder {event} in {place}, darauf habe ich mich wochenlang gefreut.",
        "Die Beine haben sich heute in {place} richtig gut angefühlt, {event} hat Spaß gemacht.",
        "Danke an alle, die uns heute in {place} angefeuert haben, {event} war ein Erlebnis.",
    ),
    "no": (
        "I dag var det {event} i {place}, og jeg ga absolutt alt jeg hadde.",
        "For en kveld i {place}, {event} var mye tøffere enn jeg hadde trodd.",
        "Hjemme igjen etter {event} i {place}, og jeg smiler fortsatt litt.",
        "Tidlig opp i dag, for nå venter {event} i {place}.",
        "Ikke alle dager går som planlagt, og {event} i {place} var en sånn dag.",
        "Endelig tilbake til {event} i {place}, det har jeg gledet meg til lenge.",
        "Beina kjentes skikkelig bra ut under {event} i {place} i dag.",
        "Tusen takk til alle som heiet på oss under {event} i {place}.",
    ),
}

#: Lines about a team-mate; ``{mate}`` becomes a mention in the platform's handle form.
MATE_LINES: dict[str, tuple[str, ...]] = {
    "nl": (
        "Samen met {mate} gaat het altijd net iets makkelijker, dank je wel!",
        "Mooi om {mate} vandaag weer even te zien, tot snel!",
        "Ook een dikke felicitatie voor {mate}, wat een prestatie was dat!",
    ),
    "en": (
        "Always more fun when {mate} is training right alongside me!",
        "Huge congrats to {mate} as well, what a performance that was!",
        "Thanks {mate} for pushing me through the last hard minutes today!",
    ),
    "ja": (
        "{mate} さんと一緒に練習できて、とても楽しかったです！",
        "{mate} さん、本当におめでとうございます！",
    ),
    "de": (
        "Mit {mate} zu trainieren macht einfach immer mehr Spaß!",
        "Glückwunsch auch an {mate}, was für eine starke Leistung!",
    ),
    "no": (
        "Alltid morsommere når {mate} er med på treningen!",
        "Gratulerer også til {mate}, for en prestasjon i dag!",
    ),
}

#: Lines with a link (Bluesky and Mastodon posts sometimes carry one).
LINK_LINES: dict[str, str] = {
    "nl": "Het hele verhaal lees je op mijn blog:",
    "en": "Full report on my blog:",
    "ja": "詳しくはブログに書きました：",
    "de": "Den ganzen Bericht gibt es auf meinem Blog:",
    "no": "Hele historien finner du på bloggen min:",
}

#: The sentence added to a caption in the "later" snapshot (the edit).
EDIT_LINES: dict[str, str] = {
    "nl": "Edit: wat een reacties, heel erg bedankt voor alle lieve berichten!",
    "en": "Edit: thank you all so much for the lovely messages!",
    "ja": "追記：たくさんの温かいメッセージを本当にありがとうございます！",
    "de": "Nachtrag: Danke für all die lieben Nachrichten, ihr seid großartig!",
    "no": "Edit: tusen takk for alle de fine meldingene, dere er best!",
}

#: YouTube titles per language, with ``{event}``/``{place}`` slots.
YOUTUBE_TITLES: dict[str, tuple[str, ...]] = {
    "nl": (
        "Vlog: {event} in {place}, zo ging het echt",
        "Een dag met mij tijdens {event} in {place}",
        "Mijn eerlijke verhaal over {event} in {place}",
    ),
    "en": (
        "VLOG | {event} in {place}, the full story",
        "A day with me at {event} in {place}",
        "My honest thoughts after {event} in {place}",
    ),
    "ja": (
        "{place}での{event}の一日に密着しました",
        "【Vlog】{place}で{event}に挑戦した日の記録",
    ),
    "de": (
        "Vlog: {event} in {place}, so lief es wirklich",
        "Ein Tag mit mir: {event} in {place}",
    ),
    "no": (
        "Vlogg: {event} i {place}, slik gikk det",
        "En dag med meg under {event} i {place}",
    ),
}

#: Vocabulary per (sport, language): events, places, detail sentences, hashtags, emoji.
VOCAB: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("speed skating", "nl"): {
        "events": (
            "de 500 meter",
            "de 1000 meter",
            "de ploegenachtervolging",
            "een zware trainingsdag op het ijs",
            "het NK afstanden",
            "de wereldbekerwedstrijd",
        ),
        "places": ("Thialf", "Heerenveen", "Inzell", "Calgary", "Salt Lake City", "Hamar"),
        "details": (
            "Mijn opening was snel, maar in de laatste binnenbocht verloor ik net te veel tijd.",
            "Met de coach alle rondetijden doorgenomen en we weten precies waar het beter kan.",
            "Het ijs was hard en snel, precies zoals ik het het liefste heb.",
            "Morgen een rustdag en daarna gaan we weer vol aan de slag in de krachtruimte.",
            "Zonder de ploeg om me heen had ik dit nooit gekund, echt iedereen bedankt.",
            "Een persoonlijk record en een plek op het podium, ik kan het nog niet bevatten.",
        ),
        "tags": ("schaatsen", "teamNL", "Thialf", "schaatsliefde", "olympischespelen"),
        "emoji": ("⛸️", "🥇", "💪", "🔥", "❄️", "🧡"),
    },
    ("speed skating", "en"): {
        "events": (
            "the 500 metres",
            "the 1000 metres",
            "the team pursuit",
            "a tough training block on the ice",
            "the World Cup weekend",
        ),
        "places": ("Heerenveen", "Calgary", "Inzell", "Salt Lake City", "Milan"),
        "details": (
            "My opener was quick, but I lost a little too much time in the final inner corner.",
            "Went through every lap time with my coach and we know exactly what to improve.",
            "The ice was hard and fast, exactly the way I like it best.",
            "Rest day tomorrow and then we go full gas again in the gym.",
            "A new personal best and a spot on the podium, I still cannot believe it.",
        ),
        "tags": ("speedskating", "teamwork", "roadtoMilano", "iceisnice", "WorldCup"),
        "emoji": ("⛸️", "🥇", "💪", "🔥", "❄️"),
    },
    ("speed skating", "ja"): {
        "events": (
            "500メートル",
            "1000メートル",
            "チームパシュート",
            "氷上トレーニング",
            "ワールドカップ",
        ),
        "places": ("長野", "帯広", "ヘーレンフェーン", "カルガリー", "インツェル"),
        "details": (
            "スタートは良かったけれど、最後のカーブで少しタイムを落としてしまいました。",
            "コーチと一緒にラップタイムを確認して、次の課題がはっきり見えました。",
            "自己ベストを更新できて、まだ信じられない気持ちでいっぱいです。",
            "明日は休養日なので、しっかり体を休めてまた頑張ります。",
            "チームのみんながいなかったら、ここまで来ることはできませんでした。",
        ),
        "tags": ("日本代表", "ファイト", "スピードスケート", "氷上の挑戦", "頑張ろう"),
        "emoji": ("⛸️", "🔥", "✨", "💪", "🇯🇵"),
    },
    ("ski jumping", "no"): {
        "events": (
            "storbakkerennet",
            "lagkonkurransen",
            "sommertreningen i plastbakken",
            "kvalifiseringen",
        ),
        "places": ("Planica", "Holmenkollen", "Lillehammer", "Vikersund", "Oberstdorf"),
        "details": (
            "Svevet i det andre hoppet var nesten perfekt, og lengden ble ny personlig rekord.",
            "Satsen var litt for sen i dag, men det er bare å jobbe videre med det.",
            "Fikk gode tilbakemeldinger fra treneren, og nå vet jeg hva jeg skal fikse.",
            "Vinden var vanskelig hele kvelden, men gutta på laget var helt rå.",
        ),
        "tags": ("skihopp", "heiaNorge", "hoppbakken", "sølv", "vinteridrett"),
        "emoji": ("🎿", "🏔️", "🇳🇴", "💨", "🙌"),
    },
    ("ski jumping", "en"): {
        "events": (
            "the large hill competition",
            "the World Cup team event",
            "summer training on the plastic",
            "the qualification round",
        ),
        "places": ("Planica", "Oberstdorf", "Lillehammer", "Zakopane", "Vikersund"),
        "details": (
            "The flight in my second jump was almost perfect and the distance was a new best.",
            "My take-off was a bit late today, but that is just something to keep working on.",
            "The wind was tricky all evening, but the boys on the team were amazing.",
            "Good feedback from the coaches and now I know exactly what to fix.",
        ),
        "tags": ("skijumping", "heiaNorge", "flyinghigh", "WorldCup"),
        "emoji": ("🎿", "🏔️", "💨", "🙌"),
    },
    ("cycling", "de"): {
        "events": (
            "die Bergetappe",
            "das Zeitfahren",
            "eine lange Grundlagenfahrt",
            "das Rennen über die Pflastersteine",
            "das Trainingslager",
        ),
        "places": ("Girona", "Flandern", "Tirol", "Mallorca", "Freiburg"),
        "details": (
            "Am letzten Anstieg fehlte mir ein bisschen Kraft, aber das Gefühl war trotzdem gut.",
            "Mit dem Trainer die Wattwerte analysiert und wir wissen genau, woran wir arbeiten.",
            "Die Mannschaft hat heute überragend gearbeitet und ich bin einfach überglücklich.",
            "Morgen ist Ruhetag und danach geht es wieder mit voller Kraft weiter.",
            "Ohne mein Team und meine Familie wäre das alles nicht möglich, danke euch.",
        ),
        "tags": ("Radsport", "überglücklich", "Bergfahrt", "Straßenrennen", "Trainingslager"),
        "emoji": ("🚴‍♂️", "⛰️", "💪", "☀️", "🙏"),
    },
    ("cycling", "en"): {
        "events": (
            "the mountain stage",
            "the time trial",
            "a long endurance ride",
            "the classics recon ride",
        ),
        "places": ("the Alps", "Girona", "Flanders", "Mallorca", "Tenerife"),
        "details": (
            "I was missing a little power on the final climb, but the feeling was still good.",
            "Went through the power numbers with my coach and the plan is clear now.",
            "The team rode incredibly well today and I am so proud of these guys.",
            "Recovery ride tomorrow and then we build up again for the next race.",
        ),
        "tags": ("cycling", "roadcycling", "climbing", "teamwork"),
        "emoji": ("🚴‍♂️", "⛰️", "💪", "☀️"),
    },
    ("football", "nl"): {
        "events": (
            "de uitwedstrijd",
            "de bekerwedstrijd",
            "de training met de selectie",
            "de topper tegen de koploper",
            "het oefenduel",
        ),
        "places": ("Rotterdam", "Eindhoven", "Zeist", "Enschede", "Utrecht"),
        "details": (
            "We kwamen twee keer terug van een achterstand en dat zegt alles over dit team.",
            "Mijn eerste doelpunt van het seizoen, wat voelde dat lekker in de laatste minuut.",
            "Volgende week spelen we thuis en dan willen we de drie punten echt houden.",
            "De meiden waren vandaag ongelooflijk sterk, trots om bij deze groep te horen.",
            "Nog even herstellen in het ijsbad en dan snel naar huis om te slapen.",
        ),
        "tags": ("voetbal", "vrouwenvoetbal", "oranjeleeuwinnen", "eredivisie", "doelpunt"),
        "emoji": ("⚽️", "🧡", "🦁", "💪", "🙌"),
    },
    ("football", "en"): {
        "events": (
            "the away game",
            "the cup match",
            "training with the national team",
            "the derby",
        ),
        "places": ("Rotterdam", "Eindhoven", "London", "Zeist"),
        "details": (
            "We came back twice from a goal down and that says everything about this team.",
            "First goal of the season in the very last minute, what a feeling that was.",
            "Home game next week and we really want to keep those three points.",
            "The girls were unbelievably strong today, proud to be part of this group.",
        ),
        "tags": ("football", "womensfootball", "matchday", "teamwork"),
        "emoji": ("⚽️", "🧡", "💪", "🙌"),
    },
    ("athletics", "en"): {
        "events": (
            "the 400m hurdles",
            "the relay",
            "the indoor season opener",
            "a speed session on the track",
            "the Diamond League meeting",
        ),
        "places": ("Birmingham", "Loughborough", "Rome", "Zurich", "Glasgow"),
        "details": (
            "My stride pattern between the hurdles finally clicked on the back straight.",
            "Went through the splits with my coach and there is still so much more to come.",
            "A season best in the wind and rain, I will definitely take that one.",
            "Ice bath, good food and an early night, then back to work tomorrow.",
            "The girls in the relay squad were brilliant and I am so proud of us.",
        ),
        "tags": ("athletics", "hurdles", "trackandfield", "teamGB", "runhappy"),
        "emoji": ("🏃‍♀️", "⚡️", "🔥", "💪", "🙌"),
    },
    ("cross-country skiing", "no"): {
        "events": ("10 km klassisk", "sprinten", "stafetten", "en lang økt i løypene"),
        "places": ("Beitostølen", "Holmenkollen", "Lillehammer", "Trondheim", "Davos"),
        "details": (
            "Det var tungt i motbakkene, men jeg fikk til en skikkelig god avslutning.",
            "Smøringen satt perfekt i dag, så stor takk til smørebussen vår.",
            "Nå blir det litt hvile hjemme før neste samling på fjellet.",
            "Jentene på laget var helt fantastiske, og jeg er så stolt av oss.",
        ),
        "tags": ("langrenn", "heiaNorge", "skiglede", "sølv", "vinter"),
        "emoji": ("⛷️", "❄️", "🌲", "🇳🇴", "💙"),
    },
    ("cross-country skiing", "en"): {
        "events": ("the 10 km classic", "the sprint", "the relay", "a long session in the hills"),
        "places": ("Holmenkollen", "Davos", "Lahti", "Beitostølen"),
        "details": (
            "It was heavy on the climbs, but I managed a really strong finish.",
            "The skis were perfect today, so a big thank you to our wax team.",
            "Some rest at home now before the next training camp in the mountains.",
        ),
        "tags": ("crosscountryskiing", "skiing", "winter", "heiaNorge"),
        "emoji": ("⛷️", "❄️", "🌲", "💙"),
    },
}


def vocab(sport: str, language: str) -> dict[str, tuple[str, ...]]:
    """The vocabulary for a sport in a language (English if the pair is missing)."""
    return VOCAB.get((sport, language)) or VOCAB[(sport, "en")]
