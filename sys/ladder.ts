/**
 * A model ladder written as one model name, as a process's `model` holds it:
 * `ladder:<cheapest>|…|<strongest>`. Each turn runs on one rung, chosen by the kernel
 * (kernel/sched/ladder.ts); a ladder of one rung is that model.
 */
export const LADDER_PREFIX = 'ladder:';

export function isLadder(model: string): boolean {
  return model.startsWith(LADDER_PREFIX);
}

/** Its rungs, cheapest first (a plain model is a ladder of one). */
export function rungsOf(model: string): string[] {
  return isLadder(model) ? model.slice(LADDER_PREFIX.length).split('|') : [model];
}

/** The model name of these rungs (one rung: that model itself). */
export function ladderModel(rungs: readonly string[]): string {
  return rungs.length === 1 ? (rungs[0] as string) : `${LADDER_PREFIX}${rungs.join('|')}`;
}

/** `flash-lite×7 flash×2 pro×1`: the turns each rung ran, in ladder order, short names (as ps shows models). */
export function describeMix(
  rungs: readonly string[],
  mix: Readonly<Record<string, number>>,
  short: (model: string) => string,
): string {
  const used = rungs.filter((r) => (mix[r] ?? 0) > 0);
  if (used.length === 0) return rungs.map(short).join('/');
  return used.map((r) => `${short(r)}×${mix[r]}`).join(' ');
}
