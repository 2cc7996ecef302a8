/**
 * A page of a list resource as Twilio answers it: the items under their key, and `meta` with
 * absolute URLs of this page, the first, the previous and the next (the twilio SDK follows
 * `next_page_url` as given). The reservation and event lists both answer through it.
 */
import { encodePageToken, type Cursor, type Page } from '../domain/paging.ts';
import { listJson } from '../domain/representations.ts';
import type { ApiRequest } from './api-request.ts';
import { jsonResponse, type ApiResponse } from './api-response.ts';

export interface ListRequest {
  readonly request: ApiRequest;
  readonly publicBaseUrl: string;
  readonly cursor: Cursor;
  readonly pageSize: number;
  /** The page URL's query string: the list's filters, then size, page number and token. */
  readonly queryString: (page: number, token: string | undefined) => string;
}

export function listResponse<K extends string, T>(key: K, items: readonly T[], page: Page<unknown>, list: ListRequest): ApiResponse {
  const base = `${list.publicBaseUrl}${list.request.path}`;
  const link = (cursor: Cursor | null) => cursor && `${base}?${list.queryString(cursor.page, encodePageToken(cursor))}`;
  return jsonResponse(
    200,
    listJson(key, items, {
      page: list.cursor.page,
      pageSize: list.pageSize,
      firstPageUrl: `${base}?${list.queryString(0, undefined)}`,
      previousPageUrl: link(page.previous),
      url: `${base}?${list.queryString(list.cursor.page, list.request.query.get('PageToken')?.[0])}`,
      nextPageUrl: link(page.next),
    }),
  );
}
