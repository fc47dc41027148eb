import { describe, expect, it } from 'vitest';
import { pushShape, RESULTS, responseShape } from '../../protocol/protocol-results.js';
import * as s from '../../protocol/shape-check.js';

describe('shape checks', () => {
  it('accept what fits and leave extra fields alone', () => {
    const ping = {
      pid: 4,
      version: '0.1.0',
      protocol: 1,
      uptime_s: 2,
      home: '/h',
      socket: '/h/s',
      workspace: '/w',
      added_later: true,
    };
    expect(RESULTS.ping.problem(ping)).toBeNull();
    expect(
      RESULTS.logs.problem({ sub: null, procs: [], events: [{ ts: 'now', pid: 1, type: 'state', extra: 1 }] }),
    ).toBeNull();
    expect(RESULTS.send.problem({ ok: true })).toBeNull();
  });

  it('name the path, what was expected and what came', () => {
    expect(RESULTS.ping.problem({ pid: 0 })).toBe('pid: expected a positive integer, received number 0');
    expect(RESULTS.kill.problem({ killed: [1, '2'] })).toBe(
      'killed.1: expected a positive integer, received string "2"',
    );
    expect(RESULTS.logs.problem({ sub: 1, procs: [{ pid: 1 }], events: [] })).toBe(
      'procs.0: expected a process row {pid, ppid, name, state, model, ...}, received an object',
    );
    expect(RESULTS.send.problem({ ok: false })).toBe('ok: expected true, received boolean false');
    expect(RESULTS.ps.problem(null)).toBe('expected an array, received null');
    expect(RESULTS.ping.problem({ pid: 1 })).toBe('version: expected a string, received nothing');
    expect(RESULTS.prune.problem({ removed: 1.5 })).toBe('removed: expected an array, received number 1.5');
    expect(RESULTS.audit_verify.problem({ ok: true, rows: 1.5 })).toBe(
      'rows: expected an integer ≥ 0, received number 1.5',
    );
  });

  it('tell responses and pushes apart by their tag', () => {
    expect(responseShape.problem({ id: 1, ok: true, result: 'anything' })).toBeNull();
    expect(responseShape.problem({ id: null, ok: false, error: { code: 'EINVAL', message: 'no' } })).toBeNull();
    expect(responseShape.problem({ id: null, ok: true, result: 1 })).toBe('id: expected a request id, received null');
    expect(responseShape.problem({ id: 1, ok: 'yes' })).toBe('ok: expected one of true, false, received string "yes"');
    expect(
      pushShape.problem({ event: 'end', sub: 1, payload: { pid: 1, code: 0, reason: null, state: 'exited' } }),
    ).toBeNull();
    expect(pushShape.problem({ event: 'end', sub: 1, payload: { pid: 1, code: 0, reason: null, state: 'gone' } })).toBe(
      'payload.state: expected one of ready, running, blocked, sleeping, exited, killed, received string "gone"',
    );
    expect(pushShape.problem({ event: 'other', sub: 1 })).toBe(
      'event: expected one of log, end, event, stats, text, received string "other"',
    );
  });

  it('reject what JSON cannot carry as a number, and non-objects for objects', () => {
    expect(s.number.problem(Number.NaN)).toBe('expected a number, received number NaN');
    expect(s.object({}).problem([])).toBe('expected an object, received an array');
    expect(s.nullable(s.string).problem(null)).toBeNull();
  });
});
