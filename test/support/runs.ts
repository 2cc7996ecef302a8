/** Property runs per race and per scenario test; FUZZ_RUNS=100000 makes them 200. */
export const RACE_RUNS = Math.max(10, Math.floor(Number(process.env['FUZZ_RUNS'] ?? 0) / 500));
