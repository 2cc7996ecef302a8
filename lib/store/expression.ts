/**
 * A DynamoDB expression's attribute names and values, with placeholders made up as they are used.
 * Placeholders are short (`#n3`, not `#R_WR…`): an engine parses the expression on every request,
 * and the embedded one's parser costs time per character.
 */
export class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  readonly #placeholders = new Map<string, string>();
  #count = 0;

  name(attribute: string): string {
    let placeholder = this.#placeholders.get(attribute);
    if (placeholder === undefined) {
      placeholder = `#n${this.#placeholders.size}`;
      this.#placeholders.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return placeholder;
  }

  value(v: unknown): string {
    const placeholder = `:v${this.#count++}`;
    this.values[placeholder] = v;
    return placeholder;
  }

  /** The part of a command that carries them (DynamoDB refuses an empty or unused map). */
  get params() {
    return {
      ...(Object.keys(this.names).length > 0 && { ExpressionAttributeNames: this.names }),
      ...(Object.keys(this.values).length > 0 && { ExpressionAttributeValues: this.values }),
    };
  }
}

export function updateExpression(set: readonly string[], remove: readonly string[]): string {
  return `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`;
}
