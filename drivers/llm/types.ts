/** The contract every model driver (gemini, openai-compatible, replay) implements. */

export interface ModelMessage {
  /** `user` carries the kernel's messages (task, syscall results, events); `model` the replies. */
  role: 'user' | 'model';
  text: string;
}

export interface ModelProcInfo {
  pid: number;
  name: string;
  /** 0-based index of this inference for the process (its turn counter before the call). */
  turn: number;
}

export interface ModelRequest {
  system: string;
  /** Alternating, starting and ending with `user`. */
  messages: ModelMessage[];
  proc: ModelProcInfo;
  signal: AbortSignal;
}

export interface ModelUsage {
  prompt: number;
  output: number;
  cached?: number;
}

export interface ModelReply {
  text: string;
  /** From the provider's figures; absent when the provider reported none (never guessed). */
  usage?: ModelUsage;
  finishReason?: string;
}

export interface ModelDriver {
  /** `provider:model`, e.g. `replay:/abs/tape.yaml`, `gemini:gemini-2.5-flash`. */
  readonly id: string;
  complete(request: ModelRequest): Promise<ModelReply>;
}

/** Thrown by a driver when the process cannot go on (tape exhausted, expectation failed). */
export class ModelStop extends Error {
  override readonly name = 'ModelStop';
  constructor(readonly reason: string) {
    super(reason);
  }
}
