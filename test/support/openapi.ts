/**
 * Twilio's OpenAPI description of TaskRouter v1 (test/fixtures/openapi, an unmodified copy with
 * its provenance) as JSON-schema validators for our responses. The schemas list no
 * `additionalProperties: false`, so tests also compare the exact key sets.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface OpenApi {
  components: object;
  paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: object }> }> }>>;
}

const spec = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'openapi', 'twilio_taskrouter_v1.json'), 'utf8')) as OpenApi;

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addFormat('uri-map', true);
ajv.addFormat('http-method', true);
ajv.addSchema({ $id: 'oai', components: withoutTypelessNullable(spec.components) });

function compile(schema: object): ValidateFunction {
  return ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"oai#/components/')) as object);
}

/**
 * OpenAPI 3.0's `nullable` means nothing without a `type` (the Event's `event_data` has none: any
 * JSON), and ajv refuses it there: such a property is left as any value.
 */
function withoutTypelessNullable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTypelessNullable);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).filter(([key]) => !(key === 'nullable' && !('type' in value)));
  return Object.fromEntries(entries.map(([k, v]) => [k, withoutTypelessNullable(v)]));
}

const component = (name: string) => compile({ $ref: `#/components/schemas/${name}` });
const response = (path: string, method: string, status = '200') => compile(spec.paths[path]![method]!.responses[status]!.content['application/json']!.schema);

const TASK = '/v1/Workspaces/{WorkspaceSid}/Tasks/{TaskSid}';
const WORKER = '/v1/Workspaces/{WorkspaceSid}/Workers/{WorkerSid}';

export const SCHEMAS = {
  taskReservation: component('taskrouter.v1.workspace.task.task_reservation'),
  workerReservation: component('taskrouter.v1.workspace.worker.worker_reservation'),
  taskReservationList: response(`${TASK}/Reservations`, 'get'),
  workerReservationList: response(`${WORKER}/Reservations`, 'get'),
  task: component('taskrouter.v1.workspace.task'),
  worker: component('taskrouter.v1.workspace.worker'),
  taskList: response('/v1/Workspaces/{WorkspaceSid}/Tasks', 'get'),
  workerList: response('/v1/Workspaces/{WorkspaceSid}/Workers', 'get'),
  event: component('taskrouter.v1.workspace.event'),
  eventList: response('/v1/Workspaces/{WorkspaceSid}/Events', 'get'),
  workspaceStatistics: component('taskrouter.v1.workspace.workspace_statistics'),
  workspaceCumulativeStatistics: component('taskrouter.v1.workspace.workspace_cumulative_statistics'),
  workspaceRealTimeStatistics: component('taskrouter.v1.workspace.workspace_real_time_statistics'),
  taskQueueStatistics: component('taskrouter.v1.workspace.task_queue.task_queue_statistics'),
  taskQueueCumulativeStatistics: component('taskrouter.v1.workspace.task_queue.task_queue_cumulative_statistics'),
  taskQueueRealTimeStatistics: component('taskrouter.v1.workspace.task_queue.task_queue_real_time_statistics'),
  taskQueuesStatisticsList: response('/v1/Workspaces/{WorkspaceSid}/TaskQueues/Statistics', 'get'),
  workflowStatistics: component('taskrouter.v1.workspace.workflow.workflow_statistics'),
  workflowCumulativeStatistics: component('taskrouter.v1.workspace.workflow.workflow_cumulative_statistics'),
  workflowRealTimeStatistics: component('taskrouter.v1.workspace.workflow.workflow_real_time_statistics'),
  workerStatistics: component('taskrouter.v1.workspace.worker.worker_statistics'),
  workersCumulativeStatistics: component('taskrouter.v1.workspace.worker.workers_cumulative_statistics'),
  workersRealTimeStatistics: component('taskrouter.v1.workspace.worker.workers_real_time_statistics'),
  workerInstanceStatistics: component('taskrouter.v1.workspace.worker.worker_instance_statistics'),
};

/** The property names of one of Twilio's schemas: a response must have exactly these. */
export const schemaKeys = (name: string) =>
  Object.keys((spec.components as { schemas: Record<string, { properties: object }> }).schemas[name]!.properties).sort();

/** The 17 fields of Twilio's Event resource, from its OpenAPI schema. */
export const EVENT_KEYS = Object.keys(
  (spec.components as { schemas: Record<string, { properties: object }> }).schemas['taskrouter.v1.workspace.event']!.properties,
).sort();

/** Throws with ajv's explanation unless `value` matches. */
export function assertSchema(validate: ValidateFunction, value: unknown): void {
  if (!validate(value)) throw new Error(`does not match Twilio's OpenAPI schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value, null, 2)}`);
}

/** The eleven keys of Twilio's Reservation JSON, in its (alphabetical) order. */
export const RESERVATION_KEYS = [
  'account_sid',
  'date_created',
  'date_updated',
  'links',
  'reservation_status',
  'sid',
  'task_sid',
  'url',
  'worker_name',
  'worker_sid',
  'workspace_sid',
];
