/**
 * GET /console: the reservation console, one self-contained page. Public: the page holds no data;
 * what it shows it reads from the REST API with the credentials signed in with.
 */
import { notModified, pageHeaders } from '#lib/console/page.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';

export const consolePage = apiFunction('console', async (request, { runtime }) => {
  // apiFunction refuses to build this handler without a page.
  const page = runtime.consolePage!;
  const headers = pageHeaders(page);
  if (notModified(page, request.headers['if-none-match'])) return { statusCode: 304, headers, body: '' };
  return { statusCode: 200, headers, body: page.html };
});

export const handler = await lambdaHandler(consolePage);
