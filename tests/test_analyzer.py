"""Text -> search tokens (bot/tokens/): ASCII runs, Kiwi morphemes, user words, aliases, phrase rules."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.tokens.analyzer import ascii_tokens
from bot.tokens.lexicon import load_lexicon


# -- ASCII and code runs -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "whole", "parts"),
    [
        ("EC2", "ec2", {"ec"}),
        ("docker.sock", "docker.sock", {"도커", "sock"}),
        ("get.docker.com", "get.docker.com", {"get", "도커", "com"}),
        ("docker-compose.yml", "docker-compose.yml", {"도커", "yml"}),
        ("/var/run/docker.sock에", "var/run/docker.sock", {"도커", "sock"}),
    ],
)
def test_ascii_runs_kept_whole_and_split(analyzer, text: str, whole: str, parts: set[str]) -> None:
    toks = analyzer.tokenize(text)
    assert whole in toks
    assert parts <= set(toks), toks


def test_ascii_tokens_without_kiwi() -> None:
    assert ascii_tokens("EC2") == ["ec2", "ec"]
    assert ascii_tokens("docker-compose.yml") == ["docker-compose.yml", "docker", "compose", "yml"]
    assert ascii_tokens("get.docker.com") == ["get.docker.com", "get", "docker", "com"]
    assert ascii_tokens("a1b2c3d4e5f6a7b8c9") == ["a1b2c3d4e5f6a7b8c9"]  # a hash is not split into noise


def test_run_is_not_glued_to_korean_around_it(analyzer) -> None:
    toks = analyzer.tokenize("AWS EC2와 도커는 VirtualBox나 VMware와 다르다")
    assert {"ec2", "도커", "아마존"} <= set(toks)  # aws = 아마존
    assert "가상화" in toks  # virtualbox and vmware are aliases of 가상화 (VMs are virtualization)
    assert not any("와" in t or t == "는" for t in toks)


def test_everything_is_lowercase(analyzer) -> None:
    toks = analyzer.tokenize("Docker-Compose.YML EC2 Get.Docker.COM UBUNTU CentOS KIBANA Node.JS")
    assert toks and all(t == t.lower() for t in toks)
    assert {"docker-compose.yml", "ec2", "get.docker.com", "우분투", "센토스"} <= set(toks)


def test_full_width_ascii_is_folded(analyzer) -> None:
    assert analyzer.tokenize("ＥＣ２") == analyzer.tokenize("EC2")


# -- aliases and user words ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("도커", "docker"),
        ("도커", "Docker"),
        ("도커는", "Docker는"),
        ("우분투", "ubuntu"),
        ("센토스", "CentOS"),
        ("쿠버네티스", "k8s"),
        ("차이", "difference"),
        ("단점", "cons"),
    ],
)
def test_korean_and_english_names_are_one_token(analyzer, a: str, b: str) -> None:
    ta, tb = analyzer.tokenize(a), analyzer.tokenize(b)
    assert ta and ta[0] == tb[0], (ta, tb)


def test_docker_alias_is_exactly_one_token(analyzer) -> None:
    assert analyzer.tokenize("docker") == analyzer.tokenize("도커") == ["도커"]


def test_missing_spaces(analyzer) -> None:
    assert {"도커", "ec2", "차이"} <= set(analyzer.tokenize("도커랑ec2차이"))
    assert {"도커", "ec2", "차이"} <= set(analyzer.tokenize("도커랑 EC2 차이"))
    assert {"우분투", "도커", "설치"} <= set(analyzer.tokenize("우분투에도커설치"))


@pytest.mark.parametrize("word", ["도커", "쿠버네티스", "도커파일", "스프링부트", "엘라스틱서치"])
def test_user_words_stay_one_noun(analyzer, word: str) -> None:
    assert analyzer.tokenize(word) == list(analyzer.lexicon.canonical(word))
    assert analyzer.tokenize(word + "는") == list(analyzer.lexicon.canonical(word))


def test_user_words_come_from_the_dictionary_file(analyzer) -> None:
    words = {w for w, _ in analyzer.lexicon.user_words}
    assert {"도커", "쿠버네티스", "우분투"} <= words


# -- phrase rules and expansions -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ["안 좋은 점", "안좋은점", "안  좋은  점", "도커의 안 좋은 점은?", "나쁜 점"]
)
def test_phrase_rule_bad_points_means_disadvantage(analyzer, text: str) -> None:
    toks = analyzer.tokenize(text)
    assert "단점" in toks
    assert "장점" not in toks  # '좋' alone is an alias of 장점: the phrase must win


def test_good_points_and_pros_and_cons(analyzer) -> None:
    assert "장점" in analyzer.tokenize("좋은 점")
    assert {"장점", "단점"} <= set(analyzer.tokenize("장단점"))


# -- inputs with nothing to search ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ["", "   ", "은는이가", "🐳🐳🐳", "?!.,", "\x00\x01\x07", "뭐야?", "좀 알려줘"]
)
def test_nothing_searchable_gives_no_tokens(analyzer, text: str) -> None:
    assert analyzer.tokenize(text) == []


def test_control_characters_are_spaces(analyzer) -> None:
    assert analyzer.tokenize("도커\x00설치\x1b") == analyzer.tokenize("도커 설치")


# -- batch and threads ---------------------------------------------------------------------------------
SAMPLES = [
    "도커와 EC2 차이",
    "",
    "docker-compose.yml 파일",
    "은는이가",
    "쿠버네티스 파드가 뭐야",
    "just english words here",
    "우분투에 도커 설치하는 방법",
]


def test_batch_equals_tokenize(analyzer) -> None:
    [batch] = analyzer.tokenize_groups([SAMPLES])
    assert batch == [analyzer.tokenize(t) for t in SAMPLES]


def test_tokenize_is_thread_safe(analyzer) -> None:
    expected = [analyzer.tokenize(t) for t in SAMPLES]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(analyzer.tokenize, SAMPLES * 10))
    assert got == expected * 10


def test_groups_come_back_whole_and_in_order(analyzer) -> None:
    """Empty groups, groups smaller than a batch and one larger than several batches: each group's
    tokens equal tokenizing its texts one by one."""
    groups = [[], SAMPLES[:2], SAMPLES * 80, [], [SAMPLES[-1]], SAMPLES[2:]]
    got = list(analyzer.tokenize_groups(iter(groups)))
    assert got == [[analyzer.tokenize(t) for t in g] for g in groups]


def test_groups_are_pulled_while_kiwi_works_and_questions_pass_between_batches(analyzer) -> None:
    """The stream pulls its input lazily (a caller parses as Kiwi works), keeps at most `ahead`
    batches waiting, and holds Kiwi's lock per batch only: a question is answered mid-stream."""
    pulled: list[int] = []

    def groups():
        for n in range(12):
            pulled.append(n)
            yield ["도커 컨테이너 설치 방법과 이미지 실행"] * analyzer.BATCH  # one batch per group

    stream = analyzer.tokenize_groups(groups(), ahead=2)
    first = next(stream)
    assert first[0] == analyzer.tokenize("도커 컨테이너 설치 방법과 이미지 실행")
    assert len(pulled) <= 4  # not the whole input up front
    with ThreadPoolExecutor(max_workers=1) as pool:  # a question while batches are queued
        assert pool.submit(analyzer.tokenize, "우분투 설치").result(timeout=30) == ["우분투", "설치"]
    stream.close()  # the caller stops early: the helper thread is shut down, nothing hangs
    assert len(pulled) < 12


def test_a_huge_note_still_lets_questions_through(analyzer, monkeypatch) -> None:
    """One group of many batches' worth of texts (a huge note): Kiwi's lock is taken per BATCH texts, so a
    question asked mid-way is answered before the note is done."""
    import threading
    import time

    calls: list[float] = []

    class Slow:  # the real Kiwi, a little slower per batch, recording when each batch starts
        def tokenize(self, text, *a, **k):
            if not isinstance(text, str):
                calls.append(time.perf_counter())
                time.sleep(0.05)
            return real.tokenize(text, *a, **k)

    real = analyzer._kiwi
    monkeypatch.setattr(analyzer, "_kiwi", Slow())
    huge = ["도커 컨테이너 설치"] * (analyzer.BATCH * 8)
    finished: list[float] = []

    def consume() -> None:
        list(analyzer.tokenize_groups([huge]))
        finished.append(time.perf_counter())

    worker = threading.Thread(target=consume)
    worker.start()
    while not calls:
        time.sleep(0.005)
    assert analyzer.tokenize("우분투 설치") == ["우분투", "설치"]
    answered = time.perf_counter()
    worker.join(60)
    assert len(calls) == 8 and finished and answered < finished[0]


def test_a_kiwi_error_reaches_the_caller(analyzer, monkeypatch) -> None:
    class Broken:
        def tokenize(self, *a, **k):
            raise RuntimeError("kiwi failed")

    monkeypatch.setattr(analyzer, "_kiwi", Broken())
    with pytest.raises(RuntimeError, match="kiwi failed"):
        list(analyzer.tokenize_groups([["도커 설치"]]))


def test_runs_of_spaces_change_nothing(analyzer) -> None:
    text = "- 도커를   설치한다\n    - 컨테이너    실행\t\t이미지"
    assert analyzer.tokenize(text) == analyzer.tokenize("- 도커를 설치한다\n- 컨테이너 실행 이미지")


def test_word_caches_give_the_same_terms_and_stay_bounded(analyzer, monkeypatch) -> None:
    """Search terms are worked out once per word (and per ASCII run); a full cache is emptied."""
    import bot.tokens.analyzer as module

    text = "가상화와 가상 머신, Docker-Compose.yml 설정과 EC2 인스턴스의 차이"
    first = analyzer.tokenize(text)
    assert {"가상화", "docker-compose.yml", "ec2", "인스턴스"} <= set(first)
    assert analyzer.tokenize(text) == first  # from the caches
    monkeypatch.setattr(module, "_CACHE_LIMIT", 3)
    assert analyzer.tokenize(text) == first
    assert len(analyzer._morphs) <= 3 and len(analyzer._runs) <= 3
    assert analyzer.tokenize(text) == first


def test_notes_stream_gives_each_section_its_own_and_ancestors_title_tokens(analyzer) -> None:
    """tokenize_notes: note by note in order; a heading text shared by notes is analysed once and
    still gives the same tokens; a note with no sections comes back empty."""
    from bot.notes.markdown import parse_sections
    from bot.tokens.sections import source_words, tokenize_notes

    a = "# 도커 설치\n## 우분투\n우분투에 도커를 설치한다.\n## 센토스\nyum으로 설치"
    b = "# 도커 설치\n## 우분투\n쿠버네티스 파드 실행"
    notes = [("a", parse_sections(a, "notes/a.md")), ("empty", []), ("b", parse_sections(b, "docker/b.md"))]
    got = list(tokenize_notes(iter(notes), analyzer))
    assert [key for key, _ in got] == ["a", "empty", "b"]
    for (_, secs), (_, toks) in zip(notes, got, strict=True):
        assert len(toks) == len(secs)
        for s, t in zip(secs, toks, strict=True):
            assert list(t.title) == analyzer.tokenize(s.heading_path[-1])
            assert list(t.path) == [w for h in s.heading_path[:-1] for w in analyzer.tokenize(h)]
            assert list(t.body) == analyzer.tokenize(s.body)
            assert list(t.source) == analyzer.tokenize(source_words(s.source))
    assert got[2][1][1].path == ("도커", "설치") and "쿠버네티스" in got[2][1][1].body


# -- the dictionary files (no Kiwi needed) -------------------------------------------------------------
def _dictionary(folder: Path, **files: str) -> Path:
    d = folder / "_dictionary"
    d.mkdir(parents=True)
    for name, text in files.items():
        (d / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


def test_lexicon_files_parse_and_bad_lines_are_warnings(tmp_path: Path) -> None:
    folder = _dictionary(
        tmp_path,
        user_words="# comment\n도커\n쿠버네티스 NNG  # trailing comment\n잘못된 줄 XX\n",
        aliases=(
            "도커 = Docker = 독커\n"
            "장단점 => 장점 단점\n"
            "안 좋 => 단점\n"
            "인덱스 = index\n"
            "색인 = indexing\n"
            "인덱스 = 색인\n"
            "한 단어뿐\n"
            "두 단어 = x\n"
            "=> 빈 왼쪽\n"
        ),
        distros="ubuntu = 우분투 = Ubuntu Linux\nred hat = 레드햇\n",
        question_words="방법 쓰\n점\n",
    )
    lex = load_lexicon(folder)
    assert lex.user_words == (("도커", "NNP"), ("쿠버네티스", "NNG"))
    assert lex.canonical("docker") == ("도커",)
    assert lex.canonical("독커") == ("도커",)
    assert lex.canonical("도커") == ("도커",)
    assert lex.canonical("장단점") == ("장점", "단점")
    assert lex.canonical("indexing") == ("인덱스",)  # chains are followed: indexing -> 색인 -> 인덱스
    assert lex.canonical("unknown") == ("unknown",)
    assert lex.distros == (("ubuntu", ("ubuntu", "우분투", "Ubuntu Linux")),)
    assert lex.question_words == frozenset({"방법", "쓰", "점"})
    (pattern, replacement), *_ = lex.phrases
    assert pattern.search("정말 안좋아") and pattern.search("안  좋다") and not pattern.search("안 나쁨")
    assert replacement.strip() == "단점"
    warned = "\n".join(lex.warnings)
    for where in ("user_words.txt:4", "aliases.txt:7", "aliases.txt:8", "aliases.txt:9", "distros.txt:2"):
        assert where in warned, lex.warnings
    assert len(lex.warnings) == 5


def test_alias_cycle_does_not_hang(tmp_path: Path) -> None:
    lex = load_lexicon(_dictionary(tmp_path, aliases="a = b\nb = a\nc = d\nd = c\n"))
    assert lex.canonical("a") and lex.canonical("b") and lex.canonical("c")


def test_a_folder_without_a_dictionary_uses_the_projects(tmp_path: Path) -> None:
    lex = load_lexicon(tmp_path)  # a bare folder of notes: 도커 must still be one word
    assert ("도커", "NNP") in lex.user_words and lex.aliases["docker"] == ("도커",)


def test_an_empty_dictionary_folder_is_empty_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    lex = load_lexicon(tmp_path, tmp_path / "empty")
    assert lex.user_words == () and lex.aliases == {} and lex.warnings == ()


def test_fingerprint_follows_the_files(tmp_path: Path) -> None:
    folder = _dictionary(tmp_path, aliases="도커 = docker\n")
    before = load_lexicon(folder).fingerprint
    assert load_lexicon(folder).fingerprint == before
    (folder / "_dictionary" / "aliases.txt").write_text("도커 = docker = 도거\n", encoding="utf-8")
    assert load_lexicon(folder).fingerprint != before


def test_undecodable_dictionary_file_is_a_warning(tmp_path: Path) -> None:
    folder = _dictionary(tmp_path)
    (folder / "_dictionary" / "aliases.txt").write_bytes(b"\xff\xfe\x00bad")
    lex = load_lexicon(folder)
    assert any(w.startswith("aliases.txt") for w in lex.warnings)


def test_normalize_turns_every_control_character_but_line_breaks_into_a_space() -> None:
    """The one-regex fast path equals the per-character definition (category C* but "\\n" -> space) on
    random text, with and without characters outside the BMP."""
    import random
    import unicodedata

    from bot.tokens.analyzer import _normalize

    def by_char(text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        return "".join(" " if unicodedata.category(c)[0] == "C" and c != "\n" else c for c in text)

    rng = random.Random(3)
    for n in range(500):
        top = 0x10FFFF if n % 5 == 0 else 0xFFFF
        text = "".join(chr(rng.randrange(0, top)) for _ in range(40))
        assert _normalize(text) == by_char(text), repr(text)
    assert _normalize("도커\x00설치\u200b끝\x1f") == "도커 설치 끝 "
    assert _normalize("도커\r\n설치\n") == "도커 \n설치\n"


class _KiwiSpy:
    """Records what reaches Kiwi; analyses with the real one."""

    def __init__(self, kiwi) -> None:
        self.kiwi, self.seen = kiwi, []

    def tokenize(self, text, *a, **k):
        texts = [text] if isinstance(text, str) else list(text)
        self.seen.extend(texts)
        return self.kiwi.tokenize(text if isinstance(text, str) else texts, *a, **k)


def test_lines_with_no_korean_never_reach_kiwi(analyzer, monkeypatch) -> None:
    """Code and English-only lines are tokenized without Kiwi (their runs are still tokens); a Korean
    comment inside code still reaches it."""
    spy = _KiwiSpy(analyzer._kiwi)
    monkeypatch.setattr(analyzer, "_kiwi", spy)
    body = "우분투에 도커 설치\n\nsudo apt-get install docker-ce\ndocker run -it ubuntu\n# 컨테이너 실행 확인"
    for tokens in (analyzer.tokenize(body), next(analyzer.tokenize_groups([[body]]))[0]):
        assert {"우분투", "도커", "설치", "컨테이너", "실행", "docker-ce", "apt-get", "sudo"} <= set(tokens)
    assert spy.seen and all("apt" not in t and "A -A" not in t and "\n" not in t for t in spy.seen)
    assert all("컨테이너 실행" in t for t in spy.seen)
    spy.seen.clear()
    assert (
        analyzer.tokenize("docker run -it ubuntu\nkubectl get pods")
        == next(analyzer.tokenize_groups([["docker run -it ubuntu\nkubectl get pods"]]))[0]
    )
    assert spy.seen == []  # nothing Korean: Kiwi is not called at all


# -- loanwords Kiwi cuts into syllables -----------------------------------------------------------------
def test_a_loanword_cut_into_syllables_is_kept_joined(analyzer) -> None:
    """Kiwi reads "리드" as 리/NNG 드/NNG and "샤딩" as 샤/NNG 딩/MAG: apart they are everyday fragments.
    The same word gives the same token in a note and in a question, with or without a particle."""
    assert analyzer.tokenize("팬텀 리드가 뭐야?") == ["팬텀", "리드"]
    assert "리드" in analyzer.tokenize("Phantom Read(팬텀 리드) 현상")
    assert "샤" not in analyzer.tokenize("데이터베이스 샤딩이란")
    # one-syllable words apart stay apart, and longer morphemes are untouched
    assert analyzer.tokenize("큐와 스택") == ["큐", "스택"]
    assert analyzer.tokenize("힙 정렬") == ["힙", "정렬"]
    batch = next(analyzer.tokenize_groups([["팬텀 리드가 뭐야?"]]))
    assert batch == [["팬텀", "리드"]]  # the indexing path joins them the same way
