/**
 * The bundles' `@aws-sdk/client-dynamodb` (README.md beside this file says why): the client, the
 * commands and the modelled errors our code uses, on DynamoDB's AWS JSON 1.0 API. Its inputs and
 * outputs are DynamoDB's own JSON; a binary attribute value (`B`, `BS`) is a Uint8Array here and
 * base64 on the wire, as with the SDK.
 */
import { Client, type ClientConfig, exception, type Service } from './core.ts';
import { JsonCommand, type OutputShape } from './protocols.ts';

/** The error classes `instanceof` is asked about, and the others DynamoDB models. */
export class ConditionalCheckFailedException extends exception('ConditionalCheckFailedException', 'client') {}
export class TransactionCanceledException extends exception('TransactionCanceledException', 'client') {}
export class TransactionConflictException extends exception('TransactionConflictException', 'client') {}
export class ResourceInUseException extends exception('ResourceInUseException', 'client') {}
export class ResourceNotFoundException extends exception('ResourceNotFoundException', 'client') {}
export class ProvisionedThroughputExceededException extends exception('ProvisionedThroughputExceededException', 'client') {}
export class RequestLimitExceeded extends exception('RequestLimitExceeded', 'client') {}
export class ThrottlingException extends exception('ThrottlingException', 'client') {}
export class ItemCollectionSizeLimitExceededException extends exception('ItemCollectionSizeLimitExceededException', 'client') {}
export class InternalServerError extends exception('InternalServerError', 'server') {}

const SERVICE: Service = {
  clientName: 'DynamoDBClient',
  endpointEnv: 'DYNAMODB',
  endpointPrefix: 'dynamodb',
  retryDelayBaseMs: 25,
  defaultMaxAttempts: 4,
  signingName: 'dynamodb',
  errors: {
    ConditionalCheckFailedException,
    TransactionCanceledException,
    TransactionConflictException,
    ResourceInUseException,
    ResourceNotFoundException,
    ProvisionedThroughputExceededException,
    RequestLimitExceeded,
    ThrottlingException,
    ItemCollectionSizeLimitExceededException,
    InternalServerError,
  },
};

export class DynamoDBClient extends Client {
  constructor(config: ClientConfig = {}) {
    super(SERVICE, config);
  }
}

/**
 * A binary attribute value is `{"B": "<base64>"}` (a set, `{"BS": [...]}`); an attribute merely
 * named B is a key of a map whose value is an object. Only an answer that has one pays for the reviver.
 */
function reviveBinary(text: string): unknown {
  if (!text.includes('"B":') && !text.includes('"BS":')) return JSON.parse(text);
  return JSON.parse(text, function (this: Record<string, unknown>, key: string, value: unknown) {
    if (Object.keys(this).length !== 1) return value;
    if (key === 'B' && typeof value === 'string') return new Uint8Array(Buffer.from(value, 'base64'));
    if (key === 'BS' && Array.isArray(value) && value.every((v) => typeof v === 'string'))
      return value.map((v: string) => new Uint8Array(Buffer.from(v, 'base64')));
    return value;
  });
}

const DYNAMODB_OUTPUT: OutputShape = { revive: reviveBinary };

// biome-ignore lint/suspicious/noExplicitAny: DynamoDB's inputs and outputs, typed where they are written (against the SDK's types)
type Json = any;

/** A DynamoDB operation: `DynamoDB_20120810.<operation>`, its input and output DynamoDB's own JSON. */
abstract class DynamoDBCommand extends JsonCommand<Json, Json> {
  protected readonly version = '1.0' as const;
  protected override readonly outputShape = DYNAMODB_OUTPUT;
  protected get target(): string {
    return `DynamoDB_20120810.${this.commandName.slice(0, -'Command'.length)}`;
  }
}

/** The command class of one operation, named as the SDK names it (`GetItem`: `GetItemCommand`). */
const operation = (name: string) =>
  class extends DynamoDBCommand {
    readonly commandName = `${name}Command`;
  };

export const GetItemCommand = operation('GetItem');
export const PutItemCommand = operation('PutItem');
export const UpdateItemCommand = operation('UpdateItem');
export const QueryCommand = operation('Query');
export const ScanCommand = operation('Scan');
export const BatchGetItemCommand = operation('BatchGetItem');
export const BatchWriteItemCommand = operation('BatchWriteItem');
export const CreateTableCommand = operation('CreateTable');
export const DescribeTableCommand = operation('DescribeTable');
export const ListTablesCommand = operation('ListTables');
