"""AnswerService reindex in the bot: worker thread + atomic swap, questions answered from the old or the
new index while it runs, concurrent requests coalesce without losing one, failures keep serving; and the
knowledge-folder watcher (answers/watch.py)."""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path

import pytest
from test_store_support import FIVE_TOPICS, make_config, shared, write_notes  # noqa: F401 (fixture)

from bot.answers import watch
from bot.answers.service import AnswerService, ReindexReport, tuning_from
from bot.answers.store import EngineStore as IndexStore
from bot.answers.store import build_engine
from bot.answers.types import Answer

pytestmark = pytest.mark.slow  # one shared Kiwi (tests/test_store_support.py)

TOPICS = FIVE_TOPICS


@pytest.fixture
def service(tmp_path: Path, analyzer) -> AnswerService:
    folder = tmp_path / "notes"
    write_notes(folder, TOPICS)
    config = make_config(folder, tmp_path / "cache", watch=True, debounce_seconds=0.1)
    store = IndexStore(folder, config.cache_dir)
    return AnswerService(store.rebuild(tuning_from(config), None, analyzer=analyzer), config, store)


class Gate:
    """Holds every rebuild after it has read the notes, until opened; counts rebuilds."""

    def __init__(self, service: AnswerService, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.opened = threading.Event()
        self.calls = 0
        real = service.store._assemble

        def gated(*args, **kwargs):
            self.calls += 1
            self.started.set()
            assert self.opened.wait(20), "gate never opened"
            return real(*args, **kwargs)

        monkeypatch.setattr(service.store, "_assemble", gated)

    async def wait_started(self) -> None:
        assert await asyncio.to_thread(self.started.wait, 20)
        self.started.clear()


def edit(service: AnswerService, name: str, text: str) -> None:
    (service.store.folder / name).write_text(text, encoding="utf-8")


def same(a: Answer, b: Answer) -> bool:
    key = lambda ans: [(r.section.source, r.section.line, round(r.score, 9)) for r in ans.results]  # noqa: E731
    return a.answered == b.answered and key(a) == key(b)


# -- a reindex racing questions --------------------------------------------------------------------
async def test_reindex_racing_100_questions(service, monkeypatch):
    gate = Gate(service, monkeypatch)
    old = service.engine
    edit(service, "n000.md", "# 체리 노트\n\n체리가 사과를 대신합니다.\n")  # 사과 -> 체리
    edit(service, "extra.md", "# 자동차\n\n자동차 정비 방법.\n")
    questions = ["사과 특징", "체리", "자동차 정비", "바나나 특징", "기차"] * 20

    rebuild = asyncio.ensure_future(service.reindex())
    await gate.wait_started()
    during = await asyncio.gather(*(asyncio.to_thread(service.ask, q) for q in questions[:50]))
    assert service.engine is old
    assert all(same(a, old.ask(a.question)) for a in during)  # the old index serves meanwhile
    gate.opened.set()
    racing = await asyncio.gather(*(asyncio.to_thread(service.ask, q) for q in questions[50:]))
    report = await rebuild
    new = service.engine
    assert report.ok and report.retokenized == 2 and new is not old
    assert all(same(a, old.ask(a.question)) or same(a, new.ask(a.question)) for a in racing)
    assert len(during) + len(racing) == 100
    assert new.ask("체리").answered and new.ask("자동차 정비").results[0].section.source == "extra.md"


# -- coalescing ------------------------------------------------------------------------------------
async def test_simultaneous_calls_share_one_rebuild(service, monkeypatch):
    gate = Gate(service, monkeypatch)
    gate.opened.set()
    reports = await asyncio.gather(*(service.reindex() for _ in range(10)))
    assert gate.calls == 1
    assert all(r is reports[0] for r in reports) and reports[0].ok
    assert not service.reindexing


async def test_calls_during_a_rebuild_get_exactly_one_more_that_sees_the_last_edit(service, monkeypatch):
    gate = Gate(service, monkeypatch)
    first = asyncio.ensure_future(service.reindex())
    await gate.wait_started()  # the first rebuild has read the notes already
    edit(service, "n001.md", "# 바나나 노트\n\n바나나 말고 키위.\n")
    later = [asyncio.ensure_future(service.reindex(full=(i == 2))) for i in range(5)]
    await asyncio.sleep(0.05)
    gate.opened.set()
    r1 = await first
    rest = await asyncio.gather(*later)
    assert gate.calls == 2  # not 6, and not 1 (which would lose the edit)
    assert r1.retokenized == 0
    assert all(r is rest[0] for r in rest)
    assert rest[0].retokenized == 5  # one of the queued calls asked for --full
    assert service.ask("키위").answered


async def test_cancelled_caller_does_not_cancel_the_rebuild(service, monkeypatch):
    gate = Gate(service, monkeypatch)
    edit(service, "n002.md", "# 포도 노트\n\n포도 대신 레몬.\n")
    waiter = asyncio.ensure_future(service.reindex())
    await gate.wait_started()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.opened.set()
    report = await service.reindex()  # joins nothing running or queues after: either way sees 레몬
    assert report.ok and service.ask("레몬").answered
    for _ in range(100):
        if not service.reindexing:
            break
        await asyncio.sleep(0.02)
    assert not service.reindexing


async def test_wait_idle_waits_for_the_rebuild_and_its_save_but_not_forever(service, monkeypatch):
    assert service.wait_idle(0)  # nothing running
    gate = Gate(service, monkeypatch)
    edit(service, "n004.md", "# 수박 노트\n\n수박 대신 참외.\n")
    rebuild = asyncio.ensure_future(service.reindex())
    await gate.wait_started()
    assert not await asyncio.to_thread(service.wait_idle, 0.1)  # held at the gate: gives up
    asyncio.get_running_loop().call_later(0.1, gate.opened.set)
    assert await asyncio.to_thread(service.wait_idle, 20)
    assert not service.reindexing and service.store.wait_saved(0) and service.ask("참외").answered
    assert (await rebuild).ok


def test_request_from_a_plain_thread_without_an_event_loop(service):
    edit(service, "n003.md", "# 기차 노트\n\n기차 대신 헬리콥터.\n")
    out: list[ReindexReport] = []
    t = threading.Thread(target=lambda: out.append(service.request_reindex().result(20)))
    t.start()
    t.join(30)
    assert out and out[0].ok and service.ask("헬리콥터").answered


# -- failures --------------------------------------------------------------------------------------
async def test_failed_reindex_keeps_the_old_engine_and_says_why(service, tmp_path):
    old = service.engine
    folder = service.store.folder
    moved = tmp_path / "moved-away"
    folder.rename(moved)
    report = await service.reindex()
    assert not report.ok and "not found" in report.error
    assert (report.files, report.sections) == (old.report.files, old.report.sections)
    assert service.engine is old and service.ask("사과 특징").answered

    folder.mkdir()  # there again, but empty
    report = await service.reindex()
    assert not report.ok and "no notes" in report.error and service.engine is old
    assert report.to_json()["error"] == report.error

    folder.rmdir()
    moved.rename(folder)
    report = await service.reindex()
    assert report.ok and report.to_json()["ok"] and "error" not in report.to_json()


async def test_unexpected_error_in_a_rebuild_is_reported_not_raised(service, monkeypatch):
    def boom(*_a, **_k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service.store, "_assemble", boom)
    old = service.engine
    report = await service.reindex()
    assert not report.ok and "RuntimeError: disk on fire" in report.error
    assert service.engine is old


# -- the watcher -----------------------------------------------------------------------------------
async def run_watcher(service, debounce: float = 0.1):
    reports: list[ReindexReport] = []
    stop = asyncio.Event()
    config = service.config.model_copy(
        update={"reload": service.config.reload.model_copy(update={"debounce_seconds": debounce})}
    )
    task = asyncio.ensure_future(
        watch.watch_and_reindex(service, config, stop, poll_seconds=0.02, on_report=reports.append)
    )
    await asyncio.sleep(0.1)  # the first snapshot
    return reports, stop, task


async def wait_for(predicate, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.02)


async def test_watcher_off_returns_at_once(tmp_path, service):
    config = make_config(service.store.folder, tmp_path / "c2")  # watch defaults to false
    await asyncio.wait_for(watch.watch_and_reindex(service, config, asyncio.Event()), 1)
    assert watch.Watcher(service, config).start().task is None


async def test_watcher_debounces_a_burst_into_one_rebuild(service, monkeypatch):
    gate = Gate(service, monkeypatch)
    gate.opened.set()
    reports, stop, task = await run_watcher(service, debounce=0.5)
    for i in range(5):  # an editor saving repeatedly, faster than the debounce
        edit(service, "n004.md", f"# 버스 노트\n\n버스 정류장 {i}번. 마지막은 망고{i}.\n")
        await asyncio.sleep(0.03)
    await wait_for(lambda: reports)
    await asyncio.sleep(0.4)  # nothing else changed: no second rebuild
    stop.set()
    await asyncio.wait_for(task, 2)
    assert gate.calls == 1 and len(reports) == 1 and reports[0].ok
    assert service.ask("망고4").answered


async def test_watcher_picks_up_an_edit_made_during_a_rebuild(service, monkeypatch):
    gate = Gate(service, monkeypatch)
    reports, stop, task = await run_watcher(service)
    edit(service, "new1.md", "# 첫째\n\n호수 이야기.\n")
    await gate.wait_started()
    edit(service, "new2.md", "# 둘째\n\n사막 이야기.\n")  # while the first rebuild is held
    await asyncio.sleep(0.4)  # the watcher sees it and asks again: queued, not lost
    gate.opened.set()
    await wait_for(lambda: len(reports) == 2)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert gate.calls == 2
    assert service.ask("사막").answered and service.ask("호수").answered


async def test_watcher_survives_a_vanished_folder_and_stops_promptly(service, tmp_path):
    reports, stop, task = await run_watcher(service)
    folder = service.store.folder
    shutil.move(folder, tmp_path / "away")
    await wait_for(lambda: reports)
    assert not reports[0].ok and service.ask("사과 특징").answered
    shutil.move(tmp_path / "away", folder)
    await wait_for(lambda: len(reports) == 2)
    assert reports[1].ok
    stop.set()
    await asyncio.wait_for(task, 1)


async def test_watcher_class_start_stop(service):
    reports: list[ReindexReport] = []
    w = watch.Watcher(service, service.config, poll_seconds=0.02, on_report=reports.append).start()
    await asyncio.sleep(0.1)
    edit(service, "w.md", "# 감시\n\n등대 이야기.\n")
    await wait_for(lambda: reports)
    await asyncio.wait_for(w.stop(), 1)
    assert w.task is None and service.ask("등대").answered


def test_snapshot_sees_notes_and_dictionary_files_only(tmp_path):
    folder = tmp_path / "k"
    write_notes(folder, ["사과"])
    before = watch.snapshot(folder)
    (folder / ".git").mkdir()
    (folder / ".git" / "x.md").write_text("ignored")
    (folder / "image.png").write_bytes(b"ignored")
    assert watch.same_snapshot(before, watch.snapshot(folder))
    with open(folder / "_dictionary" / "user_words.txt", "a", encoding="utf-8") as fh:
        fh.write("\n사과나무\n")
    after = watch.snapshot(folder)
    assert watch.changed_names(before, after) == ["_dictionary/user_words.txt"]
    assert watch.snapshot(tmp_path / "missing") is None
    assert watch.changed_names(after, None) == ["(the knowledge folder itself)"]


def test_engine_build_is_unaffected(tmp_path, analyzer):
    write_notes(tmp_path / "k", ["사과"])
    assert build_engine(tmp_path / "k", analyzer=analyzer).report.files == 1


def test_recently_modified_files_are_compared_by_content():
    meta = (10, 1_000_000_000, 1_000_000_000, 7, 0o100644)
    assert not watch.same_snapshot({"a.md": (meta, 1)}, {"a.md": (meta, 2)})  # same stamp, new bytes
    assert watch.same_snapshot({"a.md": (meta, 1)}, {"a.md": (meta, None)})  # aged: stamp decides
    assert not watch.same_snapshot({"a.md": (meta, None)}, {"a.md": ((11, *meta[1:]), None)})
    assert watch.changed_names({"a.md": (meta, None)}, {}) == ["a.md"]
