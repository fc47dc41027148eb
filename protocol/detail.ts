/** `aos inspect`'s view of one process: everything ps shows, and what it was given and may do. */
import type { ProcRow } from './views.js';
import type { TaintShown } from './taint-show.js';

export interface ProcDetail {
  row: ProcRow;
  /** `exited 1 (model error)`, `blocked (message)`: status.ts's words. */
  status: string;
  task: string;
  capabilities: string[];
  /** Its working directory in the workspace (`/` unless given one). */
  workdir: string;
  /** Prompt tokens the provider served from its cache (a tenth of the price), of prompt_tokens. */
  cached_tokens: number;
  limits: {
    max_turns: number;
    max_tokens: number | null;
    max_cost: number | null;
    max_wall_s: number | null;
    context_tokens: number;
    max_children: number;
    max_live_descendants: number | null;
  };
  /** Its live descendants at any depth (max_live_descendants caps them). */
  live_descendants: number;
  children: Array<{ pid: number; name: string; state: string; status: string }>;
  /** The context threads it attached, opened or wrote to (absent from a kernel before threads). */
  threads?: Array<{ key: string; how: Array<'attached' | 'opened' | 'wrote'> }>;
  /** Whether its context holds outside content, and where that came from (issue 49; absent from an older kernel). */
  taint?: TaintShown;
}
