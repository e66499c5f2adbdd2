"""Text -> search tokens, the same way for notes and questions.

Three passes, each for a reason Kiwi alone gets wrong:
1. ASCII/code runs (EC2, docker.sock, get.docker.com, docker-compose.yml) are cut out before Kiwi, which
   would split them ("EC" + "2"); each run yields itself lower-cased plus its parts.
2. The Korean rest goes through Kiwi with the maintainers' user words; content morphemes are kept. A line
   with no Korean left (code, English prose) is not sent to Kiwi at all.
3. Every token goes through the alias table (도커 = docker, 장단점 => 장점 단점).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache

from bot.tokens.lexicon import Lexicon

# An ASCII run: letters/digits joined by code punctuation. Leading/trailing punctuation is not part of it.
_ASCII_RUN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._/:+#@-]*[A-Za-z0-9+#])?")
# Kiwi only has work where non-ASCII letters are left (code and English never reach it).
_NEEDS_KIWI = re.compile(r"[^\x00-\x7f]")
_SPACES = re.compile(r"\s{2,}")
_ASCII_PART = re.compile(r"[a-z]+|[0-9]+")
_WORD_PART = re.compile(r"[a-z0-9]+")

# Content morphemes worth matching. Verbs/adjectives keep their stem ("다르", "좋").
_KEEP = {"NNG", "NNP", "NR", "VV", "VA", "XR", "SH", "MAG"}
# Function-like words that carry no topic in a question or a note.
_STOP = {
    "하",
    "되",
    "있",
    "없다",
    "이",
    "주",
    "알리",
    "알",
    "보",
    "같",
    "궁금",
    "설명",
    "말",
    "뭐",
    "무엇",
    "어떻",
    "좀",
    "것",
    "수",
    "등",
    "때문",
    "경우",
    "위",
    "통하",
    "대하",
    "가지",
    "오",
    "가",
    "나",
    "그",
    "또",
    "및",
    "더",
    "잘",
    "안",
    "못",
    "너무",
    "정말",
    "진짜",
    "그냥",
    "다",
    "제일",
    "가장",
    "the",
    "a",
    "an",
    "is",
    "are",
    "of",
    "to",
    "in",
    "on",
    "and",
    "or",
    "for",
    "what",
    "whats",
    "how",
    "do",
    "does",
    "i",
    "you",
    "it",
    "this",
    "that",
    "with",
    "be",
    "can",
    "me",
    "tell",
    "about",
    "please",
    "pls",
    "s",
    "t",
    "there",
    "here",
    "which",
    "where",
    "when",
    "who",
    "use",
    "used",
    "did",
    "my",
    "your",
    "we",
    "they",
    "its",
    "have",
    "has",
    "was",
    "were",
    "will",
    "would",
    "should",
    "could",
    "from",
    "by",
    "as",
    "at",
    "if",
    "so",
    "not",
    "hi",
    "hello",
    "hey",
    "thanks",
    "thank",
    "ok",
    "okay",
    "between",
    "only",
    "just",
    "also",
    "really",
    "all",
    "any",
    "some",
    "very",
    "much",
    "many",
    "like",
    "than",
    "then",
    "into",
    # particles Kiwi may read as nouns when a question is nothing but particles ("은는이가")
    "은",
    "는",
    "을",
    "를",
    "의",
    "도",
    "만",
    "과",
    "와",
    "랑",
    "에",
}
# Kiwi reads some common words as MAG (adverbs); of those only these carry meaning for search.
_KEEP_MAG = {"왜", "먼저", "자동", "직접", "동시", "병렬"}
_NOUN, _XSN = "noun", "noun suffix"  # morpheme kinds _finish needs (가상 + 화 -> 가상화)
_CACHE_LIMIT = 500_000  # distinct words remembered per analyzer


@lru_cache(maxsize=1)
def _control_bmp() -> re.Pattern[str]:
    """One character class for every Basic Multilingual Plane character of Unicode category C*."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x10000):
        if unicodedata.category(chr(cp))[0] != "C" or cp == 0x0A:  # line breaks stay (see _split)
            continue
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return re.compile("[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges) + "]")


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _normalize(text: str) -> str:
    # NFKC folds full-width ASCII (ＥＣ２) and compatibility jamo; control characters become spaces.
    text = unicodedata.normalize("NFKC", text)
    if _ASTRAL.search(text):  # emoji and the like: the per-character way (rare)
        return "".join(" " if unicodedata.category(c)[0] == "C" and c != "\n" else c for c in text)
    return _control_bmp().sub(" ", text)  # the same, in one regex pass (~7x faster)


# Kiwi cuts a loanword it does not know into single syllables it reads as nouns or adverbs ("샤딩" ->
# 샤/NNG 딩/MAG, "리드" -> 리/NNG 드/NNG): apart they are everyday fragments (샤 is common as a
# syllable), so such a run inside one word is kept joined, a word of its own in notes and questions.
_FRAGMENT_TAGS = frozenset({"NNG", "NNP", "MAG", "XR", "UN"})


def kiwi_morphs(tokens: Iterable) -> list[tuple[str, str]]:
    """Kiwi's tokens as (form, tag), a run of 2+ adjacent one-syllable fragments joined (NNG)."""
    out: list[tuple[str, str]] = []
    run: list = []

    def flush() -> None:
        if len(run) > 1:
            out.append(("".join(t.form for t in run), "NNG"))
        else:
            out.extend((t.form, t.tag) for t in run)
        run.clear()

    for t in tokens:
        fragment = len(t.form) == 1 and t.tag in _FRAGMENT_TAGS and t.len == 1
        if fragment and run and run[-1].start + run[-1].len == t.start:
            run.append(t)
            continue
        flush()
        if fragment:
            run.append(t)
        else:
            out.append((t.form, t.tag))
    flush()
    return out


def ascii_tokens(run: str) -> list[str]:
    """'docker-compose.yml' -> [docker-compose.yml, docker, compose, yml]; 'EC2' -> [ec2, ec]."""
    low = run.lower()
    out = [low]
    words = _WORD_PART.findall(low)
    if len(words) > 1:
        out.extend(words)
    for w in words:
        pieces = _ASCII_PART.findall(w)
        if len(pieces) > 1 and len(w) <= 12:  # ec2 -> ec, 2; skip long hashes
            out.extend(p for p in pieces if len(p) > 1)  # single letters/digits match too much
    return out


KIWI_OPTIONS = {"load_multi_dict": False, "load_typo_dict": False}  # the source is hashed into index keys


class Analyzer:
    """Thread-safe text analyzer. One Kiwi per analyzer; user words are added before the first call."""

    BATCH = 256  # texts per Kiwi batch call

    def __init__(self, lexicon: Lexicon, num_workers: int = 2) -> None:
        from kiwipiepy import Kiwi  # heavy import (~2 s): only when an analyzer is built

        self.lexicon = lexicon
        # Without the multi-word dictionary ("데이터 시각화" as one NNP) Kiwi starts in about half the time
        # (~2.3 s, was ~4.8 s here); 21 of the corpora's 2,345 sections analyse differently (the words
        # split), and every eval figure stayed the same. Without the internet-typo dictionary (됬다 -> 됐다)
        # another ~0.3-0.4 s: 3 sections differ ("람다" read as a noun), no eval question does.
        self._kiwi = Kiwi(num_workers=num_workers, **KIWI_OPTIONS)
        for word, tag in lexicon.user_words:
            self._kiwi.add_user_word(word, tag, 0)
        self._lock = threading.Lock()  # Kiwi objects are not documented as thread-safe
        # A word's search terms depend only on the word: worked out once (a note repeats its words).
        self._runs: dict[str, tuple[str, ...]] = {}
        self._morphs: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {}

    @property
    def version(self) -> str:
        import kiwipiepy

        return f"kiwipiepy-{kiwipiepy.__version__}/lex-{self.lexicon.fingerprint}"

    def warm_up(self) -> None:
        """Kiwi builds its model lazily on the first call (~2.7 s): pay it at start-up, not on a question."""
        self.tokenize("도커 설치")

    # -- splitting ASCII from Korean -------------------------------------------------------------
    def _split(self, text: str) -> tuple[list[str], str]:
        text = _normalize(text)
        for pattern, replacement in self.lexicon.phrases:
            text = pattern.sub(replacement, text)
        runs = _ASCII_RUN.findall(text)
        # A placeholder keeps the particle after a run attached to something ("Docker는" -> "A는"):
        # a bare "는" would be misread as a verb. Kiwi tags it SL and _finish drops SL.
        korean = _ASCII_RUN.sub("A", text)
        # A line with nothing but ASCII left (code, English prose) gives Kiwi nothing to find: it is not
        # sent (its runs are tokenized above). Kiwi reads the rest as one text, as before.
        korean = " ".join(line for line in korean.split("\n") if _NEEDS_KIWI.search(line))
        # Runs of spaces (indented lists, aligned tables) cost Kiwi ~6 % more time and change nothing.
        return runs, _SPACES.sub(" ", korean)

    def _finish(self, runs: Iterable[str], morphs: Iterable[tuple[str, str]]) -> list[str]:
        out: list[str] = []
        run_cache, morph_cache = self._runs, self._morphs
        for run in runs:
            toks = run_cache.get(run)
            if toks is None:
                toks = run_cache[run] = self._search_terms(ascii_tokens(run))
            out.extend(toks)
        prev_noun = ""
        for form, tag in morphs:
            hit = morph_cache.get((form, tag))
            if hit is None:
                hit = morph_cache[form, tag] = self._morph(form, tag)
            toks, kind = hit
            if kind is _XSN and prev_noun:  # 가상 + 화 -> also 가상화
                out.extend(self._search_terms([prev_noun + form]))
            out.extend(toks)
            prev_noun = form if kind is _NOUN else ""
        if len(morph_cache) > _CACHE_LIMIT or len(run_cache) > _CACHE_LIMIT:  # questions add words forever
            morph_cache.clear()
            run_cache.clear()
        return out

    def _morph(self, form: str, tag: str) -> tuple[tuple[str, ...], str]:
        """A morpheme's search terms and its kind (noun, noun suffix, other): the same every time."""
        base = tag.split("-", 1)[0]
        kind = _NOUN if base in ("NNG", "NNP") else _XSN if base == "XSN" else ""
        if base not in _KEEP or (base == "MAG" and form not in _KEEP_MAG):
            return (), kind
        return self._search_terms([form.lower()]), kind

    def _search_terms(self, raw: Iterable[str]) -> tuple[str, ...]:
        """Stop words out, aliases resolved (도커 = docker)."""
        canonical = self.lexicon.canonical
        return tuple(t for tok in raw if tok not in _STOP for t in canonical(tok) if t not in _STOP)

    def tokenize(self, text: str) -> list[str]:
        runs, korean = self._split(text)
        morphs: list[tuple[str, str]] = []
        if _NEEDS_KIWI.search(korean):
            with self._lock:
                morphs = kiwi_morphs(self._kiwi.tokenize(korean))
        return self._finish(runs, morphs)

    def tokenize_groups(self, groups: Iterable[Sequence[str]], ahead: int = 2) -> Iterator[list[list[str]]]:
        """Each group's texts tokenized, group by group in order, for indexing a stream of notes.

        Kiwi runs batches (of whole groups, about BATCH texts) on a helper thread while this thread does
        the Python work: pulling the next groups (the caller's parsing), splitting them, finishing the
        batches Kiwi is done with. Kiwi's workers keep both cores busy, so that work would otherwise add
        its whole time; up to `ahead` batches wait for Kiwi. Kiwi's lock is held for BATCH texts at a
        time (even within one huge note), so a question is analysed in between.
        """
        Split = list[tuple[list[str], str]]
        pending: deque[tuple[list[Split], list[int], Future[list[list[tuple[str, str]]]]]] = deque()

        def kiwi(korean: list[str]) -> list[list[tuple[str, str]]]:
            out: list[list[tuple[str, str]]] = []
            for start in range(0, len(korean), self.BATCH):  # a huge note: still BATCH texts per lock
                with self._lock:
                    out += [
                        kiwi_morphs(toks) for toks in self._kiwi.tokenize(korean[start : start + self.BATCH])
                    ]
            return out

        def finish(
            batch: list[Split], todo: list[int], done: list[list[tuple[str, str]]]
        ) -> Iterator[list[list[str]]]:
            morphs = dict(zip(todo, done, strict=True))
            n = 0
            for group in batch:
                yield [self._finish(runs, morphs.get(n + i, ())) for i, (runs, _) in enumerate(group)]
                n += len(group)

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiwi-batch") as pool:
            batch: list[Split] = []
            size = 0

            def submit() -> None:
                nonlocal batch, size
                flat = [k for group in batch for _, k in group]
                todo = [i for i, k in enumerate(flat) if _NEEDS_KIWI.search(k)]
                pending.append((batch, todo, pool.submit(kiwi, [flat[i] for i in todo])))
                batch, size = [], 0

            try:
                for texts in groups:
                    batch.append([self._split(t) for t in texts])
                    size += len(texts)
                    if size >= self.BATCH:
                        submit()
                        while len(pending) > ahead:
                            yield from finish(*_ready(pending.popleft()))
                if batch:
                    submit()
                while pending:
                    yield from finish(*_ready(pending.popleft()))
            finally:
                for *_, future in pending:  # the caller stopped early: nothing more for Kiwi
                    future.cancel()


def _ready(item: tuple[list, list[int], Future[list[list[tuple[str, str]]]]]) -> tuple[list, list[int], list]:
    batch, todo, future = item
    return batch, todo, future.result()
