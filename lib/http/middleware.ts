/**
 * The middy middleware every API function runs, outermost first: access log with a correlation
 * id, Twilio's error JSON for any failure, request parsing, then authentication.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Clock } from '../domain/clock.ts';
import { AuthenticationError, ForbiddenError, ServiceUnavailableError, TwilioError } from '../domain/errors.ts';
import { errorJson } from '../domain/representations.ts';
import { parseBasicAuth, type Credentials } from '../credentials.ts';
import { isValidTwilioSignature, sha256Hex, signedUrl } from '../signature.ts';
import { parseApiRequest, type ApiRequest } from './api-request.ts';
import { jsonResponse, type ApiResponse } from './api-response.ts';

export interface ApiContext extends Context {
  api: ApiRequest;
  /** The authenticated account (Basic auth or a verified webhook signature). */
  accountSid: string;
}

type ApiMiddleware = MiddlewareObj<APIGatewayProxyEventV2, ApiResponse, Error, ApiContext>;

/** One structured line per request; never the body, the query or the headers (PII). */
export function accessLog(logger: Logger, clock: Clock): ApiMiddleware {
  const started = new WeakMap<object, number>();
  const log = (request: Request<APIGatewayProxyEventV2, ApiResponse, Error, ApiContext>) => {
    const status = request.response?.statusCode ?? 500;
    logger[status >= 500 ? 'error' : 'info']('request', {
      route: request.event.routeKey,
      status,
      durationMs: clock.now() - (started.get(request.context) ?? clock.now()),
    });
  };
  return {
    before: (request) => {
      started.set(request.context, clock.now());
      logger.setCorrelationId(request.event.requestContext.requestId);
    },
    after: log,
    onError: log,
  };
}

/** Every failure becomes Twilio's error JSON; an unexpected one is logged and is a bare 500 body. */
export function twilioErrors(logger: Logger): ApiMiddleware {
  return {
    onError: (request) => {
      let error: unknown = request.error;
      // middy aborts a handler that would outlive the Lambda timeout.
      if (error instanceof Error && error.name === 'TimeoutError') error = new ServiceUnavailableError(1);
      if (error instanceof TwilioError) {
        request.response = jsonResponse(error.status, errorJson(error), error.headers);
        return;
      }
      const e = error as Error;
      logger.error('unexpected error', { error: { name: e?.name, message: e?.message, stack: e?.stack } });
      request.response = jsonResponse(500, {
        code: 20500,
        message: 'Internal Server Error',
        more_info: 'https://www.twilio.com/docs/errors/20500',
        status: 500,
      });
    },
  };
}

export function parseRequest(): ApiMiddleware {
  return {
    before: (request) => {
      request.context.api = parseApiRequest(request.event);
    },
  };
}

/**
 * A change asked from another site's page is refused (403) before its credentials are looked at:
 * a browser that cached Basic credentials for this API (typed into its own prompt, which the
 * 401's WWW-Authenticate opens) would attach them to a form another site submits here. Browsers
 * name the page's origin on such a request; servers, SDKs and curl send none. Taken: no Origin,
 * the origin of PUBLIC_BASE_URL (the console, served here), or one on the host the request was
 * sent to. Reads need no check: without CORS another site cannot read the answer.
 */
export function sameOriginChanges(publicBaseUrl: string): ApiMiddleware {
  const own = new URL(publicBaseUrl).origin;
  return {
    before: (request) => {
      const { method, headers } = request.context.api;
      const origin = headers['origin'];
      if (method === 'GET' || method === 'HEAD' || origin === undefined || origin === own) return;
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined; // `null` (a sandboxed or privacy-minded page), or nothing a URL parses
      }
      if (host === undefined || host !== headers['host']) {
        throw new ForbiddenError(
          `A change asked from another site (Origin: ${origin.slice(0, 200)}) is not taken: call this API from a server, or from its console`,
        );
      }
    },
  };
}

/**
 * HTTP Basic as Twilio takes it: an account SID and auth token, or an API key and its secret; 401
 * with WWW-Authenticate.
 */
export function basicAuth(credentials: Credentials): ApiMiddleware {
  return {
    before: async (request) => {
      const pair = parseBasicAuth(request.context.api.headers['authorization']);
      if (!pair) throw new AuthenticationError('Authentication Error - No credentials provided');
      try {
        request.context.accountSid = await credentials.authenticate(pair.username, pair.password);
      } catch (error) {
        // Refused by the keys as read: once more with them read again, if that is due (a rotated token or key).
        if (!(error instanceof AuthenticationError) || !(await credentials.reread())) throw error;
        request.context.accountSid = await credentials.authenticate(pair.username, pair.password);
      }
    },
  };
}

/**
 * X-Twilio-Signature over PUBLIC_BASE_URL + path + query and the form parameters; for a JSON body
 * (Twilio's variant), over the URL alone, whose `bodySHA256` must match the body. Else 403.
 */
export function webhookSignature(credentials: Credentials, publicBaseUrl: string, logger: Logger): ApiMiddleware {
  return {
    before: async (request) => {
      const api = request.context.api;
      const signature = api.headers['x-twilio-signature'];
      const url = signedUrl(publicBaseUrl, api.path, api.rawQueryString);
      // Signed with the token of the account it names; an account we do not serve has none.
      const accountSid = api.body.get('AccountSid')?.[0] ?? '';
      const signedWith = async () => {
        const token = await credentials.authToken(accountSid);
        return (
          signature !== undefined &&
          token !== undefined &&
          (api.bodyType === 'json'
            ? api.query.get('bodySHA256')?.[0] === sha256Hex(api.rawBody) && isValidTwilioSignature(token, signature, url, [])
            : isValidTwilioSignature(token, signature, url, api.form))
        );
      };
      // Refused by the token as read: once more with the keys read again, if that is due (TaskRouter
      // signs with a rotated token at once; this container may still hold the old one).
      const valid = (await signedWith()) || (signature !== undefined && (await credentials.reread()) && (await signedWith()));
      if (!valid) {
        // The URL it was checked against, query included, on the request's log line: a mismatch is
        // most often a PUBLIC_BASE_URL that is not the URL TaskRouter posts to (a tunnel, a custom
        // domain), or a proxy that changed the query. It holds no secret (ReservationTimeout, bodySHA256).
        logger.appendKeys({ signatureCheckedAgainst: url });
        throw new ForbiddenError('Invalid X-Twilio-Signature');
      }
      request.context.accountSid = accountSid;
    },
  };
}
