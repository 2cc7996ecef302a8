/**
 * This service's own wrap-up resource (not Twilio's): GET a reservation's wrap-up (its limit, its
 * end, the time left), POST `ExtendSeconds` to give it more time.
 */
import { InvalidParameterError, NotFoundError } from '#lib/domain/errors.ts';
import { MAX_WRAP_UP_SECONDS } from '#lib/domain/lifecycle-policy.ts';
import { canonicalSid } from '#lib/domain/sid.ts';
import { findReservation } from '#lib/domain/task.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { jsonResponse } from '#lib/http/api-response.ts';
import { taskScope } from '#lib/http/targets.ts';
import { wrapUpJson } from '#lib/lifecycle/representations.ts';

export const wrapUp = apiFunction('wrap-up', async (request, { runtime, accountSid }) => {
  const scope = taskScope(request, accountSid);
  const reservationSid = canonicalSid(request.pathParameters['ReservationSid'], 'WR');
  if (reservationSid === undefined) throw new NotFoundError(request.path);
  let task = await runtime.service.getTask(scope, request.path);
  if (request.method === 'POST') {
    const raw = request.body.get('ExtendSeconds');
    if (raw === undefined) throw new InvalidParameterError('ExtendSeconds', 'is required');
    if (raw.length !== 1 || !/^\d{1,6}$/.test(raw[0]!) || Number(raw[0]) < 1 || Number(raw[0]) > MAX_WRAP_UP_SECONDS) {
      throw new InvalidParameterError('ExtendSeconds', `must be a whole number of seconds from 1 to ${MAX_WRAP_UP_SECONDS}`);
    }
    task = await runtime.lifecycle.extendWrapUp(scope, reservationSid, Number(raw[0]), request.path);
  }
  const reservation = findReservation(task, reservationSid);
  if (!reservation) throw new NotFoundError(request.path);
  return jsonResponse(200, wrapUpJson(task, reservation, runtime.clock.now(), runtime.config.publicBaseUrl));
});

export const handler = await lambdaHandler(wrapUp);
