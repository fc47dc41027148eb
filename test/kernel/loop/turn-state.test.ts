/**
 * A process split by owner (issue 48.3): its row holds every part, each written in by its owner
 * (proc-runtime.ts runtimeOf), and a restart gives each owner its part back — the PCB's and the
 * queues' (Proc.fromRecord), the turn's (TurnState.restored). A seed from spawn becomes the loop's
 * state at the first turnOf; a row that could not be stored keeps only what it asked.
 */
import { describe, expect, it } from 'vitest';
import { TurnState, turnOf } from '../../../kernel/loop/turn-state.js';
import type { TurnRuntime } from '../../../kernel/loop/turn-types.js';
import { Proc } from '../../../kernel/proc/proc.js';
import { TurnSeed } from '../../../kernel/proc/turn-part.js';
import { CapabilitySet } from '../../../sys/capabilities.js';
import { emptyCounters, type Pcb } from '../../../sys/types.js';

function pcbOf(pid: number): Pcb {
  return {
    pid,
    ppid: 0,
    name: 'root',
    role: 'assistant',
    task: 't',
    model: 'replay:x',
    priority: 0,
    capabilities: [],
    pipeTo: null,
    createdAt: 1,
    state: 'ready',
    startedAt: null,
    endedAt: null,
    exitCode: null,
    exitReason: null,
    output: null,
    counters: emptyCounters(),
    limits: { maxTurns: 10, maxTokens: null, maxCost: null, maxWallS: null, contextTokens: 1000 },
    wait: null,
    cwd: '/',
    unit: null,
    spawnKey: null,
  };
}

const seeded = (): Proc =>
  new Proc(pcbOf(1), new CapabilitySet([]), 1, undefined, new TurnSeed([{ role: 'user', text: 'task', seq: 0 }], null));

describe('a process, by owner', () => {
  it('begins the loop’s part from what spawn gave it, once', () => {
    const proc = seeded();
    const state = turnOf(proc);
    expect(state.transcript.map((e) => e.text)).toEqual(['task']);
    expect(state.appendEntry('model', 'reply')).toBe(1);
    expect(turnOf(proc)).toBe(state);
  });

  it('stores each part in the row and gives each back to its owner after a restart', () => {
    const proc = seeded();
    const state = turnOf(proc);
    state.startCalls({ turn: 2, reply: 'r', blocks: [], lines: [], next: 0, started: false, replySeq: 1 });
    state.callStarted();
    state.replyWithoutSyscall();
    state.repeatStreak('sig', false);
    state.promptShown(2);
    state.compacted([...state.transcript], { summarySeq: 0, keptSeqs: [], count: 1 });
    proc.queues.notify({ kind: 'timer', text: '[EVENT::TIMER] {}' });
    proc.queues.captureStdout('out', 100);
    proc.queues.nextTimerId();
    proc.requestKill({ reason: 'killed', state: 'killed', code: 137 });

    const record = proc.toRecord();
    const back = Proc.fromRecord(record);
    const turn = back.holdTurn(TurnState.restored(JSON.parse(record.runtime) as Partial<TurnRuntime>));
    expect(back.killRequested).toEqual({ reason: 'killed', state: 'killed', code: 137 });
    expect(back.queues.notices).toEqual(proc.queues.notices);
    expect(back.queues.stdout).toBe('out');
    expect(back.queues.nextTimerId()).toBe('t2');
    expect(turn.takeStoredPending()).toEqual({ turn: 2, next: 0, started: true, replySeq: 1 });
    expect([turn.noSyscallStreak, turn.identicalStreak, turn.lastSignature, turn.promptTurn]).toEqual([1, 1, 'sig', 2]);
    expect(turn.context).toEqual({ summarySeq: 0, keptSeqs: [], count: 1 });
    expect(turnOf(back)).toBe(turn);
  });

  it('keeps what was asked and the timers’ count of a row that could not be stored, and nothing of the turn', () => {
    const proc = seeded();
    turnOf(proc).replyWithoutSyscall();
    proc.queues.notify({ kind: 'timer', text: 'x' });
    proc.queues.nextTimerId();
    proc.markRecordBroken();
    const runtime = JSON.parse(proc.toRecord().runtime) as Record<string, unknown>;
    expect(runtime).toMatchObject({ notices: [], stdout: '', timerSeq: 1, kill: null });
    expect(runtime).not.toHaveProperty('noSyscallStreak');
    expect(TurnState.restored(runtime).noSyscallStreak).toBe(0);
  });
});
