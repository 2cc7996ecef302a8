/** What the service knows of a worker: what assignment callbacks told it, and activity changes. */
export interface WorkerRecord {
  readonly sid: string;
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly friendlyName: string | null;
  /** JSON string, as TaskRouter sends it in WorkerAttributes. */
  readonly attributes: string;
  /** Unknown (null) until a rejection or a timeout moves the worker to an activity. */
  readonly activitySid: string | null;
  readonly activityChangedAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}
