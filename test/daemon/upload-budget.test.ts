import { describe, expect, it } from 'vitest';
import { UploadBudget, type UploadSlot } from '../../daemon/upload-budget.js';

describe('UploadBudget', () => {
  it('counts a request from its headers, per process and in all, and gives its bytes back when it ends', () => {
    const budget = new UploadBudget({ perProcess: 2, total: 3, bytesPerProcess: 100, bytes: 150 });
    const a1 = budget.open(1, 0) as UploadSlot;
    const a2 = budget.open(1, 0) as UploadSlot;
    expect(budget.open(1, 0)).toMatchObject({ status: 429 });
    const b1 = budget.open(2, 0) as UploadSlot;
    expect(budget.open(3, 0)).toMatchObject({ status: 503 });
    expect(a1.grow(60)).toBe(true);
    expect(a2.grow(50)).toBe(false); // process 1 holds 60 of its 100
    expect(b1.grow(80)).toBe(true);
    expect(a2.grow(20)).toBe(false); // 140 + 20 is over the gateway's 150
    expect(budget.stats()).toEqual({ requests: 3, bytes: 140 });
    a1.close();
    a1.close();
    expect(budget.stats()).toEqual({ requests: 2, bytes: 80 });
    expect(budget.open(2, 200)).toMatchObject({ status: 503 }); // declared bytes that cannot fit
    a2.close();
    b1.close();
    expect(budget.stats()).toEqual({ requests: 0, bytes: 0 });
  });
});
