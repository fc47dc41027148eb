/** The one syscall registry (xv6's syscalls[]). Adding a syscall: one file, one line here. */
import type { SyscallDef } from './define.js';
import execCmd from './exec-cmd.js';
import escalate from './escalate.js';
import exit from './exit.js';
import fsList from './fs-list.js';
import fsRead from './fs-read.js';
import fsWrite from './fs-write.js';
import mcpCall from './mcp-call.js';
import mcpList from './mcp-list.js';
import memRead from './mem-read.js';
import memWrite from './mem-write.js';
import netFetch from './net-fetch.js';
import readStdin from './read-stdin.js';
import recvMsg from './recv-msg.js';
import resultRead from './result-read.js';
import registerWebhook from './register-webhook.js';
import schedule from './schedule.js';
import sendMsg from './send-msg.js';
import sleep from './sleep.js';
import spawnAgent from './spawn-agent.js';
import wait from './wait.js';
import webhookReply from './webhook-reply.js';
import writeStdout from './write-stdout.js';
import threadOpen from './thread-open.js';
import threadAppend from './thread-append.js';
import threadRead from './thread-read.js';
import threadList from './thread-list.js';
import historySearch from './history-search.js';
import channelSend from './channel-send.js';
import skillOpen from './skill-open.js';

export const SYSCALLS: readonly SyscallDef[] = [
  fsRead,
  fsWrite,
  fsList,
  execCmd,
  netFetch,
  memWrite,
  memRead,
  spawnAgent,
  wait,
  sendMsg,
  recvMsg,
  writeStdout,
  readStdin,
  sleep,
  schedule,
  registerWebhook,
  webhookReply,
  resultRead,
  threadOpen,
  threadAppend,
  threadRead,
  threadList,
  historySearch,
  channelSend,
  skillOpen,
  mcpCall,
  mcpList,
  escalate,
  exit,
];

const byName = new Map<string, SyscallDef>();
for (const def of SYSCALLS) {
  for (const name of [def.name, ...(def.aliases ?? [])]) {
    if (byName.has(name)) throw new Error(`duplicate syscall name ${name}`);
    byName.set(name, def);
  }
}

export function findSyscall(name: string): SyscallDef | undefined {
  return byName.get(name.toUpperCase());
}

/** Closest known names, for ENOSYS's did-you-mean. */
export function suggestSyscalls(name: string, max = 3): string[] {
  const upper = name.toUpperCase();
  return SYSCALLS.map((def) => ({ name: def.name, d: editDistance(upper, def.name) }))
    .filter(
      (c) => c.d <= Math.max(2, Math.floor(c.name.length / 3)) || c.name.includes(upper) || upper.includes(c.name),
    )
    .sort((a, b) => a.d - b.d)
    .slice(0, max)
    .map((c) => c.name);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
