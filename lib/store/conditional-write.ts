/**
 * The one way a conditional PutItem or UpdateItem is sent. A store failure is the client-facing
 * error (send.ts); a failed condition is not an error but an answer, returned with the item as it
 * is stored, so the adapter can say why (or write again). DynamoDB returns that item with the
 * failure when asked (ReturnValuesOnConditionCheckFailure ALL_OLD); an engine that does not
 * (dynalite) has it read once, consistently.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, type DynamoDBDocumentClient, type PutCommand, type UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { send, type TooLarge } from './send.ts';
import { TABLE } from './table.ts';

export type Item = Record<string, unknown>;

export type WriteOutcome =
  /** The item as written: an update's ALL_NEW attributes, or the item put. */
  | { readonly written: true; readonly item: Item }
  /** The condition failed: the item as stored (undefined when there is none, or it was not asked for). */
  | { readonly written: false; readonly stored: Item | undefined };

export interface ConditionalWriteOptions {
  /** Read the stored item after a failed condition when the engine did not return it. */
  readonly stored: boolean;
  /** What an item past DynamoDB's item size limit means here (send.ts; by default, the task's limit). */
  readonly tooLarge?: TooLarge;
}

export async function conditionalWrite(
  client: DynamoDBDocumentClient,
  command: PutCommand | UpdateCommand,
  options: ConditionalWriteOptions,
): Promise<WriteOutcome> {
  try {
    const output = await send<{ Attributes?: Item }>(client, command, options.tooLarge);
    return { written: true, item: output.Attributes ?? (command.input as { Item?: Item }).Item ?? {} };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    if (!options.stored) return { written: false, stored: undefined };
    if (error.Item) return { written: false, stored: unmarshall(error.Item) };
    const input = command.input as { TableName: string; Key?: Item; Item?: Item };
    const { Item: stored } = await send<{ Item?: Item }>(
      client,
      new GetCommand({ TableName: input.TableName, Key: input.Key ?? keyOf(input.Item!), ConsistentRead: true }),
    );
    return { written: false, stored };
  }
}

/** A put item's key (every item of the single table has the same key attributes). */
function keyOf(item: Item): Item {
  return { [TABLE.partitionKey]: item[TABLE.partitionKey], [TABLE.sortKey]: item[TABLE.sortKey] };
}
