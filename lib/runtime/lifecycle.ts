/**
 * The runtime's lifecycle on the server (lib/lifecycle): rules, timers, attention, and the Task and
 * Worker updates beyond a reservation's. Loaded only by the functions that declare one of them in
 * `uses` (lib/functions.ts), and locally.
 */
export { EventBridgeClient } from '@aws-sdk/client-eventbridge';
export { EventBridgeAttentionNotices, LoggedAttentionNotices } from '../lifecycle/attention-notices.ts';
export { LifecycleEngine } from '../lifecycle/engine.ts';
export { LifecycleSink } from '../lifecycle/lifecycle-sink.ts';
export { LocalTaskChanger, LocalWorkerWriter } from '../lifecycle/local-writers.ts';
export { TaskUpdates } from '../lifecycle/task-updates.ts';
export { WorkerUpdates } from '../lifecycle/worker-updates.ts';
