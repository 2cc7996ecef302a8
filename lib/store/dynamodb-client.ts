import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DocumentClientOptions {
  /** A local engine's URL; unset means AWS (region and credentials from the environment). */
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
}

/**
 * One client per container. Retries and timeouts are bounded so that an assignment callback
 * still answers inside Twilio's 5 seconds when the store is slow or unreachable.
 */
export function createDocumentClient(options: DocumentClientOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: options.region ?? process.env['AWS_REGION'] ?? 'us-east-1',
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 500, requestTimeout: 1_000 },
    ...(options.endpoint !== undefined && {
      endpoint: options.endpoint,
      // Local engines accept any credentials; these keep the SDK from looking for real ones.
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
