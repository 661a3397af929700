"""The synthesis pipeline: one time slice of a run, as one LangGraph node.

Three things happen in a slice, and only the first two decide anything:

1. **Planning**, at fixed points of the commit order: before anything is committed and after
   each wave is committed, the **planner** plans waves (and the **composer** turns each into
   work items appended to the queue) until it waits or stops. The planner reads only the
   committed counters and the queue, so the queue -- which items, in which order -- is a
   function of the seed, the inputs and the committed decisions, never of timing.
2. **Committing**, in queue order: the **writer** takes the items one at a time, waiting for the
   next one when it is not decided yet (a reorder buffer), and decides surplus and
   near-duplicates there (see :mod:`steps_agents.synthesis.writer`).
3. **Working**, as timing allows: each queued item is an asyncio task that runs the
   **generator** and the **critic** (and revisions) on its own. At most ``2 x concurrency`` of
   them are unfinished at once, started in queue order and only while a live estimate says the
   run may need them (:func:`_wanted`); a finished one waits for its turn to be committed
   without holding a slot. A slow model call (a straggler) therefore holds only its own slot:
   the items after it are generated and judged, and wait only to be committed. The planner
   keeps up to :data:`~steps_agents.synthesis.planner.PIPELINE_WAVES` waves queued, and once
   the commit order has waited for an item three median item times the item is run a second
   time beside the first (:func:`_hedged`), so a straggler at the head of the queue costs a
   few item times, not its whole delay.

A slice ends after :data:`SLICE_SECONDS` (at a wave boundary) and returns the committed counters
and the queue as the state update: LangGraph checkpoints them, and the next slice goes on with
the same tasks, which live in the runtime context, not in state. A process killed mid-slice
resumes from the last checkpoint: it plans nothing new (the queue is in the checkpoint), starts
the queued items again (those already on disk are counted from disk, the answered ones come
from the response cache) and commits them in the same order, so it ends with exactly the
samples of an uninterrupted run. LangGraph costs one task per slice, not two per item.
"""

from __future__ import annotations

import asyncio
import contextvars
import statistics
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from steps_agents.synthesis import singles
from steps_agents.synthesis.composer import composer
from steps_agents.synthesis.counters import merge_stats
from steps_agents.synthesis.critic import critic
from steps_agents.synthesis.generator import generator
from steps_agents.synthesis.planner import planner
from steps_agents.synthesis.state import ItemState, SynthesisState
from steps_agents.synthesis.writer import commit

if TYPE_CHECKING:  # pragma: no cover
    from langgraph.runtime import Runtime

    from steps_agents.synthesis.context import SynthesisContext

SLICE_SECONDS = 1.0  # between checkpoints: what a kill can make a resumed run redo
RUNNING_PER_SLOT = 2  # unfinished item tasks per concurrency slot (a slot's next call is queued)
HEDGE_AFTER = 3.0  # median item times before the head of the queue is run a second time
HEDGE_SHARE = 0.05  # at most this share of the items finished so far is run twice
MIN_TIMED = 8  # finished items timed before their median is trusted
RECHECK = 0.5  # seconds between looks at a slow head of the queue (the median moves)


async def run_item(ctx: SynthesisContext, branch: ItemState) -> ItemState:
    """Generate, judge and revise one item until it is decided; the decided branch."""
    while True:
        drafted = await generator(ctx, branch)
        if drafted.get("decision"):
            return drafted
        judged = await critic(ctx, drafted)
        if judged.get("decision"):
            return judged
        branch = judged  # a revision: back to the generator with the critic's feedback


def _start(ctx: SynthesisContext, item: dict[str, Any], wave: int) -> asyncio.Task[ItemState]:
    """Start ``item``'s task in an empty context (it outlives the node that starts it, so its
    model calls must not be attributed to that node's run)."""
    branch: ItemState = {"item": item, "wave": wave, "revision": 0, "feedback": []}
    coro = run_item(ctx, branch)
    task = asyncio.get_running_loop().create_task(coro, context=contextvars.Context())
    item_id = str(item["id"])
    ctx.tasks[item_id] = task
    ctx.started_ids.add(item_id)
    ctx.started_at[item_id] = time.monotonic()
    ctx.running += 1
    task.add_done_callback(lambda done: _finished(ctx, item_id, done))
    return task


def _finished(ctx: SynthesisContext, item_id: str, task: asyncio.Task[ItemState]) -> None:
    ctx.running = max(0, ctx.running - 1)
    begun = ctx.started_at.pop(item_id, None)
    ok = ctx.tasks.get(item_id) is task and not task.cancelled() and task.exception() is None
    if ok and begun is not None:
        ctx.durations.append(time.monotonic() - begun)
        ctx.timed += 1
    if ok and task.result().get("decision") == "accepted":
        ctx.live_accepted.add(item_id)
    pump(ctx)


def _held_up(ctx: SynthesisContext) -> bool:
    """Whether the commit order has waited for one item longer than a usual item takes while
    a slot's worth of later items finished (a straggler, not a busy event loop)."""
    if ctx.waiting_since is None or len(ctx.tasks) - ctx.running < ctx.config.concurrency:
        return False
    usual = statistics.median(ctx.durations) if len(ctx.durations) >= MIN_TIMED else 1.0
    return time.monotonic() - ctx.waiting_since > usual


def _wanted(ctx: SynthesisContext) -> bool:
    """Whether another item may be needed: the target minus what is written, against what the
    started items are expected to add (critic-accepted ones and running ones at the committed
    acceptance rate; a critic-accepted one at the rate such items survived their commit)."""
    need = ctx.target - ctx.writer.accepted
    kept, judged = ctx.survival
    live = len(ctx.live_accepted) * (kept + 1) / (judged + 1)
    # A slot's worth of slack: starting one item too many costs a call, one too few an idle
    # slot. While the commits are held up by a straggler the estimates are stale, and what
    # the run still needs is allowed again on top: items started then are committed later if
    # needed (they come next in the queue), so the calls this can waste are bounded by the
    # need at the end.
    slack = ctx.config.concurrency
    if _held_up(ctx):
        slack += need
    return live + ctx.running * ctx.acceptance < need + slack


def pump(ctx: SynthesisContext) -> None:
    """Start queued items, in queue order, while fewer than the limit are unfinished and more
    may be needed."""
    limit = RUNNING_PER_SLOT * max(1, ctx.config.concurrency)
    while ctx.to_start and ctx.running < limit and _wanted(ctx):
        item, wave = ctx.to_start.popleft()
        if str(item["id"]) not in ctx.started_ids:  # the commit order may have started it
            _start(ctx, item, wave)


async def decided(ctx: SynthesisContext, item: dict[str, Any], wave: int) -> tuple[ItemState, bool]:
    """The decided branch of a queued item (started now if it has not been: the commit order
    needs it, whatever the estimate said), and whether it came from a hedge (see
    :func:`_hedged`)."""
    item_id = str(item["id"])
    task = ctx.tasks.get(item_id) or _start(ctx, item, wave)
    try:
        if task.done():
            return task.result(), False
        ctx.waiting_since = time.monotonic()
        return await _hedged(ctx, task, item, wave)
    finally:
        ctx.waiting_since = None
        ctx.tasks.pop(item_id, None)
        ctx.live_accepted.discard(item_id)


async def _hedged(
    ctx: SynthesisContext, task: asyncio.Task[ItemState], item: dict[str, Any], wave: int
) -> tuple[ItemState, bool]:
    """Wait for the item the commit order needs; once it has taken :data:`HEDGE_AFTER` times
    the median item time, run the same item again beside it and take whichever finishes first
    (the other is cancelled); at most :data:`HEDGE_SHARE` of the items finished so far (a slow
    model or a busy machine slows every item, and running them all twice would not help). The
    second run sends the same requests, so with a deterministic model (or the response cache)
    it decides the same; a straggler at the head of the queue then costs a few median item
    times instead of its whole delay."""
    while True:
        timeout = RECHECK  # until enough items are timed to know what "slow" is
        if len(ctx.durations) >= MIN_TIMED and ctx.hedged <= HEDGE_SHARE * ctx.timed:
            begun = ctx.started_at.get(str(item["id"]), time.monotonic())
            due = begun + HEDGE_AFTER * statistics.median(ctx.durations)
            timeout = min(RECHECK, due - time.monotonic())
            if timeout <= 0:
                break
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if done:
            return task.result(), False
    branch: ItemState = {"item": item, "wave": wave, "revision": 0, "feedback": []}
    coro = run_item(ctx, branch)
    hedge = asyncio.get_running_loop().create_task(coro, context=contextvars.Context())
    ctx.hedges.add(hedge)
    ctx.hedged += 1
    try:
        done, _ = await asyncio.wait({task, hedge}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        hedge.cancel()  # interrupted: the original is cancelled with the other tasks
        raise
    finally:
        ctx.hedges.discard(hedge)
    winner, loser = (task, hedge) if task in done else (hedge, task)
    if loser.done():
        if not loser.cancelled():
            loser.exception()  # retrieved: it lost the race, its outcome is not needed
    else:
        loser.cancel()
    return winner.result(), winner is hedge


class Slice:
    """One slice's view of the state: what it read, plus what it planned and committed."""

    def __init__(self, ctx: SynthesisContext, state: Mapping[str, Any]) -> None:
        self.ctx = ctx
        self.view: dict[str, Any] = dict(state)
        self.view["stats"] = dict(state.get("stats") or {})
        self.queue: list[dict[str, Any]] = list(state.get("queue") or ())
        self.stats: dict[str, Any] = {}  # the delta this slice adds
        self.used: list[list[str]] = []
        self.changed: set[str] = set()
        self._sync_target()
        if ctx.exclude is None:  # a new process: rebuilt from the checkpoint
            ctx.exclude = {frozenset(skills) for skills in state.get("used") or ()}
        if not ctx.tasks and not ctx.to_start:  # a new process: restart the queued items
            ctx.to_start.extend((item, int(w["wave"])) for w in self.queue for item in w["items"])

    def _sync_target(self) -> None:
        """The writer's target (and the progress bar's) follows the singles planned."""
        before = self.ctx.singles_allowance
        self.ctx.singles_allowance = singles.allowance(self.view["stats"])
        bar = self.ctx.monitor.progress
        if bar is not None and bar.total:
            bar.total += self.ctx.singles_allowance - before

    def apply(self, update: Mapping[str, Any]) -> None:
        for key, value in update.items():
            if key == "stats":
                self.view["stats"] = stats = merge_stats(self.view["stats"], value)
                self.stats = merge_stats(self.stats, value)
                a, r = int(stats.get("accepted", 0)), int(stats.get("rejected", 0))
                self.ctx.acceptance = (a + 3) / (a + r + 4)  # the planner's pooled estimate
                self._sync_target()
            elif key == "used":
                self.used.extend(value)
            else:
                self.view[key] = value
                self.changed.add(key)

    async def plan(self, runtime: Runtime[SynthesisContext]) -> None:
        """Plan and compose waves until the planner waits or stops."""
        while True:
            self.apply(await planner(self.view, runtime))  # type: ignore[arg-type]
            if self.view.get("action") == "singles":
                self.plan_singles()
                continue
            if self.view.get("action") != "compose":
                return
            assert self.ctx.exclude is not None
            items, update = composer(self.ctx, self.view, self.ctx.exclude)
            self.apply(update)
            if items:
                wave = int(self.view.get("wave", 0))
                self.queue.append({"wave": wave, "items": items})
                self.ctx.to_start.extend((item, wave) for item in items)
                pump(self.ctx)
            await asyncio.sleep(0)  # let answered calls be taken up between waves

    def plan_singles(self) -> None:
        """The batch reached its target and singles are on: drop what is queued (as the stop
        would) and queue the singles wave (:mod:`steps_agents.synthesis.singles`)."""
        self.drop_queue(keep_started=False)
        wave = int(self.view.get("wave", 0)) + 1
        items, update = singles.compose_singles(self.ctx, self.view["stats"], wave)
        self.apply(update | {"wave": wave})
        if items:
            self.queue.append({"wave": wave, "items": items, "singles": True})
            self.ctx.to_start.extend((item, wave) for item in items)
            pump(self.ctx)

    async def commit_wave(self) -> None:
        """Commit the first queued wave, item by item in order."""
        wave = self.queue[0]
        track = self.ctx.config.singles  # the per-skill counters the singles are planned from
        for item in wave["items"]:
            branch, hedged = await decided(self.ctx, item, int(wave["wave"]))
            if hedged:
                self.apply({"stats": {"hedged": 1}})
            quotas = dict(self.view.get("quotas") or {})
            work = self.ctx.work_item(item) if track else None
            delta = await commit(self.ctx, branch, quotas)
            if branch.get("decision") == "accepted":
                self.ctx.survival[1] += 1
                self.ctx.survival[0] += bool(delta.get("accepted") or delta.get("surplus"))
            if work is not None:
                status = next((s for s in ("accepted", "rejected") if delta.get(s)), "")
                delta = merge_stats(delta, singles.coverage(work.skills, work.k, status))
                if wave.get("singles"):
                    delta = merge_stats(delta, singles.outcome(work.skills[0], delta))
            self.apply({"stats": delta})
        self.queue.pop(0)

    def drop_queue(self, *, keep_started: bool) -> None:
        """The planner stopped: the queued items not worth committing are never written (counted
        as skipped). Reaching the target or the stall rule drops the whole queue (a decision at
        a fixed point of the commit order); a failed model or a spent budget keeps the items
        already started, whose answers may still come and are then judged and written."""
        dropped: list[dict[str, Any]] = []
        kept: list[dict[str, Any]] = []
        for wave in self.queue:
            started = [i for i in wave["items"] if keep_started and str(i["id"]) in self.ctx.tasks]
            dropped += [
                i for i in wave["items"] if not keep_started or str(i["id"]) not in self.ctx.tasks
            ]
            if started:
                kept.append({**wave, "items": started})
        if dropped:
            by_k: dict[str, Any] = {}
            for item in dropped:
                by_k = merge_stats(by_k, {str(self.ctx.work_item(item).k): {"finished": 1}})
            n = len(dropped)
            self.apply({"stats": {"skipped": n, "finished": n, "by_k": by_k}})
        self.queue = kept
        self.ctx.to_start.clear()
        if not keep_started:
            self.ctx.drop_tasks()

    def update(self) -> dict[str, Any]:
        out: dict[str, Any] = {key: self.view[key] for key in self.changed}
        out["queue"] = self.queue
        if self.stats:
            out["stats"] = self.stats
        if self.used:
            out["used"] = self.used
        return out


async def pipeline(state: SynthesisState, runtime: Runtime[SynthesisContext]) -> dict[str, Any]:
    """Run one slice (see module doc); the state update."""
    ctx = runtime.context
    run = Slice(ctx, state)
    deadline = time.monotonic() + SLICE_SECONDS
    while True:
        await run.plan(runtime)
        if run.view.get("action") == "stop":
            keep = run.view.get("stop_reason") in ("model call failed", "budget spent")
            run.drop_queue(keep_started=keep)
        if not run.queue:
            if run.view.get("action") != "stop":  # nothing queued and nothing to plan
                run.apply({"action": "stop", "stop_reason": "nothing left to plan"})
            break
        await run.commit_wave()
        if time.monotonic() >= deadline:
            break
    return run.update()


def route_after_slice(state: SynthesisState) -> Literal["pipeline", "__end__"]:
    """Another slice until the planner has stopped and the queue is committed."""
    if state.get("action") == "stop" and not state.get("queue"):
        return "__end__"
    return "pipeline"
