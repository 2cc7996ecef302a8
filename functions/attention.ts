/**
 * This service's own "needs attention" resource (not Twilio's): GET the reservations of a
 * workspace held for longer than their lifecycle rule allows (and still accepted or wrapping),
 * POST `Dismissed=true` to one of them to take its flag away.
 */
import { InvalidParameterError, NotFoundError } from '#lib/domain/errors.ts';
import { canonicalSid } from '#lib/domain/sid.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { jsonResponse } from '#lib/http/api-response.ts';
import { workspaceScope } from '#lib/http/targets.ts';
import { attentionJson, lifecycleUrl } from '#lib/lifecycle/representations.ts';

export const attention = apiFunction('attention', async (request, { runtime, accountSid }) => {
  const scope = workspaceScope(request, accountSid);
  const baseUrl = runtime.config.publicBaseUrl;
  if (request.method === 'POST') {
    const reservationSid = canonicalSid(request.pathParameters['ReservationSid'], 'WR');
    if (reservationSid === undefined) throw new NotFoundError(request.path);
    const dismissed = request.body.get('Dismissed');
    if (dismissed?.length !== 1 || dismissed[0] !== 'true') throw new InvalidParameterError('Dismissed', 'must be true');
    // A reservation never flagged in this workspace (or another account's): nothing to dismiss.
    if (!(await runtime.lifecycle.dismiss(scope, reservationSid))) throw new NotFoundError(request.path);
    return jsonResponse(200, { reservation_sid: reservationSid, dismissed: true });
  }
  const now = runtime.clock.now();
  const open = await runtime.lifecycle.needingAttention(scope);
  const url = `${lifecycleUrl(baseUrl, scope.workspaceSid)}/Attention`;
  return jsonResponse(200, {
    reservations: open.map(({ item, task, reservation }) => attentionJson(item, task, reservation, now, baseUrl)),
    meta: { key: 'reservations', url },
  });
});

export const handler = await lambdaHandler(attention);
