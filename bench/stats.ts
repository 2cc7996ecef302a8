import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * A full garbage collection now, so that what is measured next pays for its own garbage and not
 * for what ran before it (V8's `gc`, exposed at run time rather than by a flag on the command).
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/** Alternating rounds and their ratios: median, min and max, as the benchmark reports figures. */
export interface Ratio {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: readonly number[];
}

export function ratioOf(values: readonly number[]): Ratio {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, rounds: values };
}

/**
 * Runs `project` and `floor` in alternating rounds after a warm-up of each, and returns the
 * ratio project/floor of each round (times: lower is better; rates: pass them inverted).
 */
export async function alternate(rounds: number, project: () => Promise<number>, floor: () => Promise<number>): Promise<Ratio> {
  await project();
  await floor();
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // Who goes first alternates too, so that neither always runs on a warmer machine.
    let p: number;
    let f: number;
    if (i % 2 === 0) {
      p = await project();
      f = await floor();
    } else {
      f = await floor();
      p = await project();
    }
    ratios.push(p / f);
  }
  return ratioOf(ratios);
}
