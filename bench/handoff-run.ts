/**
 * One variant of the handoff benchmark (bench/handoff.ts) through a real kernel: the workspace
 * files, the tape of every agent, the agents run one after another, and every request the kernel
 * sends the model counted at the driver (estimateTokens: system prompt + messages, as the kernel
 * sizes them). A thread summary or a compaction is asked of this driver as of a real model — its
 * id is not `replay:` — answered with the stand-in (handoff-agents.ts) and counted.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { loadTape, replayTape } from '../drivers/llm/replay.js';
import type { ModelDriver } from '../drivers/llm/types.js';
import { estimateTokens } from '../kernel/context/context-budget.js';
import { ATTACHED_HEADER } from '../kernel/ipc/thread-prompt.js';
import { Kernel } from '../kernel/kernel.js';
import type { KernelEvent } from '../protocol/events.js';
import { param } from '../sys/param.js';
import { STEPS, type Step, type StepText, VISITS } from './handoff-notes.js';
import {
  agentName,
  entriesNotShown,
  filesAgent,
  KEY,
  STEP_LABEL,
  standInSummary,
  task,
  type TapeEntry,
  threadAgent,
  type Variant,
} from './handoff-agents.js';

type RequestKind = 'turn' | 'thread-summary' | 'compaction';
export interface Sent {
  agent: string;
  kind: RequestKind;
  tokens: number;
  /** Of them, the attached threads' part of the system prompt (0 without one). */
  thread_tokens: number;
  /** Its system prompt's length in characters (the attached threads' block included). */
  system_chars: number;
}
export interface AgentRun {
  agent: string;
  visit: number;
  step: Step;
  pid: number;
  exitCode: number | null;
  exitReason: string | null;
  requests: number;
  prompt_tokens: number;
  summary_tokens: number;
  /** Of prompt_tokens, those of the attached threads' block in its system prompts. */
  thread_block_tokens: number;
  /** Thread: earlier entries its first prompt showed neither in the summary nor verbatim. */
  not_shown: number;
}
export interface VariantRun {
  agents: AgentRun[];
  sent: Sent[];
  summaries: number;
  compactions: number;
  filesWritten: number;
  entries: number;
  /** The shortest system prompt of an agent's turn, in characters: the prompt without a thread's entries. */
  systemChars: number;
}
export interface RunOptions {
  visits: number;
  /** Each request's size on stderr. */
  trace: boolean;
  /** This agent's requests whole on stderr. */
  show: string;
}

/** The attached threads' block of a system prompt, in tokens (it runs from its header to the prompt's end). */
function threadBlockTokens(system: string): number {
  const at = system.indexOf(ATTACHED_HEADER);
  return at === -1 ? 0 : Math.ceil((system.length - at) / param.contextCharsPerToken);
}

async function writeWorkspace(workspace: string, visits: number): Promise<void> {
  for (const visit of VISITS.slice(0, visits)) {
    for (const step of STEPS) {
      const file = path.join(workspace, visit[step].source.path);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, visit[step].source.text);
    }
  }
}

export async function runVariant(variant: Variant, options: RunOptions): Promise<VariantRun> {
  const { visits, trace, show } = options;
  const dir = await mkdtemp(path.join(os.tmpdir(), `aos-bench-handoff-${variant}-`));
  try {
    const workspace = path.join(dir, 'ws');
    await writeWorkspace(workspace, visits);
    const agents: Record<string, TapeEntry[]> = {};
    for (let v = 1; v <= visits; v++) {
      for (const step of STEPS) {
        const text = (VISITS[v - 1] as Record<Step, StepText>)[step];
        agents[agentName(v, step)] =
          variant === 'thread' ? threadAgent(v, step, text) : filesAgent(v, step, text, variant === 'files-batched');
      }
    }
    const tape = path.join(dir, `${variant}.yaml`);
    await writeFile(tape, YAML.stringify({ agents }));
    const kernel = await Kernel.create({
      workspace,
      rootCapabilities: ['fs.read:/**', 'fs.write:/**', 'thread:**'],
      storeFile: path.join(dir, 'aos.db'),
      cwd: dir,
    });
    const model = `replay:${tape}`;
    const replay = replayTape(await loadTape(tape, { maxBytes: 8 << 20 }), model);
    const sent: Sent[] = [];
    const notShown = new Map<string, number>();
    const measured: ModelDriver = {
      // Not `replay:`: a thread summary or a compaction is asked of this driver, as of a real model, and counted.
      id: `bench-handoff:${variant}`,
      async complete(request) {
        const tokens = estimateTokens(request.system, request.messages);
        const kind: RequestKind = request.system.startsWith('You keep the running summary')
          ? 'thread-summary'
          : request.system.startsWith('You compress an agent')
            ? 'compaction'
            : 'turn';
        sent.push({
          agent: request.proc.name,
          kind,
          tokens,
          thread_tokens: kind === 'turn' ? threadBlockTokens(request.system) : 0,
          system_chars: request.system.length,
        });
        if (kind === 'turn' && request.proc.turn === 0 && variant === 'thread')
          notShown.set(request.proc.name, entriesNotShown(request.system));
        if (trace)
          process.stderr.write(
            `handoff: ${variant} ${request.proc.name} turn ${request.proc.turn} ${kind}: system ${request.system.length} chars, messages ${request.messages.map((m) => m.text.length).join('+')} chars = ${tokens} tokens\n`,
          );
        if (show === request.proc.name)
          process.stderr.write(
            `${request.system}\n${request.messages.map((m) => `--- ${m.role}\n${m.text}`).join('\n')}\n=====\n`,
          );
        if (kind === 'turn') return replay.complete(request);
        const text = standInSummary(request);
        return { text, usage: { prompt: tokens, output: Math.ceil(text.length / param.contextCharsPerToken) } };
      },
    };
    await kernel.models.get(model, () => Promise.resolve(measured));
    const events: KernelEvent[] = [];
    kernel.events.subscribe((e) => events.push(e));
    const runs: AgentRun[] = [];
    try {
      for (let v = 1; v <= visits; v++) {
        for (const step of STEPS) {
          const agent = agentName(v, step);
          const text = (VISITS[v - 1] as Record<Step, StepText>)[step];
          const pcb = await kernel.spawn({
            task: task(variant, v, step, text),
            model,
            name: agent,
            role: STEP_LABEL[step],
            ...(variant === 'thread' ? { attach: [KEY] } : {}),
          });
          const done = await kernel.waitExit(pcb.pid);
          const mine = sent.filter((s) => s.agent === agent);
          runs.push({
            agent,
            visit: v,
            step,
            pid: pcb.pid,
            exitCode: done.exitCode,
            exitReason: done.exitReason,
            requests: mine.length,
            prompt_tokens: mine.reduce((n, s) => n + s.tokens, 0),
            summary_tokens: mine.filter((s) => s.kind !== 'turn').reduce((n, s) => n + s.tokens, 0),
            thread_block_tokens: mine.reduce((n, s) => n + s.thread_tokens, 0),
            not_shown: notShown.get(agent) ?? 0,
          });
          if (done.exitCode !== 0)
            throw new Error(
              `${variant}: agent ${agent} (pid ${pcb.pid}) ended with ${done.exitCode}: ${done.exitReason}`,
            );
          const failed = events.filter((e) => e.type === 'result' && e.pid === pcb.pid && !e.ok);
          if (failed.length) throw new Error(`${variant}: agent ${agent} had failed calls: ${JSON.stringify(failed)}`);
        }
      }
      kernel.store.flush();
      const written = events.filter(
        (e) => e.type === 'result' && e.ok && (e.name === 'FS_WRITE' || e.name === 'THREAD_APPEND'),
      );
      return {
        agents: runs,
        sent,
        summaries: sent.filter((s) => s.kind === 'thread-summary').length,
        compactions: sent.filter((s) => s.kind === 'compaction').length,
        filesWritten: written.filter((e) => e.type === 'result' && e.name === 'FS_WRITE').length,
        entries: kernel.threads.get(KEY)?.last_seq ?? 0,
        systemChars: Math.min(...sent.filter((s) => s.kind === 'turn').map((s) => s.system_chars)),
      };
    } finally {
      await kernel.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
