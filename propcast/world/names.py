"""Generated player names, and how the odds vendor spells them.

The league feed prints a player's name in full (accents, "Jr.", "III"). The odds vendor strips
accents always, drops the suffix for about half of the suffixed players, and for about 2 % of
players uses a nickname ("Cam" for "Cameron") that no normalisation can turn back into the
league's spelling: those stay unmapped in the warehouse until a user adds an override.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

FIRST_NAMES = (
    "Aaron", "Alexander", "Andre", "Andrew", "Anthony", "Austin", "Bam", "Benjamin", "Bobby",
    "Bradley", "Brandon", "Brook", "Bruce", "Caleb", "Cameron", "Carlos", "Chris", "Christian",
    "Christopher", "Cole", "Collin", "Corey", "Cory", "Dalen", "Damian", "Daniel", "Darius",
    "De'Andre", "D'Angelo", "De'Anthony", "Deandre", "Dejounte", "Derrick", "Desmond", "Devin",
    "Dillon", "Donovan", "Draymond", "Dyson", "Eric", "Evan", "Franz", "Gary", "Gordon", "Grant",
    "Isaiah", "Ivica", "Ja'Vonte", "Jabari", "Jacob", "Jaden", "Jalen", "Jamal", "Jaren",
    "Jarrett", "Jaylen", "Jeffrey", "Jerami", "Jericho", "Jonathan", "Jordan", "Joseph", "Josh",
    "Joshua", "Jrue", "Julius", "Justin", "Karl", "Keegan", "Kelly", "Kenneth", "Kevin", "Kyle",
    "LaMelo", "Lonnie", "Malik", "Marcus", "Mason", "Matthew", "Michael", "Mikal", "Miles",
    "Mitchell", "Myles", "Nathaniel", "Nicholas", "Nicolas", "Norman", "Obi", "Onyeka", "Patrick",
    "Paul", "Quentin", "RJ", "Reggie", "Robert", "Royce", "Russell", "Samuel", "Scottie", "Shaedon",
    "Stephon", "Terance", "Terry", "Thomas", "Timothy", "Trae", "Trey", "Tyrese", "Tyus", "Victor",
    "Walker", "Wendell", "William", "Xavier", "Zachary", "Zion",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Allen", "Anderson", "Bailey", "Banks", "Barnes", "Bell", "Bennett", "Bridges",
    "Brooks", "Brown", "Bryant", "Butler", "Caldwell", "Campbell", "Carter", "Carter-Reed",
    "Clark", "Coleman", "Collins", "Cooper", "Davis", "Dixon", "Duncan", "Edwards", "Ellis",
    "Evans", "Fisher", "Fleming", "Ford", "Foster", "Fox", "Freeman", "Gaines", "Garland",
    "Gibson", "Gordon", "Graham", "Grant", "Green", "Griffin", "Hamilton-Brooks", "Harper",
    "Harris", "Hayes", "Henderson", "Hill", "Holiday", "Holmes", "Howard", "Hunter", "Ingram",
    "Jackson", "James", "Jenkins", "Johnson", "Jones", "Kennard", "King", "Knight", "Lane",
    "Lewis", "Little", "Lowry", "Mack", "Marshall", "Martin", "Mathis", "McCollum", "McDaniels",
    "Miles", "Miller", "Mitchell", "Mobley", "Moore", "Morris", "Murray", "Nance", "Nelson",
    "O'Neale", "Oliver", "Owens", "Parker", "Patterson", "Payton", "Perry", "Porter", "Powell",
    "Price", "Quickley", "Randle", "Reed", "Reid", "Richardson", "Roberts", "Robinson", "Rose",
    "Ross", "Russell", "Sanders", "Scott", "Sexton", "Simmons", "Simons", "Smart", "Smith",
    "Smith-Rowe", "Stewart", "Strickland", "Sullivan", "Tate", "Taylor", "Thomas", "Thompson",
    "Tucker", "Turner", "Walker", "Wallace", "Walton", "Warren", "Washington", "Watson", "Webb",
    "White", "Wiggins", "Williams", "Wilson", "Wood", "Wright", "Young",
)  # fmt: skip
# Players from leagues abroad: these names carry the diacritics the odds vendor strips.
INTL_FIRST_NAMES = (
    "Aleksej", "Alperen", "Bogdan", "Dario", "Dāvis", "Domantas", "Dragan", "Goran", "Jonas",
    "Jusuf", "Kristaps", "Luka", "Matías", "Miloš", "Moritz", "Nikola", "Nicolás", "Ömer", "Rudy",
    "Sergio", "Théo", "Tomáš", "Vasilije", "Vlatko", "Álex", "Filip", "Ivan", "Andrés",
)  # fmt: skip
INTL_LAST_NAMES = (
    "Bertāns", "Bogdanović", "Čančar", "Dončić", "Hernangómez", "Ivišić", "Jokić", "Jović",
    "Krejčí", "Lučić", "Marjanović", "Matković", "Micić", "Mušić", "Nurkić", "Petrušev",
    "Pokuševski", "Porziņģis", "Šamanić", "Šarić", "Schröder", "Şengün", "Topić", "Valančiūnas",
    "Vučević", "Žižić", "Müller", "Tomić", "Mačiulis", "Kalaitzákis", "Yurtseven", "Núñez",
)  # fmt: skip
NICKNAMES = {
    "Alexander": "Alex", "Andrew": "Drew", "Anthony": "Tony", "Benjamin": "Ben", "Cameron": "Cam",
    "Christopher": "Chris", "Daniel": "Danny", "Jeffrey": "Jeff", "Jonathan": "Jon",
    "Joseph": "Joe", "Joshua": "Josh", "Kenneth": "Kenny", "Matthew": "Matt", "Michael": "Mike",
    "Nathaniel": "Nate", "Nicholas": "Nick", "Nicolas": "Nic", "Patrick": "Pat", "Robert": "Bob",
    "Samuel": "Sam", "Thomas": "Tommy", "Timothy": "Tim", "William": "Will", "Zachary": "Zach",
}  # fmt: skip
SUFFIXES = (("Jr.", 0.06), ("III", 0.015), ("II", 0.01))
INTL_SHARE = 0.1
SUFFIX_DROP_SHARE = 0.5
NICKNAME_SHARE = 0.02

# Every diacritic in the lists decomposes into a base letter and a combining mark: letters that
# do not (ø, đ, ł) would defeat the warehouse's normaliser and add unmappable players by accident.


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def match_key(name: str) -> str:
    """The warehouse's join key (macro `normalize_person_name`); two players never share one.

    Lower case, accents stripped, hyphens to spaces, other punctuation dropped, suffix dropped.
    """
    text = re.sub(r"[-_/]", " ", strip_accents(name).lower())
    words = re.sub(r"[^a-z0-9 ]", "", text).split()
    if words and words[-1] in {"jr", "sr", "ii", "iii", "iv"}:
        words = words[:-1]
    return " ".join(words)


@dataclass(frozen=True)
class PlayerName:
    league: str  # as the league prints it
    vendor: str  # as the odds vendor prints it
    nickname: bool  # the vendor's spelling cannot be normalised back


def _draw_suffix(draw: float) -> str | None:
    threshold = 0.0
    for suffix, share in SUFFIXES:
        threshold += share
        if draw < threshold:
            return suffix
    return None


def generate_names(rng: np.random.Generator, count: int) -> list[PlayerName]:
    """`count` distinct names (distinct even after normalisation), deterministic for `rng`."""
    names: list[str] = []
    suffixed: list[int] = []
    seen: set[str] = set()
    while len(names) < count:
        intl = rng.random() < INTL_SHARE
        firsts, lasts = (INTL_FIRST_NAMES, INTL_LAST_NAMES) if intl else (FIRST_NAMES, LAST_NAMES)
        name = f"{firsts[rng.integers(len(firsts))]} {lasts[rng.integers(len(lasts))]}"
        suffix = _draw_suffix(rng.random()) if not intl else None
        if suffix:
            name = f"{name} {suffix}"
        key = match_key(name)
        if key in seen:
            continue
        seen.add(key)
        if suffix:
            suffixed.append(len(names))
        names.append(name)

    drops = {i for i in suffixed if rng.random() < SUFFIX_DROP_SHARE}
    # A nickname that happens to be another player's name would map to the wrong player; the
    # point of nicknames here is to stay unmapped.
    eligible = [
        i
        for i, n in enumerate(names)
        if n.split()[0] in NICKNAMES
        and match_key(" ".join([NICKNAMES[n.split()[0]], *n.split()[1:]])) not in seen
    ]
    n_nick = min(len(eligible), max(1, round(NICKNAME_SHARE * count)))
    nicknamed = {int(i) for i in rng.choice(eligible, size=n_nick, replace=False)}

    out = []
    for i, name in enumerate(names):
        words = strip_accents(name).split()
        if i in drops:
            words = words[:-1]
        if i in nicknamed:
            words[0] = NICKNAMES[words[0]]
        out.append(PlayerName(name, " ".join(words), i in nicknamed))
    return out
