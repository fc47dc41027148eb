/**
 * A system prompt masked of the policy's secrets before the loop keeps it, sends it, or records it
 * (the `request` event stores it whole). Parts of it are text from outside the kernel's code: an MCP
 * server's tool names, descriptions and start-up errors — a server the policy gives a secret may
 * say it there — a role, a skill, a thread's summary. So the prompt is masked whole, at one point.
 *
 * Masking costs milliseconds per secret on a prompt (secret-mask.ts searches every form a value may
 * take), and every process has one; yet most of it is the same text in every process (the syscall
 * reference for its capabilities, the MCP tools). It is masked by the paragraph, and long
 * paragraphs are remembered: a run or an encoding of a value never crosses a blank line unless the
 * value itself holds one — then the prompt is masked whole, uncached.
 */
import type { SecretBox } from './secrets.js';

const PARAGRAPH = '\n\n';
/** Shorter paragraphs are masked each time: cheap, and mostly one process's own (its pid, its name). */
const REMEMBERED_CHARS = 512;
/** Masked paragraphs remembered, the least recently used forgotten first. */
const MAX_REMEMBERED = 64;

export class PromptMask {
  private box: SecretBox | null = null;
  /** Whether a value holds a blank line (the prompt is then masked whole). */
  private whole = false;
  private readonly remembered = new Map<string, string>();

  /** `secrets`: the kernel's, read at each mask (a new box forgets what was masked with the old). */
  constructor(private readonly secrets: () => SecretBox) {}

  mask(text: string): string {
    const box = this.secrets();
    if (box.size === 0) return text;
    if (box !== this.box) {
      this.box = box;
      this.whole = box.values().some((v) => v.includes(PARAGRAPH));
      this.remembered.clear();
    }
    if (this.whole) return String(box.mask(text));
    return text
      .split(PARAGRAPH)
      .map((part) => this.paragraph(box, part))
      .join(PARAGRAPH);
  }

  private paragraph(box: SecretBox, text: string): string {
    if (text.length < REMEMBERED_CHARS) return String(box.mask(text));
    const known = this.remembered.get(text);
    const masked = known ?? String(box.mask(text));
    // Moved to the newest end: the syscall reference every process shares outlives one long role.
    this.remembered.delete(text);
    if (this.remembered.size >= MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value as string);
    this.remembered.set(text, masked);
    return masked;
  }
}
