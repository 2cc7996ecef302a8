/**
 * The runtime's connected mode (TASKROUTER_UPSTREAM_URL): what forwards updates to TaskRouter,
 * mirrors its events and settles. Loaded only where the upstream is configured (subsystems.ts).
 */
export { EventStreamsConsumer } from '../upstream/mirror-event-streams.ts';
export { ForwardingTaskChanger, ForwardingWorkerWriter } from '../upstream/change-forwarder.ts';
export { UpstreamForwarder } from '../upstream/forwarder.ts';
export { ForwardingUpdater } from '../upstream/forwarding-updater.ts';
export { MirrorInbox } from '../upstream/mirror-inbox.ts';
export { UpstreamMirror } from '../upstream/mirror.ts';
export { UpstreamReconciler } from '../upstream/reconciler.ts';
export { HttpTaskRouterUpstream } from '../upstream/taskrouter-client.ts';
