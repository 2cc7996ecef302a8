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
  DeleteItemCommand,
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

abstract class DocumentCommand implements Command<Json, Json> {
  protected abstract readonly inputNodes: KeyNodes;
  protected abstract readonly outputNodes: KeyNodes;
  protected abstract readonly low: Command<Json, Json>;
  constructor(readonly input: Json) {}
  get commandName(): string {
    return this.low.commandName;
  }
  /** Marshalled with the sending client's options (a document client's translation). */
  marshal(input: Json, translate: TranslateConfig = {}): object {
    // As the SDK's document client: a map or list given where one value goes stays a value.
    const options = { ...translate.marshallOptions, convertTopLevelContainer: translate.marshallOptions?.convertTopLevelContainer ?? true };
    return walkKeys(input, this.inputNodes, (value) => marshall(value as never, options));
  }
  serialize(wireInput: object): WireRequest {
    return this.low.serialize(wireInput);
  }
  deserialize(body: string): Json {
    return this.low.deserialize(body);
  }
  unmarshal(output: Json, translate: TranslateConfig = {}): Json {
    const options = { ...translate.unmarshallOptions, convertWithoutMapWrapper: translate.unmarshallOptions?.convertWithoutMapWrapper ?? true };
    return walkKeys(output, this.outputNodes, (value) => unmarshall(value as never, options));
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

const CONDITIONS: KeyNodes = { '*': { Value: SELF, AttributeValueList: ALL } };
const WRITE_OUTPUT: KeyNodes = { Attributes: ALL, ItemCollectionMetrics: { ItemCollectionKey: ALL } };

export class GetCommand extends DocumentCommand {
  protected readonly inputNodes: KeyNodes = { Key: ALL };
  protected readonly outputNodes: KeyNodes = { Item: ALL };
  protected readonly low = new GetItemCommand(undefined);
}
export class PutCommand extends DocumentCommand {
  protected readonly inputNodes: KeyNodes = { Item: ALL, Expected: CONDITIONS, ExpressionAttributeValues: ALL };
  protected readonly outputNodes = WRITE_OUTPUT;
  protected readonly low = new PutItemCommand(undefined);
}
export class UpdateCommand extends DocumentCommand {
  protected readonly inputNodes: KeyNodes = { Key: ALL, AttributeUpdates: { '*': { Value: SELF } }, Expected: CONDITIONS, ExpressionAttributeValues: ALL };
  protected readonly outputNodes = WRITE_OUTPUT;
  protected readonly low = new UpdateItemCommand(undefined);
}
export class DeleteCommand extends DocumentCommand {
  protected readonly inputNodes: KeyNodes = { Key: ALL, Expected: CONDITIONS, ExpressionAttributeValues: ALL };
  protected readonly outputNodes = WRITE_OUTPUT;
  protected readonly low = new DeleteItemCommand(undefined);
}
const FILTER: KeyNodes = { '*': { AttributeValueList: ALL } };
const PAGE_OUTPUT: KeyNodes = { Items: { '*': ALL }, LastEvaluatedKey: ALL };
export class QueryCommand extends DocumentCommand {
  protected readonly inputNodes: KeyNodes = { KeyConditions: FILTER, QueryFilter: FILTER, ExclusiveStartKey: ALL, ExpressionAttributeValues: ALL };
  protected readonly outputNodes = PAGE_OUTPUT;
  protected readonly low = new QueryItemsCommand(undefined);
}
export class ScanCommand extends DocumentCommand {
  protected readonly inputNodes: KeyNodes = { ScanFilter: FILTER, ExclusiveStartKey: ALL, ExpressionAttributeValues: ALL };
  protected readonly outputNodes = PAGE_OUTPUT;
  protected readonly low = new ScanItemsCommand(undefined);
}
const KEYS: KeyNodes = { '*': { Keys: { '*': ALL } } };
export class BatchGetCommand extends DocumentCommand {
  protected readonly inputNodes: KeyNodes = { RequestItems: KEYS };
  protected readonly outputNodes: KeyNodes = { Responses: { '*': { '*': ALL } }, UnprocessedKeys: KEYS };
  protected readonly low = new BatchGetItemCommand(undefined);
}
const WRITE_REQUESTS: KeyNodes = { '*': { '*': { PutRequest: { Item: ALL }, DeleteRequest: { Key: ALL } } } };
export class BatchWriteCommand extends DocumentCommand {
  protected readonly inputNodes: KeyNodes = { RequestItems: WRITE_REQUESTS };
  protected readonly outputNodes: KeyNodes = { UnprocessedItems: WRITE_REQUESTS, ItemCollectionMetrics: { '*': { '*': { ItemCollectionKey: ALL } } } };
  protected readonly low = new BatchWriteItemCommand(undefined);
}
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
