/**
 * What the workspace lists this service serves beside TaskRouter's (the Task list, the Worker
 * list) share: a 400 naming the parameter for what they cannot answer, a 405 naming GET for a
 * create (TaskRouter's configuration, not this service's), and a 404 naming the setting with
 * STATISTICS=off, whose records they read.
 */
import { expect } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { assign, basicAuth, startStack, twilioClient } from './fixtures.ts';

/** Each query (a query string, and the parameter its 400 must name) refused at `path`; a POST there is a 405 naming GET. */
export async function expectRefusals(stack: LocalStack, path: string, cases: readonly (readonly [query: string, parameter: string])[]): Promise<void> {
  for (const [query, parameter] of cases) {
    const response = await fetch(`${stack.url}${path}?${query}`, { headers: basicAuth() });
    const body = (await response.json()) as { code: number; message: string };
    expect(response.status, query).toBe(400);
    expect(body.code, query).toBe(20001);
    expect(body.message, query).toContain(`Invalid parameter ${parameter}`);
  }
  const post = await fetch(`${stack.url}${path}`, { method: 'POST', headers: basicAuth() });
  expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET']);
}

type Workspace = ReturnType<ReturnType<typeof twilioClient>['taskrouter']['v1']['workspaces']>;

/** A list read through the SDK, on a stack with STATISTICS=off after one callback: a 404 naming the setting. */
export async function expectNotServedWithStatisticsOff(list: (workspace: Workspace) => Promise<unknown>): Promise<void> {
  const off = await startStack({ STATISTICS: 'off' });
  try {
    const a = await assign(off);
    await expect(list(twilioClient(off).taskrouter.v1.workspaces(a.workspaceSid))).rejects.toMatchObject({
      status: 404,
      code: 20404,
      message: expect.stringContaining('STATISTICS=off'),
    });
  } finally {
    await off.close();
  }
}
