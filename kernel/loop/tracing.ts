/**
 * OpenTelemetry traces of the turn (issue 51), with the GenAI semantic conventions: a `chat {model}`
 * span around each model request (CLIENT: provider, models, tokens, cost, pid, turn) and an
 * `execute_tool {NAME}` span around each syscall, a child of its turn's span (errno and outcome;
 * status error on failure). The process tree is kept as links: every span of a child process links
 * to the SPAWN_AGENT span that started it (its parent's trace), and each turn links to the turn
 * before it, so a tree is walked from any of its traces.
 *
 * Installed through the two interceptor tables, only when the daemon was given an exporter
 * (drivers/otel: the standard OTEL_* variables): the model chain's innermost line (model-chain.ts:
 * what it sees is the request as it leaves, on the model it goes to), the call chain's outermost
 * (kernel/safety/call-interceptors.ts: it sees every call and the result the model reads). Without
 * one, no line of this file runs and no OTel module is loaded.
 *
 * What a span carries is the kernel's own figures and names, never a call's arguments or a reply's
 * text. Free text (a process's name, an error's message) passes the kernel's secret masking first
 * (`mask`: the policy's secrets, in any encoding the masking knows) and is cut to MAX_TEXT.
 */
import type { Attributes, Link, SpanContext } from '@opentelemetry/api';
import { costOf } from '../../drivers/llm/prices.js';
import type { ModelReply } from '../../drivers/llm/types.js';
import type { OpenSpan, Tracing } from '../../drivers/otel/otlp.js';
import { BoundedMap } from '../../sys/bounded-map.js';
import { param } from '../../sys/param.js';
import type { Proc } from '../proc/proc.js';
import type { After, Call, CallInterceptor, Step } from './call-chain.js';
import type { ModelCall, ModelInterceptor, SendModel } from './host.js';

/** Longest free text kept in an attribute or a status description, after masking. */
const MAX_TEXT = 256;

/** gen_ai.provider.name of aos's providers (the conventions' well-known values where one exists). */
const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  gemini: 'gcp.gemini',
  openai: 'openai',
  replay: 'aos.replay',
};

/** `gemini:gemini-2.5-flash` → provider `gemini`, model `gemini-2.5-flash`. */
export function splitModel(id: string): { provider: string; model: string } {
  const at = id.indexOf(':');
  return at > 0 ? { provider: id.slice(0, at), model: id.slice(at + 1) } : { provider: 'unknown', model: id };
}

interface TurnSpan {
  readonly context: SpanContext;
  readonly turn: number;
}

export class KernelTracing {
  /** Each process's latest turn span: its syscalls' parent, its next turn's link. */
  private readonly turns = new BoundedMap<number, TurnSpan>(param.tracedProcessesKept);
  /** A child's pid → the SPAWN_AGENT span that started it. */
  private readonly spawnedBy = new BoundedMap<number, SpanContext>(param.tracedProcessesKept);
  /** The model chain's line (model-chain.ts). */
  readonly model: ModelInterceptor = { send: (call, next) => this.request(call, next) };
  /** The call chain's line (kernel/safety/call-interceptors.ts). */
  readonly calls: CallInterceptor = {
    name: 'tracing',
    enter: (call) => this.enter(call),
    lacked: (proc, name, capability) => this.lacked(proc, name, capability),
  };

  constructor(
    readonly tracing: Tracing,
    /** The kernel's secret masking (SecretBox.mask): every free text passes it before it reaches a span. */
    private readonly mask: (value: unknown) => unknown,
  ) {}

  /** Free text as a span may carry it: masked, one line, bounded. */
  private text(raw: string): string {
    const masked = String(this.mask(raw)).replace(/[\u0000-\u001f\u007f]+/g, ' ');
    return masked.length > MAX_TEXT ? `${masked.slice(0, MAX_TEXT)}…` : masked;
  }

  private processAttributes(proc: Proc): Attributes {
    const { pcb } = proc;
    return {
      'aos.pid': pcb.pid,
      'gen_ai.agent.id': String(pcb.pid),
      'gen_ai.agent.name': this.text(pcb.name),
      ...(pcb.ppid > 0 ? { 'aos.ppid': pcb.ppid } : {}),
    };
  }

  /** The process tree as links: the span that spawned it (or, not seen yet, its parent's turn), and its own turn before. */
  private links(proc: Proc): Link[] {
    const links: Link[] = [];
    const spawn = this.spawnedBy.get(proc.pid);
    const parentTurn = spawn === undefined && proc.pcb.ppid > 0 ? this.turns.get(proc.pcb.ppid) : undefined;
    if (spawn) links.push({ context: spawn, attributes: { 'aos.link': 'spawned_by', 'aos.ppid': proc.pcb.ppid } });
    else if (parentTurn)
      links.push({ context: parentTurn.context, attributes: { 'aos.link': 'parent_turn', 'aos.ppid': proc.pcb.ppid } });
    const before = this.turns.get(proc.pid);
    if (before)
      links.push({ context: before.context, attributes: { 'aos.link': 'previous_turn', 'aos.turn': before.turn } });
    return links;
  }

  /** A model request: a turn's, a compaction's or a thread summary's (aos.purpose), or an eval's (no process). */
  async request(call: ModelCall, next: SendModel): Promise<ModelReply> {
    const { payer, request } = call;
    const { provider, model } = splitModel(call.model);
    const attributes: Attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': PROVIDER_NAMES[provider] ?? provider,
      'gen_ai.request.model': model,
      'aos.purpose': call.purpose,
      'aos.turn': request.proc.turn,
      ...(request.maxOutputTokens !== undefined ? { 'gen_ai.request.max_tokens': request.maxOutputTokens } : {}),
      ...(payer ? this.processAttributes(payer) : {}),
    };
    const span = this.tracing.start(`chat ${model}`, {
      kind: 'client',
      attributes,
      links: payer ? this.links(payer) : [],
    });
    if (payer && call.purpose === 'turn') this.turns.set(payer.pid, { context: span.context, turn: request.proc.turn });
    try {
      const reply = await next(call);
      const { usage } = reply;
      span.set({
        'gen_ai.response.model': model,
        ...(usage
          ? {
              'gen_ai.usage.input_tokens': usage.prompt,
              'gen_ai.usage.output_tokens': usage.output,
              ...(usage.cached !== undefined ? { 'gen_ai.usage.cache_read.input_tokens': usage.cached } : {}),
              'aos.cost_usd': costOf(call.model, usage),
            }
          : {}),
        ...(reply.finishReason ? { 'gen_ai.response.finish_reasons': [this.text(reply.finishReason)] } : {}),
      });
      return reply;
    } catch (error) {
      span.set({ 'error.type': error instanceof Error ? error.name : 'Error' });
      span.failed(this.text(error instanceof Error ? error.message : String(error)));
      throw error;
    } finally {
      span.end();
    }
  }

  private enter(call: Call): Step {
    const { proc, def } = call;
    const turn = this.turns.get(proc.pid);
    const span = this.tracing.start(`execute_tool ${def.name}`, {
      kind: 'internal',
      ...(turn ? { parent: turn.context } : { links: this.links(proc) }),
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': def.name,
        'gen_ai.tool.type': 'function',
        'aos.turn': turn?.turn ?? Math.max(0, proc.pcb.counters.turns - 1),
        ...(call.resumed ? { 'aos.resumed': true } : {}),
        ...this.processAttributes(proc),
      },
    });
    const after: After = (done, result) => {
      this.settle(span, done.state === 'refused' ? 'refused' : 'settled', result);
      if (result.ok && def.name === 'SPAWN_AGENT') {
        const child = (result.value as { pid?: unknown } | null)?.pid;
        if (typeof child === 'number') {
          this.spawnedBy.set(child, span.context);
          span.set({ 'aos.child_pid': child });
        }
      }
      span.end();
      return result;
    };
    return { after };
  }

  private settle(span: OpenSpan, state: 'refused' | 'settled', result: Parameters<After>[1]): void {
    if (result.ok) {
      span.set({ 'aos.outcome': 'ok' });
      return;
    }
    span.set({
      'aos.outcome': state === 'refused' ? 'refused' : 'error',
      'aos.errno': result.errno,
      'error.type': result.errno,
    });
    span.failed(this.text(`${result.errno}: ${result.message}`));
  }

  /** Refused for a capability before any interceptor was entered: a span all the same. */
  private lacked(proc: Proc, name: string, capability: string): void {
    const turn = this.turns.get(proc.pid);
    const span = this.tracing.start(`execute_tool ${name}`, {
      kind: 'internal',
      ...(turn ? { parent: turn.context } : {}),
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': name,
        'gen_ai.tool.type': 'function',
        'aos.turn': turn?.turn ?? Math.max(0, proc.pcb.counters.turns - 1),
        'aos.capability': this.text(capability),
        ...this.processAttributes(proc),
      },
    });
    this.settle(span, 'refused', { ok: false, errno: 'EPERM', message: `needs capability "${capability}"` });
    span.end();
  }
}

/** The call chain's line, for a host that has tracing (the table installs it only then). */
export function tracedCalls(host: { readonly tracing: KernelTracing | null }): CallInterceptor {
  if (!host.tracing) throw new Error('the tracing interceptor was installed without tracing');
  return host.tracing.calls;
}

/** The model chain's line: hands each request to the kernel's tracing (installed only while there is one). */
export function tracedRequests(host: { readonly tracing: KernelTracing | null }): ModelInterceptor {
  return {
    send: (call, next) => (host.tracing ? host.tracing.request(call, next) : next(call)),
  };
}
