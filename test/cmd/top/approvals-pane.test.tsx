/** `aos top`'s approvals pane (cmd/top/approvals-pane.tsx over protocol/show-call.ts): the call as it will run, cut only with a mark. */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { approvalLine, ApprovalsPane } from '../../../cmd/top/approvals-pane.js';
import type { ApprovalRow } from '../../../cmd/top/source.js';
import { displayWidth } from '../../../cmd/text-width.js';

afterEach(() => cleanup());

const ARGV = ['git', 'push', '-o', 'ci.skip --dry-run', 'origin', 'HEAD:refs/heads/main'];

function row(over: Partial<ApprovalRow> = {}): ApprovalRow {
  return {
    id: 'a1b2c3d4',
    pid: 7,
    name: 'pusher',
    call: 'EXEC_CMD',
    args: { program: '/usr/bin/git', argv: ARGV, cwd: '/workspace/repo' },
    rule: 'ask: exec:git push*',
    subject: `${ARGV.join(' ')} (/usr/bin/git)`,
    requested_at: '2026-11-25T00:00:00Z',
    expires_at: '2026-11-25T00:02:00Z',
    group: 'g',
    group_size: 1,
    ...over,
  };
}

describe('the approvals pane', () => {
  it("shows the issue's push with the option's argument quoted whole", () => {
    const line = approvalLine(row(), 200);
    expect(line).toBe(
      "a1b2c3d4  pid 7 pusher  EXEC_CMD argv git push -o 'ci.skip --dry-run' origin HEAD:refs/heads/main · program /usr/bin/git · cwd /workspace/repo  (ask: exec:git push*)",
    );
  });

  it('cuts to the width with a mark saying how much was left out, and keeps the rule at the end', () => {
    const line = approvalLine(row(), 80);
    expect(line).toMatch(/…\(\+\d+ chars\) {2}\(ask: exec:git push\*\)$/);
    expect(line).not.toContain('-o ci.skip --dry-run');
  });

  it('fits wide characters by their columns, cutting with its own mark rather than Ink\'s bare "…"', () => {
    const wide = approvalLine(
      row({ args: { program: '/usr/bin/git', argv: ['git', 'commit', '-m', '漢字'.repeat(40)] } }),
      100,
    );
    expect(displayWidth(wide)).toBeLessThanOrEqual(100);
    expect(wide).toMatch(/…\(\+\d+ chars\) {2}\(ask: exec:git push\*\)$/);
  });

  it('draws no ESC, carriage return or bidi override raw', () => {
    const hostile = row({
      name: 'p\u202eq',
      args: { program: '/usr/bin/git', argv: ['git', 'push\u001b[2K', '\rorigin'] },
      rule: 'ask: exec:git*\u001b[8m',
    });
    const app = render(<ApprovalsPane rows={[hostile]} max={3} width={200} color={false} />);
    const frame = app.lastFrame() ?? '';
    expect(frame).toContain("argv git $'push\\e[2K' $'\\rorigin'");
    expect(frame).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
  });
});
