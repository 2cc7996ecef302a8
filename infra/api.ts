/**
 * The HTTP API: one route per entry of lib/http/routes.ts whose function the stack creates,
 * `$default` to Twilio's 404, a single `$default` stage (no stage prefix in the URLs), throttled,
 * with access logs that name the route and never the request's content or the caller's address.
 */
import { type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ApiFunctionName, ModeFunctionName } from '#lib/functions.ts';
import { DEFAULT_ROUTE, ROUTES } from '#lib/http/routes.ts';

export interface ReservationApiProps {
  /** A function of a mode the stack does not turn on is absent: its route too, so `$default`'s 404 answers it. */
  readonly functions: Readonly<Record<Exclude<ApiFunctionName, ModeFunctionName>, IFunction>> &
    Readonly<Partial<Record<ApiFunctionName & ModeFunctionName, IFunction>>>;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * One JSON line per request. Paths carry only SIDs, but they are left out anyway: the route key
 * says which endpoint was called. No IP address (personal data), no query string, no body.
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  integrationLatency: '$context.integrationLatency',
  /** The status the function answered, beside the one API Gateway did: a 429 of the stage's throttle has none. */
  integrationStatus: '$context.integration.status',
  integrationError: '$context.integrationErrorMessage',
  /** API Gateway's own refusals (THROTTLED, INTEGRATION_FAILURE…), which never reached a function. */
  errorType: '$context.error.responseType',
  error: '$context.error.message',
} as const;

export class ReservationApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: ReservationApiProps) {
    super(scope, id);
    const integrations = new Map<ApiFunctionName, HttpLambdaIntegration>();
    const integration = (fn: ApiFunctionName, handler: IFunction) => {
      if (!integrations.has(fn)) integrations.set(fn, new HttpLambdaIntegration(`${fn}-integration`, handler));
      return integrations.get(fn)!;
    };

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Twilio TaskRouter reservations: assignment callback and Reservation REST API',
      createDefaultStage: false,
      defaultIntegration: integration(DEFAULT_ROUTE, props.functions[DEFAULT_ROUTE]),
    });
    for (const route of ROUTES) {
      const handler = props.functions[route.fn];
      if (handler) this.httpApi.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration: integration(route.fn, handler) });
    }

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    Validations.of(this.httpApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        "Authorization is Twilio's and happens in the functions: HTTP Basic with an account's or API key's credentials for the REST routes, the X-Twilio-Signature HMAC for the assignment callback; /health and the 404 are public by design.",
    });
  }

  /** The API's own base URL (no stage prefix, no trailing slash). */
  get endpoint(): string {
    return this.httpApi.apiEndpoint;
  }
}
