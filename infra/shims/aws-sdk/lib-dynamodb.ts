/**
 * The bundles' `@aws-sdk/lib-dynamodb` (README.md beside this file says why): the document client
 * and the commands our code uses. As the SDK's, each command marshals the members of its input that
 * hold attribute values (with @aws-sdk/util-dynamodb, the SDK's own marshaller, and the client's
 * options) before the serialize step, and unmarshals those of its output; errors are not
 * unmarshalled (a failed condition's `Item` stays DynamoDB JSON). The client shares the low-level
 * client's middleware stack and connection.
 */
import { marshall, type marshallOptions, unmarshall, type unmarshallOptions } from '@aws-sdk/util-dynamodb';
import type { Command, WireRequest } from './core.ts';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand as QueryItemsCommand,
  ScanCommand as ScanItemsCommand,
  UpdateItemCommand,
} from './client-dynamodb.ts';

/**
 * Where attribute values sit in an input or output, as the SDK's document commands declare them:
 * a name maps to the nodes under it; `'*'` is every key or element at that level; ALL is every
 * value of an object (or element of a list) is one; SELF is the node itself is one.
 */
type KeyNodes = { readonly [name: string]: KeyNodes | null };
const ALL: KeyNodes = {};
const SELF = null;

function walk(value: unknown, nodes: KeyNodes | null, convert: (value: unknown) => unknown): unknown {
  if (value === undefined) return undefined;
  if (nodes === SELF) return convert(value);
  const names = Object.keys(nodes);
  if (names.length === 0) {
    // Every value is one.
    if (Array.isArray(value)) return value.filter((v) => typeof v !== 'function').map((v) => convert(v));
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'function') continue;
      const converted = v === undefined ? undefined : convert(v);
      if (converted !== undefined) out[key] = converted;
    }
    return out;
  }
  if (names.length === 1 && names[0] === '*') {
    const next = nodes['*'] as KeyNodes | null;
    if (Array.isArray(value)) return value.map((v) => walk(v, next, convert));
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) if (typeof v !== 'function') out[key] = walk(v, next, convert);
    return out;
  }
  return walkKeys(value as Record<string, unknown>, nodes, convert);
}

function walkKeys(value: Record<string, unknown>, nodes: KeyNodes, convert: (value: unknown) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (typeof v !== 'function') out[key] = v;
  for (const [name, under] of Object.entries(nodes)) {
    if (typeof value[name] === 'function') continue;
    const converted = walk(value[name], under, convert);
    if (converted !== undefined) out[name] = converted;
  }
  return out;
}

export interface TranslateConfig {
  readonly marshallOptions?: marshallOptions;
  readonly unmarshallOptions?: unmarshallOptions;
}

// biome-ignore lint/suspicious/noExplicitAny: the document client's inputs and outputs, typed where they are written (against the SDK's types)
type Json = any;

/** A document command's low-level operation, and where attribute values sit in its input and output. */
interface Operation {
  readonly low: Command<Json, Json>;
  readonly input: KeyNodes;
  readonly output: KeyNodes;
}

class DocumentCommand implements Command<Json, Json> {
  constructor(
    readonly input: Json,
    private readonly operation: Operation,
  ) {}
  get commandName(): string {
    return this.operation.low.commandName;
  }
  /** Marshalled with the sending client's options (a document client's translation). */
  marshal(input: Json, translate: TranslateConfig = {}): object {
    // As the SDK's document client: a map or list given where one value goes stays a value.
    const options = { ...translate.marshallOptions, convertTopLevelContainer: translate.marshallOptions?.convertTopLevelContainer ?? true };
    return walkKeys(input, this.operation.input, (value) => marshall(value as never, options));
  }
  serialize(wireInput: object): WireRequest {
    return this.operation.low.serialize(wireInput);
  }
  deserialize(body: string): Json {
    return this.operation.low.deserialize(body);
  }
  unmarshal(output: Json, translate: TranslateConfig = {}): Json {
    const options = { ...translate.unmarshallOptions, convertWithoutMapWrapper: translate.unmarshallOptions?.convertWithoutMapWrapper ?? true };
    return walkKeys(output, this.operation.output, (value) => unmarshall(value as never, options));
  }
  /** This command as `translate` marshals it: what one document client sends, the command itself unchanged. */
  with(translate: TranslateConfig): Command<Json, Json> {
    return {
      input: this.input,
      commandName: this.commandName,
      marshal: (input) => this.marshal(input, translate),
      serialize: (wireInput) => this.serialize(wireInput),
      deserialize: (body) => this.deserialize(body),
      unmarshal: (output) => this.unmarshal(output, translate),
    };
  }
}

/** The command class of one operation (the low-level command is stateless past its input: one serves them all). */
const documentCommand = (operation: Operation) =>
  class extends DocumentCommand {
    constructor(input: Json) {
      super(input, operation);
    }
  };

const CONDITIONS: KeyNodes = { '*': { Value: SELF, AttributeValueList: ALL } };
const WRITE_OUTPUT: KeyNodes = { Attributes: ALL, ItemCollectionMetrics: { ItemCollectionKey: ALL } };
const FILTER: KeyNodes = { '*': { AttributeValueList: ALL } };
const PAGE_OUTPUT: KeyNodes = { Items: { '*': ALL }, LastEvaluatedKey: ALL };
const KEYS: KeyNodes = { '*': { Keys: { '*': ALL } } };
const WRITE_REQUESTS: KeyNodes = { '*': { '*': { PutRequest: { Item: ALL }, DeleteRequest: { Key: ALL } } } };

export const GetCommand = documentCommand({ low: new GetItemCommand(undefined), input: { Key: ALL }, output: { Item: ALL } });
export const PutCommand = documentCommand({
  low: new PutItemCommand(undefined),
  input: { Item: ALL, Expected: CONDITIONS, ExpressionAttributeValues: ALL },
  output: WRITE_OUTPUT,
});
export const UpdateCommand = documentCommand({
  low: new UpdateItemCommand(undefined),
  input: { Key: ALL, AttributeUpdates: { '*': { Value: SELF } }, Expected: CONDITIONS, ExpressionAttributeValues: ALL },
  output: WRITE_OUTPUT,
});
export const QueryCommand = documentCommand({
  low: new QueryItemsCommand(undefined),
  input: { KeyConditions: FILTER, QueryFilter: FILTER, ExclusiveStartKey: ALL, ExpressionAttributeValues: ALL },
  output: PAGE_OUTPUT,
});
export const ScanCommand = documentCommand({
  low: new ScanItemsCommand(undefined),
  input: { ScanFilter: FILTER, ExclusiveStartKey: ALL, ExpressionAttributeValues: ALL },
  output: PAGE_OUTPUT,
});
export const BatchGetCommand = documentCommand({
  low: new BatchGetItemCommand(undefined),
  input: { RequestItems: KEYS },
  output: { Responses: { '*': { '*': ALL } }, UnprocessedKeys: KEYS },
});
export const BatchWriteCommand = documentCommand({
  low: new BatchWriteItemCommand(undefined),
  input: { RequestItems: WRITE_REQUESTS },
  output: { UnprocessedItems: WRITE_REQUESTS, ItemCollectionMetrics: { '*': { '*': { ItemCollectionKey: ALL } } } },
});

/** The document client: sends document commands (and low-level ones) through the client it was made from. */
export class DynamoDBDocumentClient {
  readonly middlewareStack: DynamoDBClient['middlewareStack'];
  readonly config: DynamoDBClient['config'] & { readonly translateConfig: TranslateConfig };
  private constructor(
    private readonly client: DynamoDBClient,
    private readonly translateConfig: TranslateConfig,
  ) {
    this.middlewareStack = client.middlewareStack;
    this.config = Object.assign(Object.create(client.config) as DynamoDBClient['config'], { translateConfig });
  }

  static from(client: DynamoDBClient, translateConfig: TranslateConfig = {}): DynamoDBDocumentClient {
    return new DynamoDBDocumentClient(client, translateConfig);
  }

  send(command: Command<Json, Json>): Promise<Json> {
    return this.client.send(command instanceof DocumentCommand ? command.with(this.translateConfig) : command);
  }

  destroy(): void {
    this.client.destroy();
  }
}
