"""Finding appeals by what was said and written: Russian full-text search.

An appeal's document is staff's summary and the transcript the line heard. PostgreSQL
stems it itself (``to_tsvector('russian', …)``, a GIN index); SQLite has no Russian
stemmer, so its FTS5 table is fed the words already stemmed by Snowball's Russian
algorithm, the same one PostgreSQL uses: «отопление» finds «нет отопления».
"""

from __future__ import annotations

import functools
import re
import threading

import snowballstemmer
import sqlalchemy as sa
from sqlalchemy import orm

from models import Appeal, AppealSearch

WORD = re.compile(r"\w+")
#: Words of a query beyond this many are ignored (a pasted paragraph is not a query).
MAX_QUERY_WORDS = 12
#: Relevance is weighed over this many of the newest appeals that have the words: a word
#: in a third of all appeals («отопление») is then ranked in milliseconds, not seconds.
RANK_WINDOW = 1000
RUSSIAN = sa.literal_column("'russian'::regconfig")


_local = threading.local()


def _stemmer() -> snowballstemmer.stemmer:
    """This thread's Russian stemmer (a stemmer keeps state while it works)."""
    if not hasattr(_local, "stemmer"):
        _local.stemmer = snowballstemmer.stemmer("russian")
    return _local.stemmer


@functools.lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    return _stemmer().stemWord(word)


def words(text: str) -> list[str]:
    return WORD.findall(text.lower().replace("ё", "е"))


def stems(text: str) -> list[str]:
    """The Snowball stems of the words of ``text``, in order."""
    return [stem(word) for word in words(text)]


def document(appeal: Appeal) -> str:
    """What an appeal is found by: staff's summary, then every transcript heard."""
    parts = [appeal.transcript or ""]
    parts += [transcript.text or "" for transcript in appeal.transcripts]
    return "\n".join(part for part in parts if part)


def index(session: orm.Session, appeal: Appeal) -> None:
    """Keep the appeal's search document (and on SQLite its stems) up to date."""
    session.flush()
    text = document(appeal)
    row = session.get(AppealSearch, appeal.id)
    if row is None:
        session.add(AppealSearch(appeal_id=appeal.id, document=text))
    else:
        row.document = text
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("DELETE FROM appeal_fts WHERE rowid = :id"), {"id": appeal.id})
        session.execute(
            sa.text("INSERT INTO appeal_fts (rowid, stems) VALUES (:id, :stems)"),
            {"id": appeal.id, "stems": " ".join(stems(text))},
        )


def hits(session: orm.Session, query: str) -> sa.Subquery:
    """``(appeal_id, score)`` of the newest :data:`RANK_WINDOW` appeals whose document has
    every word of ``query`` (in any form), the higher the score the better the match."""
    asked = list(dict.fromkeys(words(query)))[:MAX_QUERY_WORDS]
    if session.get_bind().dialect.name == "postgresql":
        # PostgreSQL stems the words itself, with the same Snowball algorithm; the
        # document's vector is a stored column the migration added (GIN-indexed).
        vector = sa.literal_column("appeal_search.fts_russian")
        # The words go into the statement as a literal, so that PostgreSQL plans each
        # search for its own words (how many appeals have them), never a generic plan.
        typed = sa.bindparam("words", " ".join(asked), literal_execute=True)
        wanted = sa.func.plainto_tsquery(RUSSIAN, typed)
        window = (
            sa.select(AppealSearch.appeal_id.label("appeal_id"), vector.label("vector"))
            .where(vector.bool_op("@@")(wanted))
            .order_by(AppealSearch.appeal_id.desc())
            .limit(RANK_WINDOW)
            .subquery("window")
        )
        score = sa.func.ts_rank(window.c.vector, wanted)
        return sa.select(window.c.appeal_id, score.label("score")).subquery("hits")
    terms = list(dict.fromkeys(stem(word) for word in asked))
    match = " ".join(f'"{term}"' for term in terms)
    statement = sa.text(
        "SELECT rowid AS appeal_id, -bm25(appeal_fts) AS score FROM appeal_fts "
        "WHERE appeal_fts MATCH :match ORDER BY rowid DESC LIMIT :window"
        if terms
        else "SELECT 0 AS appeal_id, 0.0 AS score WHERE 0"
    )
    if terms:
        statement = statement.bindparams(match=match, window=RANK_WINDOW)
    return statement.columns(appeal_id=sa.Integer, score=sa.Float).subquery("hits")


def ranked(
    session: orm.Session, appeals: sa.Select[tuple[Appeal]], query: str
) -> sa.Select[tuple[Appeal]]:
    """``appeals`` narrowed to those matching ``query``, best match first."""
    found = hits(session, query)
    return (
        appeals.join(found, found.c.appeal_id == Appeal.id)
        .order_by(None)
        .order_by(found.c.score.desc(), Appeal.id.desc())
    )


def marked(text: str, query: str) -> list[tuple[str, bool]]:
    """``text`` cut into pieces, each with whether it is a word the query asked for (in
    any form): what the appeals page highlights."""
    wanted = set(stems(query))
    if not wanted:
        return [(text, False)]
    pieces: list[tuple[str, bool]] = []
    position = 0
    for word in WORD.finditer(text):
        hit = stem(word.group().lower().replace("ё", "е")) in wanted
        if hit:
            if word.start() > position:
                pieces.append((text[position : word.start()], False))
            pieces.append((word.group(), True))
            position = word.end()
    if position < len(text):
        pieces.append((text[position:], False))
    return pieces


def excerpt(text: str, query: str, around: int = 12) -> list[tuple[str, bool]]:
    """The part of ``text`` around its first word the query asked for, :func:`marked`;
    ``…`` where it was cut."""
    pieces = marked(text, query)
    first = next((index for index, (_, hit) in enumerate(pieces) if hit), 0)
    start, end = max(0, first - around), first + 2 * around
    shown = pieces[start:end]
    if start > 0:
        shown.insert(0, ("… ", False))
    if end < len(pieces):
        shown.append((" …", False))
    return shown
