/**
 * The bundles' `@aws-sdk/client-secrets-manager` (README.md beside this file says why): the client
 * and GetSecretValue, on Secrets Manager's AWS JSON 1.1 API.
 */
import { Client, type ClientConfig, exception, type Service } from './core.ts';
import { JsonCommand, type OutputShape } from './protocols.ts';

export class ResourceNotFoundException extends exception('ResourceNotFoundException', 'client') {}
export class InvalidParameterException extends exception('InvalidParameterException', 'client') {}
export class InvalidRequestException extends exception('InvalidRequestException', 'client') {}
export class DecryptionFailure extends exception('DecryptionFailure', 'client') {}
export class InternalServiceError extends exception('InternalServiceError', 'server') {}

const SERVICE: Service = {
  clientName: 'SecretsManagerClient',
  endpointEnv: 'SECRETS_MANAGER',
  endpointPrefix: 'secretsmanager',
  retryDelayBaseMs: 50,
  defaultMaxAttempts: 3,
  signingName: 'secretsmanager',
  errors: { ResourceNotFoundException, InvalidParameterException, InvalidRequestException, DecryptionFailure, InternalServiceError },
};

export class SecretsManagerClient extends Client {
  constructor(config: ClientConfig = {}) {
    super(SERVICE, config);
  }
}

export interface GetSecretValueCommandInput {
  readonly SecretId: string | undefined;
  readonly VersionId?: string;
  readonly VersionStage?: string;
}

export interface GetSecretValueCommandOutput {
  readonly ARN?: string;
  readonly Name?: string;
  readonly VersionId?: string;
  readonly SecretBinary?: Uint8Array;
  readonly SecretString?: string;
  readonly VersionStages?: string[];
  readonly CreatedDate?: Date;
}

const SECRET_VALUE: OutputShape = { blobs: ['SecretBinary'], timestamps: ['CreatedDate'] };

export class GetSecretValueCommand extends JsonCommand<GetSecretValueCommandInput, GetSecretValueCommandOutput> {
  readonly commandName = 'GetSecretValueCommand';
  protected readonly target = 'secretsmanager.GetSecretValue';
  protected readonly version = '1.1' as const;
  protected override readonly outputShape = SECRET_VALUE;
}
