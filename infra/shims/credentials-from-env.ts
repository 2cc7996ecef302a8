/**
 * The bundles' stand-in for `@aws-sdk/credential-provider-node`, the SDK clients' default
 * credential chain (infra/bundling.ts aliases it to this file). In Lambda a function's execution
 * role's credentials are in its environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), the first link of that chain: its other links (SSO, INI files, a process,
 * a web identity token file, the container and instance metadata endpoints) never apply there, yet
 * they and the nested STS/SSO clients they load are a ninth of every bundle. Local runs (npm
 * start, the tests) are not bundled and keep the whole chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}): AwsCredentialIdentityProvider => fromEnv(init);

/** As the chain says: credentials with an expiration may need refreshing. */
export const credentialsWillNeedRefresh = (credentials: AwsCredentialIdentity | undefined): boolean => credentials?.expiration !== undefined;

/** As the chain says: credentials within five minutes of their expiration are treated as expired. */
export const credentialsTreatedAsExpired = (credentials: AwsCredentialIdentity | undefined): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
