/**
 * An item's size as DynamoDB counts it against its 400 KB limit: each attribute's name (UTF-8
 * bytes) plus its value; a string is its UTF-8 bytes, a number about one byte per two significant
 * digits plus one, a boolean or null one byte, and a map or list 3 bytes plus, per element, one
 * byte and the element (with its name, in a map). Close enough to compare against the limit; the
 * engine's own read capacity (4 KB units) checks it in test/store/capacity.test.ts.
 */
function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace(/^0+|\.|0+$/g, '').length / 2) + 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueSize(v), 0);
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + valueSize(v), 0);
  return 3 + Object.entries(value as Record<string, unknown>).reduce((sum, [name, v]) => sum + 1 + Buffer.byteLength(name, 'utf8') + valueSize(v), 0);
}

export function itemSize(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name, 'utf8') + valueSize(value), 0);
}

/** DynamoDB's item size limit. */
export const ITEM_LIMIT_BYTES = 400 * 1024;
