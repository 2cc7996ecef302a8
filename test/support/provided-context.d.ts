import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Amazon's DynamoDB Local, started once by global-setup.ts. */
    dynamodbLocalEndpoint: string;
  }
}
