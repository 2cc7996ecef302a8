/** GET a reservation, task-scoped or worker-scoped. */
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { reservationResponse } from '#lib/http/reservation-response.ts';
import { reservationTarget } from '#lib/http/targets.ts';

export const getReservation = apiFunction('get-reservation', async (request, { runtime, accountSid }) => {
  const target = reservationTarget(request, accountSid);
  return reservationResponse(runtime, await runtime.service.get(target), target.kind);
});

export const handler = await lambdaHandler(getReservation);
