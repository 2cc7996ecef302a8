/**
 * The two wire formats the bundles' AWS clients speak (README.md beside this file says why they
 * exist):
 * - AWS JSON 1.0 and 1.1 (DynamoDB, Secrets Manager): `POST /`, the operation in `X-Amz-Target`
 *   (`<prefix>.<Operation>`), the input as a JSON body, the output a JSON body;
 * - REST JSON (EventBridge Scheduler): the operation's method and path, members bound to the path
 *   leaving the body, the rest a JSON body.
 * In both, a blob is base64 and a timestamp epoch seconds; what the service answers is read back
 * the same way, for the members a command names.
 */
import type { Command, WireRequest } from './core.ts';
import { escapeUri } from './sigv4.ts';

/** A blob as base64, a timestamp as epoch seconds (Buffer's own toJSON and Date's would be wrong). */
function jsonBody(input: object): string {
  return JSON.stringify(input, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
    if (raw instanceof Date) return raw.getTime() / 1000;
    return value;
  });
}

/** How an output is read: the members that are blobs or timestamps, by name, at the top level. */
export interface OutputShape {
  readonly blobs?: readonly string[];
  readonly timestamps?: readonly string[];
  /** A reviver for nested values (DynamoDB's binary attribute values). */
  readonly revive?: (text: string) => unknown;
}

function readJson(text: string, shape: OutputShape): Record<string, unknown> {
  if (text === '') return {};
  const output = (shape.revive ? shape.revive(text) : JSON.parse(text)) as Record<string, unknown>;
  for (const name of shape.blobs ?? []) if (typeof output[name] === 'string') output[name] = new Uint8Array(Buffer.from(output[name] as string, 'base64'));
  for (const name of shape.timestamps ?? []) if (typeof output[name] === 'number') output[name] = new Date((output[name] as number) * 1000);
  return output;
}

/** A command of an AWS JSON service, its input and output passed through as they are. */
export abstract class JsonCommand<Input extends object, Output> implements Command<Input, Output> {
  abstract readonly commandName: string;
  protected abstract readonly target: string;
  protected abstract readonly version: '1.0' | '1.1';
  protected readonly outputShape: OutputShape = {};
  constructor(readonly input: Input) {}
  marshal(input: Input): object {
    return input;
  }
  serialize(wireInput: object): WireRequest {
    return {
      method: 'POST',
      path: '/',
      headers: { 'content-type': `application/x-amz-json-${this.version}`, 'x-amz-target': this.target },
      body: jsonBody(wireInput),
    };
  }
  deserialize(body: string): Output {
    return readJson(body, this.outputShape) as Output;
  }
  unmarshal(output: Output): Output {
    return output;
  }
}

/** A command of a REST JSON service: `labels` are the input members its path takes, URI-encoded. */
export abstract class RestJsonCommand<Input extends object, Output> implements Command<Input, Output> {
  abstract readonly commandName: string;
  protected abstract readonly method: string;
  /** The path, its labels as `{Name}`. */
  protected abstract readonly path: string;
  protected readonly outputShape: OutputShape = {};
  constructor(readonly input: Input) {}
  marshal(input: Input): object {
    return input;
  }
  serialize(wireInput: object): WireRequest {
    const body: Record<string, unknown> = { ...(wireInput as Record<string, unknown>) };
    const path = this.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = body[name];
      if (typeof value !== 'string' || value === '') throw new Error(`${this.commandName}: ${name} is required`);
      delete body[name];
      return escapeUri(value);
    });
    return { method: this.method, path, headers: { 'content-type': 'application/json' }, body: jsonBody(body) };
  }
  deserialize(body: string): Output {
    return readJson(body, this.outputShape) as Output;
  }
  unmarshal(output: Output): Output {
    return output;
  }
}
