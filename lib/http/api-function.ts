/**
 * An API function: its authentication and its implementation, wired into middy the same way for
 * every route. `createHandler` binds it to a runtime (the local stack and `npm run invoke` bring
 * their own); `lambdaHandler` is the deployed entry point.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { ConfigError, TIMEOUT_SCHEDULE_VARIABLES } from '../config.ts';
import { canonicalSid } from '../domain/sid.ts';
import { LOG_CONTEXT } from '../logging.ts';
import { FUNCTIONS, type ApiFunctionName, type FunctionName, type FunctionSpec } from '../functions.ts';
import type { Runtime } from '../runtime.ts';
import type { ApiRequest } from './api-request.ts';
import type { ApiResponse } from './api-response.ts';
import { accessLog, basicAuth, parseRequest, twilioErrors, webhookSignature, type ApiContext } from './middleware.ts';

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
      const { logger, clock, config } = runtime;
      if (spec.binds.timers && !runtime.scheduler) {
        throw new ConfigError(
          TIMEOUT_SCHEDULE_VARIABLES.groupName,
          `is required (with the other ${Object.values(TIMEOUT_SCHEDULE_VARIABLES).join(', ')}) by a function that arms reservation timers`,
        );
      }
      if (spec.binds.consolePage && !runtime.consolePage) throw new ConfigError('CONSOLE_PAGE', 'is required by the function that serves the console page');
      const chain = middy<APIGatewayProxyEventV2, ApiResponse, Error, ApiContext>()
        .use(injectLambdaContext(logger, LOG_CONTEXT))
        .use(accessLog(logger, clock))
        .use(twilioErrors(logger))
        .use(parseRequest());
      if (spec.auth === 'basic') chain.use(basicAuth(runtime.credentials));
      if (spec.auth === 'webhook') chain.use(webhookSignature(runtime.credentials, config.publicBaseUrl));
      const handler = chain.handler((_event, context) => {
        // A path segment reaches the logs only once it is known to be a SID: anything else the
        // caller typed there may be a phone number or a name (SPEC §9).
        const reservationSid = canonicalSid(context.api.pathParameters['ReservationSid'], 'WR');
        if (reservationSid !== undefined) logger.appendKeys({ reservationSid });
        return implementation(context.api, { runtime, accountSid: context.accountSid });
      });
      return (event, context) => handler(event, context as ApiContext);
    },
  };
}

/**
 * The Lambda entry point of a function, awaited at the top of its module. Deployed, the runtime
 * (the AWS SDK clients, the configuration, the policy) is built during Lambda's init phase, so that
 * a bad configuration fails there with the variable's name in the log; elsewhere (tests and
 * benchmarks that import a function) only when first called. The runtime module is imported
 * dynamically: the bundle evaluates the SDK only when a runtime is built, never on a bare import.
 */
export async function lambdaHandler<E, R>(fn: {
  readonly name: FunctionName;
  readonly createHandler: (runtime: Runtime) => (event: E, context: Context) => Promise<R>;
}): Promise<(event: E, context: Context) => Promise<R>> {
  let handler: Promise<(event: E, context: Context) => Promise<R>> | undefined;
  const build = () => (handler ??= import('../runtime.ts').then(({ lambdaRuntime }) => fn.createHandler(lambdaRuntime(fn.name))));
  if (process.env['AWS_LAMBDA_FUNCTION_NAME'] !== undefined) await build();
  return async (event, context) => (await build())(event, context);
}
