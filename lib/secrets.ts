import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * Reads the auth token from AWS Secrets Manager (SPEC §3: never a plain environment value when
 * deployed). The secret holds the token as plain text.
 */
export function secretsManagerToken(secretArn: string, client = new SecretsManagerClient({})): () => Promise<string> {
  return async () => {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const token = SecretString?.trim();
    if (!token) throw new Error(`secret ${secretArn} holds no auth token: set it with put-secret-value`);
    return token;
  };
}
