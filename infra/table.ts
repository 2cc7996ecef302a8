/**
 * The single table of lib/store/table.ts, and what each function may do to it. The actions are
 * the store's own calls (lib/store), no more: no Scan, no DeleteItem; batch writes only for the
 * group commit's puts and deletes (lib/store/batch.ts, group-commit.ts).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { Binds } from '#lib/functions.ts';
import { EVENT_INDEXES, FORWARD_INDEX, TABLE } from '#lib/store/table.ts';

export type TableAccess = NonNullable<Binds['table']>;

/** DynamoDB actions per access level; a test checks them against the commands lib/store sends. */
export const TABLE_ACTIONS = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
  write: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
} as const satisfies Record<TableAccess, readonly string[]>;

export class ReservationTable extends Table {
  constructor(scope: Construct, id: string, props: { readonly removalPolicy: RemovalPolicy }) {
    super(scope, id, {
      partitionKey: { name: TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE.ttlAttribute,
      removalPolicy: props.removalPolicy,
      // Kept (the default): deleting the table by hand is refused until this is turned off (a
      // replacement leaves the old table in place anyway: UpdateReplacePolicy Retain). Destroyed
      // with the stack: nothing to refuse.
      deletionProtection: props.removalPolicy !== RemovalPolicy.DESTROY,
      // Each write's new image: the events of a task write are derived from it alone (functions/publish-events.ts).
      stream: StreamViewType.NEW_IMAGE,
    });
    this.addLocalSecondaryIndex({
      indexName: TABLE.workerIndex.name,
      sortKey: { name: TABLE.workerIndex.sortKey, type: AttributeType.STRING },
    });
    for (const index of Object.values(EVENT_INDEXES)) {
      this.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: TABLE.eventIndexSortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
    this.addGlobalSecondaryIndex({
      indexName: FORWARD_INDEX.name,
      partitionKey: { name: FORWARD_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: FORWARD_INDEX.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }
}

/** Every index of the table, by ARN: what a grant names (never `index/*`). */
export function indexArns(table: Table): string[] {
  return [TABLE.workerIndex.name, ...Object.values(EVENT_INDEXES).map((index) => index.name), FORWARD_INDEX.name].map(
    (name) => `${table.tableArn}/index/${name}`,
  );
}

/** Sets TABLE_NAME and grants the access in one call, for a function that binds the table. */
export function bindTable(fn: LambdaFunction, table: Table, access: TableAccess): void {
  fn.addEnvironment('TABLE_NAME', table.tableName);
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: [...TABLE_ACTIONS[access]],
      resources: [table.tableArn, ...indexArns(table)],
    }),
  );
}
