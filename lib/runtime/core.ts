/**
 * Everything a handler needs, built once per container (Lambda) or per local stack: the
 * configuration, a logger and a clock, and the ports a function binds (lib/functions.ts): the
 * stores and the service, the timeout scheduler, credentials. Each is built when first used, so a
 * function that binds no table makes no DynamoDB client, and one without credentials no Secrets
 * Manager client. Handlers see ports only, never a client.
 *
 * What lies beyond the reservation path (connected mode, the events' delivery, the lifecycle, the
 * Statistics reads) is built from the subsystems given (subsystems.ts): locally all of them
 * (lib/runtime.ts), deployed those the function needs (lambda.ts). A getter whose subsystem was not
 * given throws, naming it.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConfigError, TIMEOUT_SCHEDULE_VARIABLES, tableNameOf, type Config } from '../config.ts';
import { readConsolePage, servedPage, type ConsolePage } from '../console/page.ts';
import { accountCredentials, accountKeys, type Credentials } from '../credentials.ts';
import type { AssignmentPolicy } from '../domain/assignment-policy.ts';
import { systemClock, type Clock } from '../domain/clock.ts';
import type { Binds } from '../functions.ts';
import { createLogger } from '../logging.ts';
import { loadAssignmentPolicy } from '../policy-file.ts';
import { LocalUpdater } from '../reservations/local-updater.ts';
import { ReservationService } from '../reservations/service.ts';
import { secretsManagerKeys } from '../secrets.ts';
import { boundedClientConfig, createDocumentClient } from '../store/client.ts';
import { dynamoDbStores, type Stores } from '../store/stores.ts';
import { PowertoolsTelemetry } from '../telemetry/powertools-telemetry.ts';
import { EventEmittingMarks, EventEmittingTasks, EventEmittingWorkers, EventRecorder } from '../publishing/event-recorder.ts';
import { NO_LIFECYCLE } from '../domain/lifecycle-policy.ts';
import type { LifecycleEngine } from '../lifecycle/engine.ts';
import type { LifecycleSink } from '../lifecycle/lifecycle-sink.ts';
import type { TaskChanger, WorkerWriter } from '../lifecycle/ports.ts';
import type { TaskUpdates } from '../lifecycle/task-updates.ts';
import type { WorkerUpdates } from '../lifecycle/worker-updates.ts';
import type { ReservationUpdater } from '../reservations/ports.ts';
import type { CallbackDelivery, CallbackDeliveryOptions } from '../publishing/callback-delivery.ts';
import type { LocalCallbackSender, LocalCallbackSenderOptions } from '../publishing/local-callback-sender.ts';
import type { EventSink } from '../publishing/ports.ts';
import { EventBridgeTimeoutScheduler } from '../timeouts/eventbridge-scheduler.ts';
import type { TimeoutScheduler } from '../timeouts/scheduler.ts';
import type { MirrorInbox } from '../upstream/mirror-inbox.ts';
import type { EventStreamsConsumer } from '../upstream/mirror-event-streams.ts';
import type { ForwardingTaskChanger, ForwardingWorkerWriter } from '../upstream/change-forwarder.ts';
import type { UpstreamForwarder } from '../upstream/forwarder.ts';
import type { UpstreamMirror } from '../upstream/mirror.ts';
import type { UpstreamReconciler } from '../upstream/reconciler.ts';
import type { HttpTaskRouterUpstream, TaskRouterUpstream } from '../upstream/taskrouter-client.ts';
import { statisticsDaysOf } from '../domain/statistics-query.ts';
import { CountingEventStore, StatisticsRecorder } from '../statistics/statistics-recorder.ts';
import type { StatisticsService } from '../statistics/statistics-service.ts';
import type { SubsystemName, Subsystems } from './subsystems.ts';

export interface Runtime {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The metrics the use cases count, published as each function ends (lib/handlers/instrumentation.ts). */
  readonly telemetry: PowertoolsTelemetry;
  readonly credentials: Credentials;
  /** The store's ports. Locally each write to a task item is followed, in the request, by its events. */
  readonly stores: Stores;
  readonly service: ReservationService;
  readonly scheduler: TimeoutScheduler | undefined;
  /** What stores and delivers the events of each write to a task item. */
  readonly recorder: EventRecorder;
  /** EVENT_CALLBACK_URL delivered from this process (the local stack), when set. */
  readonly callbackSender: LocalCallbackSender | undefined;
  /** EVENT_CALLBACK_URL deployed: the queued events' delivery (the publish-event-callbacks function). */
  readonly callbackDelivery: CallbackDelivery;
  /** Connected mode (TASKROUTER_UPSTREAM_URL): what forwards updates, mirrors events and settles. */
  readonly upstream: Upstream | undefined;
  /** The console page, where this runtime serves it (CONSOLE_PAGE, or built by the local stack). */
  readonly consolePage: ConsolePage | undefined;
  /** The Statistics resources, read from the counts the event store keeps (unless STATISTICS=off). */
  readonly statistics: StatisticsService;
  /** Builds now what `binds` names, so that a configuration it lacks fails at start-up, naming the variable. */
  prepare(binds: Binds): void;
  /** The lifecycle on the server (lib/lifecycle): rules, timers, attention. */
  readonly lifecycle: LifecycleEngine;
  /** A Worker's `available`: what the policy's availableActivities say of an activity, or null where they say nothing. */
  workerAvailability(activitySid: string | null): boolean | null;
  /** Whether the policy names availableActivities: without them, no worker's `available` is known. */
  judgesAvailability(): boolean;
  /** Locally: the lifecycle's share of the events, handled in this process after each write (deployed: the lifecycle function). */
  readonly lifecycleSink: LifecycleSink | undefined;
  readonly taskUpdates: TaskUpdates;
  readonly workerUpdates: WorkerUpdates;
  /** Releases what the runtime opened (the DynamoDB client's sockets, the upstream's connections). */
  close(): void;
}

export interface Upstream {
  readonly forwarder: UpstreamForwarder;
  /** Task and Worker updates beyond a reservation's: forwarded the same way. */
  readonly taskChanger: ForwardingTaskChanger;
  readonly workerWriter: ForwardingWorkerWriter;
  readonly reconciler: UpstreamReconciler;
  readonly mirror: UpstreamMirror;
  /** The event callbacks' intake: taken in once per Sid, then applied by the mirror. */
  readonly inbox: MirrorInbox;
  /** Twilio Event Streams' CloudEvents, applied once per id by the same mirror. */
  readonly eventStreams: EventStreamsConsumer;
}

export interface RuntimeParts {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** The client the DynamoDB adapters use (the local stack's in-process one; tests put faults under it). */
  readonly documentClient?: DynamoDBDocumentClient;
  /** Stores other than DynamoDB's: the fast tests' in-memory ones (lib/store/memory). */
  readonly stores?: Stores;
  readonly policy?: AssignmentPolicy;
  /** Reservation timers; by default EventBridge Scheduler when TIMEOUT_SCHEDULE_* is set. */
  readonly scheduler?: TimeoutScheduler;
  /** How the local callback sender waits between attempts and posts (tests: a fake clock, a recorder). */
  readonly callbackSender?: Pick<LocalCallbackSenderOptions, 'wait' | 'post'>;
  /** How the deployed delivery posts and asks the queue to retry (tests and npm run invoke: no queue, no network). */
  readonly callbackDelivery?: Partial<Pick<CallbackDeliveryOptions, 'post' | 'retry'>>;
  /** More places the stored events go (tests watch what each write produced). */
  readonly eventSinks?: readonly EventSink[];
  /** The console page's HTML (the local stack builds it from lib/console at start). */
  readonly consolePage?: string;
  /**
   * Locally, whether the lifecycle acts on each write's events in the background (default). Tests
   * that count an operation's store calls turn it off and call the lifecycle themselves.
   */
  readonly lifecycleInBackground?: boolean;
  /** Connected: TaskRouter as this service calls it (tests: a fake in the process). */
  readonly upstream?: TaskRouterUpstream;
}

/** A value built on first use, once. */
function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}

export function createRuntimeWith(subsystems: Subsystems, config: Config, parts: RuntimeParts = {}): Runtime {
  const need = <N extends SubsystemName>(name: N): NonNullable<Subsystems[N]> => {
    const loaded = subsystems[name];
    if (!loaded) {
      throw new Error(`the runtime's ${name} subsystem is not loaded in this function: lib/functions.ts declares what each function uses`);
    }
    return loaded;
  };
  // A page that cannot be read stops the start-up (prepare), naming CONSOLE_PAGE.
  const consolePage = once(() =>
    parts.consolePage !== undefined
      ? servedPage(parts.consolePage)
      : config.consolePagePath !== undefined
        ? readConsolePage(config.consolePagePath)
        : undefined,
  );
  const clock = parts.clock ?? systemClock;
  const logger = parts.logger ?? createLogger();
  const telemetry = new PowertoolsTelemetry(logger);
  const credentials = once(() =>
    accountCredentials(
      config.accountSid,
      config.authToken !== undefined
        ? () => Promise.resolve(accountKeys(config.accountSid, config.authToken!, config.accounts, config.apiKeys))
        : secretsManagerKeys(config.accountSid, config.authTokenSecretArn!, new SecretsManagerClient(boundedClientConfig())),
      Date.now,
      (error) => logger.warn('the credentials could not be read again; the keys in use stay', { error: (error as Error).message }),
    ),
  );
  let ownClient: DynamoDBDocumentClient | undefined;
  const documentClient = once(() => {
    if (parts.documentClient) return parts.documentClient;
    // Traced (where tracing is on): each store call a subsegment naming its operation and table.
    ownClient = telemetry.tracer.captureAWSv3Client(createDocumentClient({ endpoint: config.dynamodbEndpoint }));
    return ownClient;
  });
  const plainStores = once((): Stores => {
    const built = parts.stores ?? dynamoDbStores({ client: documentClient(), tableName: tableNameOf(config), retentionDays: config.retentionDays });
    // Every event is counted before it is stored, on every path that stores events (lib/statistics).
    if (!config.statistics) return built;
    return {
      ...built,
      events: new CountingEventStore(built.events, new StatisticsRecorder(built.statistics, clock, { claims: config.upstreamUrl !== undefined })),
    };
  });
  const statistics = once(
    () =>
      new (need('statistics').StatisticsService)({
        store: plainStores().statistics,
        tasks: plainStores().tasks,
        clock,
        days: statisticsDaysOf(config.retentionDays),
      }),
  );
  const callbackSender = once(
    () =>
      (config.eventsFrom === 'write' &&
        config.eventCallbackUrl !== undefined &&
        new (need('delivery').LocalCallbackSender)({
          url: config.eventCallbackUrl,
          filter: config.eventsFilter,
          tokenOf: (sid) => credentials().authToken(sid),
          logger,
          telemetry,
          ...parts.callbackSender,
        })) ||
      undefined,
  );
  const policy = once(() => parts.policy ?? loadAssignmentPolicy(config.assignmentPolicyPath));
  const lifecyclePolicy = () => policy().lifecycle ?? NO_LIFECYCLE;
  const lifecycleSink = once(() =>
    config.eventsFrom === 'write' && parts.lifecycleInBackground !== false ? new (need('lifecycle').LifecycleSink)(() => lifecycle(), logger) : undefined,
  );
  const sinks = once((): EventSink[] => {
    const extra = parts.eventSinks ?? [];
    if (config.eventsFrom === 'write') {
      const sender = callbackSender();
      const sink = lifecycleSink();
      return [...(sender ? [sender] : []), ...(sink ? [sink] : []), ...extra];
    }
    return [
      ...extra,
      ...(config.eventCallbackUrl !== undefined && config.eventDeliveryQueueUrl !== undefined
        ? [new (need('delivery').SqsCallbackQueue)(new (need('delivery').SQSClient)({}), config.eventDeliveryQueueUrl, config.eventsFilter)]
        : []),
      ...(config.eventBusName !== undefined
        ? [new (need('delivery').EventBridgePublisher)(new (need('delivery').EventBridgeClient)({}), config.eventBusName, config.publicBaseUrl)]
        : []),
    ];
  });
  const callbackDelivery = once(() => {
    const delivery = need('delivery');
    const retry =
      parts.callbackDelivery?.retry ??
      new delivery.SqsRetryLater(
        new delivery.SQSClient({}),
        config.eventDeliveryQueueUrl ??
          (() => {
            throw new ConfigError('EVENT_DELIVERY_QUEUE_URL', 'is required by the publish-event-callbacks function (the stack sets it)');
          })(),
      );
    return new delivery.CallbackDelivery({
      url: config.eventCallbackUrl,
      tokenOf: (sid) => credentials().authToken(sid),
      post: parts.callbackDelivery?.post ?? ((request) => delivery.postCallback(request)),
      retry,
      logger,
      telemetry,
    });
  });
  const recorder = once(() => new EventRecorder(plainStores().events, plainStores().workers, sinks(), logger));
  const stores = once((): Stores => {
    const plain = plainStores();
    // Locally the events of a write follow it in the same process; deployed, the table's stream.
    if (config.eventsFrom !== 'write') return plain;
    return {
      ...plain,
      tasks: new EventEmittingTasks(plain.tasks, recorder()),
      marks: new EventEmittingMarks(plain.marks, recorder()),
      workers: new EventEmittingWorkers(plain.workers, recorder()),
    };
  });
  const scheduler = once(
    () => parts.scheduler ?? (config.timeoutSchedule && new EventBridgeTimeoutScheduler(new SchedulerClient(boundedClientConfig()), config.timeoutSchedule)),
  );
  let upstreamClient: HttpTaskRouterUpstream | undefined;
  const upstream = once((): Upstream | undefined => {
    if (config.upstreamUrl === undefined) return undefined;
    const {
      EventStreamsConsumer,
      ForwardingTaskChanger,
      ForwardingWorkerWriter,
      HttpTaskRouterUpstream,
      MirrorInbox,
      UpstreamForwarder,
      UpstreamMirror,
      UpstreamReconciler,
    } = need('connected');
    const client = parts.upstream ?? new HttpTaskRouterUpstream(config.upstreamUrl, credentials());
    if (client instanceof HttpTaskRouterUpstream) upstreamClient = client;
    const { tasks, marks, workers, inbox, cloudEvents } = stores();
    const forwarder = new UpstreamForwarder(tasks, marks, client, clock, logger, telemetry);
    const context = { upstream: client, clock, logger, telemetry };
    const taskChanger = new ForwardingTaskChanger(tasks, marks, context);
    const workerWriter = new ForwardingWorkerWriter(workers, context);
    const mirror = new UpstreamMirror({
      tasks,
      workers,
      clock,
      scheduler: scheduler(),
      reservationTimeoutSeconds: config.reservationTimeoutSeconds,
      maxRejections: config.maxRejections,
      lifecycle: lifecyclePolicy(),
      telemetry,
    });
    return {
      forwarder,
      taskChanger,
      workerWriter,
      reconciler: new UpstreamReconciler(
        marks,
        forwarder,
        { tasks: taskChanger, workers: workerWriter, workerMarks: workers },
        scheduler(),
        clock,
        logger,
        telemetry,
      ),
      mirror,
      inbox: new MirrorInbox(inbox, mirror, clock, logger),
      eventStreams: new EventStreamsConsumer({ mirror, marks: cloudEvents, credentials: credentials(), clock, logger }),
    };
  });
  const updater = once((): ReservationUpdater => {
    const connected = upstream();
    return connected ? new (need('connected').ForwardingUpdater)(connected.forwarder, connected.reconciler) : new LocalUpdater(stores().tasks);
  });
  const service = once(
    () =>
      new ReservationService({
        tasks: stores().tasks,
        workers: stores().workers,
        updater: updater(),
        clock,
        logger,
        policy: policy(),
        maxRejections: config.maxRejections,
        scheduler: scheduler(),
        timeoutActivitySid: config.timeoutActivitySid,
        telemetry,
      }),
  );
  // Connected, Worker updates and Task changes are forwarded to TaskRouter and recorded as it confirms them.
  const workerWriter = once((): WorkerWriter => upstream()?.workerWriter ?? new (need('lifecycle').LocalWorkerWriter)(stores().workers));
  const taskChanger = once((): TaskChanger => upstream()?.taskChanger ?? new (need('lifecycle').LocalTaskChanger)(stores().tasks));
  const lifecycle = once(() => {
    const { EventBridgeAttentionNotices, EventBridgeClient, LifecycleEngine, LoggedAttentionNotices } = need('lifecycle');
    return new LifecycleEngine({
      tasks: stores().tasks,
      workers: stores().workers,
      writer: workerWriter(),
      updater: updater(),
      scheduler: scheduler(),
      attention: stores().attention,
      notices:
        config.eventBusName !== undefined
          ? new EventBridgeAttentionNotices(new EventBridgeClient(boundedClientConfig()), config.eventBusName, config.publicBaseUrl)
          : new LoggedAttentionNotices(logger, config.publicBaseUrl),
      policy: lifecyclePolicy(),
      clock,
      logger,
      telemetry,
    });
  });
  const taskUpdates = once(() => new (need('lifecycle').TaskUpdates)({ tasks: stores().tasks, updater: updater(), changer: taskChanger(), clock }));
  const workerUpdates = once(
    () =>
      new (need('lifecycle').WorkerUpdates)({
        tasks: stores().tasks,
        workers: stores().workers,
        writer: workerWriter(),
        updater: updater(),
        isAvailable: (activitySid) => lifecyclePolicy().isAvailable(activitySid),
        clock,
        logger,
      }),
  );
  return {
    config,
    clock,
    logger,
    telemetry,
    get credentials() {
      return credentials();
    },
    get stores() {
      return stores();
    },
    get service() {
      return service();
    },
    get scheduler() {
      return scheduler();
    },
    get recorder() {
      return recorder();
    },
    get callbackSender() {
      return callbackSender();
    },
    get callbackDelivery() {
      return callbackDelivery();
    },
    get upstream() {
      return upstream();
    },
    get consolePage() {
      return consolePage();
    },
    get lifecycle() {
      return lifecycle();
    },
    workerAvailability: (activitySid) => lifecyclePolicy().availability(activitySid),
    judgesAvailability: () => lifecyclePolicy().availableActivities !== undefined,
    get lifecycleSink() {
      return lifecycleSink();
    },
    get taskUpdates() {
      return taskUpdates();
    },
    get workerUpdates() {
      return workerUpdates();
    },
    get statistics() {
      return statistics();
    },
    prepare(binds) {
      // The one check of what a function needs: each port it binds, built now.
      if (binds.consolePage && consolePage() === undefined) {
        throw new ConfigError('CONSOLE_PAGE', 'is required by the function that serves the console page (the stack sets it)');
      }
      if (binds.credentials) credentials();
      if (binds.policy) policy();
      if (binds.table) service();
      if (binds.timers && scheduler() === undefined) {
        throw new ConfigError(
          TIMEOUT_SCHEDULE_VARIABLES.groupName,
          `is required (with the other ${Object.values(TIMEOUT_SCHEDULE_VARIABLES).join(', ')}) by a function that arms reservation timers`,
        );
      }
      if (binds.eventDelivery === 'consume') callbackDelivery();
    },
    close: () => {
      callbackSender()?.close();
      upstreamClient?.close();
      // A client passed in belongs to the caller.
      ownClient?.destroy();
    },
  };
}
