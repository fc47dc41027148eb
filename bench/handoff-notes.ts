/**
 * The handoff benchmark's text (bench/handoff.ts): the steps and, per visit, what each agent looks
 * up and the notes it hands on — the same text in the files and the thread variants.
 */
import { type Step, type StepText } from './handoff-steps.js';
import { visit1 } from './handoff-visit1.js';
import { visit2 } from './handoff-visit2.js';
import { visit3 } from './handoff-visit3.js';

export { endMarker, STEPS, type Step, type StepText } from './handoff-steps.js';
export const VISITS: ReadonlyArray<Record<Step, StepText>> = [visit1, visit2, visit3];
