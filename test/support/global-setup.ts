/** Starts Amazon's DynamoDB Local once for the whole run; tests `inject` its endpoint. */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from './dynamodb-local.ts';

export default async function setup(project: TestProject) {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
  const engine = await startDynamoDbLocal();
  project.provide('dynamodbLocalEndpoint', engine.endpoint);
  return () => engine.stop();
}
