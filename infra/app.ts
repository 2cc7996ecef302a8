/** The CDK app (cdk.json runs it): `npx cdk synth`, `npx cdk deploy --parameters TwilioAccountSid=AC…`. */
import { App } from 'aws-cdk-lib';
import { ContextError } from './settings.ts';
import { defineApp } from './stack.ts';

try {
  defineApp(new App());
} catch (error) {
  // A bad context value is the user's to fix: the message, not a stack trace.
  if (!(error instanceof ContextError)) throw error;
  console.error(error.message);
  process.exit(1);
}
