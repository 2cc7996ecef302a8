/** Every API function by name: the local stack's and `npm run invoke`'s view of functions/. */
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
import type { ApiFunction } from '../http/api-function.ts';
import type { ApiFunctionName } from '../functions.ts';

export const API_FUNCTIONS: Readonly<Record<ApiFunctionName, ApiFunction>> = {
  'assignment-callback': assignmentCallback,
  'mirror-event-callbacks': mirrorEventCallbacks,
  'list-reservations': listReservations,
  'get-reservation': getReservation,
  'update-reservation': updateReservation,
  'get-task': getTask,
  'get-worker': getWorker,
  'list-events': listEvents,
  'get-event': getEvent,
  console: consolePage,
  health,
  'not-found': notFound,
};
