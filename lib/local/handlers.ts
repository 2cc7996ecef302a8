/** Every function by name: the local stack's and `npm run invoke`'s view of functions/. */
import { assignmentCallback } from '#functions/assignment-callback.ts';
import { getEvent } from '#functions/get-event.ts';
import { consolePage } from '#functions/console.ts';
import { mirrorEventCallbacks } from '#functions/mirror-event-callbacks.ts';
import { getReservation } from '#functions/get-reservation.ts';
import { getTask } from '#functions/get-task.ts';
import { getWorker } from '#functions/get-worker.ts';
import { health } from '#functions/health.ts';
import { listEvents } from '#functions/list-events.ts';
import { listReservations } from '#functions/list-reservations.ts';
import { notFound } from '#functions/not-found.ts';
import { updateReservation } from '#functions/update-reservation.ts';
import { updateTask } from '#functions/update-task.ts';
import { updateWorker } from '#functions/update-worker.ts';
import { wrapUp } from '#functions/wrap-up.ts';
import { attention } from '#functions/attention.ts';
import { lifecycle } from '#functions/lifecycle.ts';
import { mirrorEventStreams } from '#functions/mirror-event-streams.ts';
import { publishEventCallbacks } from '#functions/publish-event-callbacks.ts';
import { publishEvents } from '#functions/publish-events.ts';
import { reservationTimeout } from '#functions/reservation-timeout.ts';
import { upstreamSweep } from '#functions/upstream-sweep.ts';
import { statistics } from '#functions/statistics.ts';
import { listTasks } from '#functions/list-tasks.ts';
import { listWorkers } from '#functions/list-workers.ts';
import type { ApiFunctionName, FunctionName } from '../functions.ts';
import type { ApiFunction } from '../handlers/api-function.ts';
import type { LambdaFunction } from '../handlers/lambda-handler.ts';

export const API_FUNCTIONS: Readonly<Record<ApiFunctionName, ApiFunction>> = {
  'assignment-callback': assignmentCallback,
  'mirror-event-callbacks': mirrorEventCallbacks,
  'list-reservations': listReservations,
  'get-reservation': getReservation,
  'update-reservation': updateReservation,
  'get-task': getTask,
  'list-tasks': listTasks,
  'list-workers': listWorkers,
  'update-task': updateTask,
  'get-worker': getWorker,
  'update-worker': updateWorker,
  'wrap-up': wrapUp,
  attention,
  'list-events': listEvents,
  'get-event': getEvent,
  console: consolePage,
  health,
  'not-found': notFound,
  statistics,
};

/** Every function, its event as `unknown`: npm run invoke hands it what a file holds. */
export const ALL_FUNCTIONS: Readonly<Record<FunctionName, LambdaFunction<never, unknown>>> = {
  ...API_FUNCTIONS,
  'reservation-timeout': reservationTimeout,
  'upstream-sweep': upstreamSweep,
  'publish-events': publishEvents,
  'publish-event-callbacks': publishEventCallbacks,
  'mirror-event-streams': mirrorEventStreams,
  lifecycle,
};
