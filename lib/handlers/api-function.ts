/**
 * An API function: its authentication and its implementation, wired into middy the same way for
 * every route. `createHandler` binds it to a runtime (the local stack and `npm run invoke` bring
 * their own; deployed, lambda-handler.ts).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { canonicalSid } from '../domain/sid.ts';
import { LOG_CONTEXT } from '../logging.ts';
import { FUNCTIONS, type ApiFunctionName, type FunctionSpec } from '../functions.ts';
import type { Runtime } from '../runtime.ts';
import type { ApiRequest } from '../http/api-request.ts';
import type { ApiResponse } from '../http/api-response.ts';
import { accessLog, basicAuth, parseRequest, sameOriginChanges, twilioErrors, webhookSignature, type ApiContext } from '../http/middleware.ts';
import { instrumentation } from './instrumentation.ts';

export type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<ApiResponse>;

export type ApiImplementation = (request: ApiRequest, context: { readonly runtime: Runtime; readonly accountSid: string }) => Promise<ApiResponse>;

export interface ApiFunction {
  readonly name: ApiFunctionName;
  readonly createHandler: (runtime: Runtime) => ApiHandler;
}

/** Binds a function of lib/functions.ts (its authentication and what it binds come from there) to its implementation. */
export function apiFunction(name: ApiFunctionName, implementation: ApiImplementation): ApiFunction {
  const spec: FunctionSpec = FUNCTIONS[name];
  return {
    name,
    createHandler(runtime) {
      // What it binds, built now: a configuration it lacks stops it here, naming the variable.
      runtime.prepare(spec.binds);
      const { logger, clock, config } = runtime;
      const chain = middy<APIGatewayProxyEventV2, ApiResponse, Error, ApiContext>()
        .use(injectLambdaContext(logger, LOG_CONTEXT))
        .use(instrumentation(runtime))
        .use(accessLog(logger, clock))
        .use(twilioErrors(logger))
        .use(parseRequest());
      if (spec.auth === 'basic') chain.use(sameOriginChanges(config.publicBaseUrl)).use(basicAuth(runtime.credentials));
      if (spec.auth === 'webhook') chain.use(webhookSignature(runtime.credentials, config.publicBaseUrl, logger));
      const handler = chain.handler((_event, context) => {
        // A path segment reaches the logs only once it is known to be a SID: anything else the
        // caller typed there may be a phone number or a name.
        const reservationSid = canonicalSid(context.api.pathParameters['ReservationSid'], 'WR');
        if (reservationSid !== undefined) logger.appendKeys({ reservationSid });
        return implementation(context.api, { runtime, accountSid: context.accountSid });
      });
      return (event, context) => handler(event, context as ApiContext);
    },
  };
}
