/**
 * How long the supervisor waits before starting a crashed component again. The back-off doubles
 * with each crash in a row (1 s, 2 s, 4 s, ... up to 30 s), so a component that cannot start does
 * not spin; a component that had been up for STABLE_MS before it crashed starts a new row, so one
 * crash an hour after the last costs 1 s, not the 30 s that the platform's lifetime total reached.
 */
export const STABLE_MS = 10_000;
const MAX_DELAY_MS = 30_000;

/** The crash count of the current row, given the previous one and how long the component ran. */
export function crashesInARow(previous: number, upForMs: number | undefined): number {
  return upForMs !== undefined && upForMs >= STABLE_MS ? 1 : previous + 1;
}

export function restartDelayMs(inARow: number): number {
  return Math.min(MAX_DELAY_MS, 500 * 2 ** Math.min(Math.max(inARow, 1), 6));
}
