import { reservationJson } from '../domain/representations.ts';
import { entityTag } from '../domain/if-match.ts';
import type { Runtime } from '../runtime.ts';
import type { WorkerReservation } from '../reservations/ports.ts';
import { jsonResponse, type ApiResponse } from './api-response.ts';

/** A reservation's JSON with its version as the ETag, which an update's If-Match must match. */
export function reservationResponse(runtime: Runtime, { task, reservation }: WorkerReservation, scope: 'task' | 'worker'): ApiResponse {
  const body = reservationJson(task, reservation, runtime.clock.now(), runtime.config.publicBaseUrl, scope);
  return jsonResponse(200, body, { ETag: entityTag(reservation.version) });
}
