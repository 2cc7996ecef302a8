import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { keysFromSecret, type AccountKeys } from './credentials.ts';

/**
 * Reads the credentials from AWS Secrets Manager (deployed, the auth token is never a plain
 * environment value): the auth token as plain text, or the JSON that keysFromSecret describes.
 */
export function secretsManagerKeys(primaryAccountSid: string, secretArn: string, client: Pick<SecretsManagerClient, 'send'>): () => Promise<AccountKeys> {
  return async () => {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (!SecretString?.trim()) throw new Error(`secret ${secretArn} holds no auth token: set it with put-secret-value`);
    return keysFromSecret(primaryAccountSid, SecretString);
  };
}
