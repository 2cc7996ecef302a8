/** Time as epoch milliseconds, injected so that tests never sleep to reach a deadline. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Twilio's date format: ISO-8601 in UTC without milliseconds, e.g. `2014-05-14T10:50:02Z`. */
export function twilioDate(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
