/**
 * POST /assignment-callback: TaskRouter's signed assignment callback. Records the reservation and
 * answers 200 with the policy's instruction JSON, or `{}`.
 */
import { RESERVATION_TIMEOUT, parseAssignmentCallback } from '#lib/domain/assignment-callback.ts';
import { parseParameter } from '#lib/domain/parameters.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { jsonResponse } from '#lib/http/api-response.ts';

export const assignmentCallback = apiFunction('assignment-callback', async (request, { runtime }) => {
  const callback = parseAssignmentCallback(request.body);
  runtime.logger.appendKeys({ reservationSid: callback.reservationSid });
  const timeout = request.query.get(RESERVATION_TIMEOUT.name);
  const seconds = timeout === undefined ? runtime.config.reservationTimeoutSeconds : (parseParameter(RESERVATION_TIMEOUT, timeout) as number);
  return jsonResponse(200, await runtime.service.assign(callback, seconds));
});

export const handler = await lambdaHandler(assignmentCallback);
