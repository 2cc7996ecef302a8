/** POST a reservation update: accept, reject, an instruction, wrap-up or completion. */
import { parseIfMatch } from '#lib/domain/if-match.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { reservationResponse } from '#lib/http/reservation-response.ts';
import { reservationTarget } from '#lib/http/targets.ts';

export const updateReservation = apiFunction('update-reservation', async (request, { runtime, accountSid }) => {
  const target = reservationTarget(request, accountSid);
  const updated = await runtime.service.update(target, request.body, parseIfMatch(request.headers['if-match']));
  return reservationResponse(runtime, updated, target.kind);
});

export const handler = await lambdaHandler(updateReservation);
