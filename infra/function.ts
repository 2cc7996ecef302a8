/**
 * One function of lib/functions.ts, with the defaults every function shares: Node.js 22 on arm64,
 * the bundle of infra/bundling.ts built by the local esbuild at synth (no Docker), its own log
 * group, and its own role (no managed policy: a function may write its log group and do what the
 * stack grants it, nothing else).
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssetHashType, DockerImage, Duration, type ILocalBundling, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { FUNCTIONS, type FunctionName } from '#lib/functions.ts';
import { HANDLER, esbuildOptions } from './bundling.ts';
import { MEMORY_MB } from './function-memory.ts';
import { PROJECT_ROOT } from './settings.ts';

export interface ServiceFunctionProps {
  readonly name: FunctionName;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly environment: Readonly<Record<string, string>>;
  /** A fixed name, for a function whose ARN its own environment names (no self-reference for CloudFormation to refuse). */
  readonly functionName?: string;
  /** Files copied into the bundle: name in the bundle (under /var/task) → path on this machine. */
  readonly bundledFiles?: Readonly<Record<string, string>>;
  /** Files made at synth and written into the bundle: name in the bundle → content. */
  readonly generatedFiles?: Readonly<Record<string, string>>;
  /** Executions kept for this function alone (and its ceiling); unset: none. */
  readonly reservedConcurrency?: number;
}

/**
 * Bundles a function exactly as the benchmark does, with the local esbuild. Its fields are data on
 * purpose: CDK caches staged assets by their options serialized, where tryBundle does not show.
 */
class LocalEsbuild implements ILocalBundling {
  constructor(
    readonly entry: string,
    readonly files: Readonly<Record<string, string>>,
    readonly generated: Readonly<Record<string, string>>,
  ) {}

  tryBundle(outputDir: string): boolean {
    buildSync(esbuildOptions(this.entry, outputDir));
    for (const [file, source] of Object.entries(this.files)) copyFileSync(source, join(outputDir, file));
    for (const [file, content] of Object.entries(this.generated)) writeFileSync(join(outputDir, file), content);
    return true;
  }
}

export function functionCode(
  name: FunctionName,
  bundledFiles: Readonly<Record<string, string>> = {},
  generatedFiles: Readonly<Record<string, string>> = {},
): Code {
  return Code.fromAsset(PROJECT_ROOT, {
    // The hash of the bundle: a change anywhere it reaches (lib/, the policy file, the page) is a new asset.
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: the local bundling succeeds or throws.
      image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs22.x'),
      local: new LocalEsbuild(join(PROJECT_ROOT, 'functions', `${name}.ts`), bundledFiles, generatedFiles),
    },
  });
}

/**
 * What every function's environment starts with (the benchmark's cold start uses it too). The
 * bundles carry source maps but Node does not read them: `--enable-source-maps` parses every
 * loaded file's map at import, about a tenth of a cold first answer's CPU, on every cold start, for
 * stack traces only an error needs. To read traces in lib/'s terms while investigating, set
 * `NODE_OPTIONS=--enable-source-maps` on the function, or map a logged trace with the bundle's
 * `.map` files.
 */
export const FUNCTION_ENVIRONMENT = {
  POWERTOOLS_LOG_LEVEL: 'INFO',
} as const;

export class ServiceFunction extends LambdaFunction {
  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    const spec = FUNCTIONS[props.name];
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention, removalPolicy: props.removalPolicy });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${props.name} function`,
    });
    super(scope, id, {
      description: spec.description,
      ...(props.functionName !== undefined && { functionName: props.functionName }),
      code: functionCode(props.name, props.bundledFiles, props.generatedFiles),
      handler: HANDLER,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: MEMORY_MB,
      timeout: Duration.seconds(spec.timeoutSeconds),
      ...(props.reservedConcurrency !== undefined && { reservedConcurrentExecutions: props.reservedConcurrency }),
      role,
      logGroup,
      environment: { ...FUNCTION_ENVIRONMENT, ...props.environment },
      // X-Ray active tracing: Lambda samples invocations and traces them; CDK grants the role
      // xray:PutTraceSegments and xray:PutTelemetryRecords (which AWS does not scope to a resource).
      tracing: Tracing.ACTIVE,
    });
    logGroup.grantWrite(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords, which active tracing needs, have no resource to scope them to (AWS).',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is pinned on purpose: the bundles target node22 (infra/bundling.ts) and the tests and benchmarks run on it; a runtime upgrade is a reviewed change, not a drift.',
    });
  }
}
