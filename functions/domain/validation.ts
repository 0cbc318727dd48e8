/**
 * Small helpers for validating JSON request bodies. They collect every problem instead of
 * stopping at the first, so one 400 tells the client all it has to fix.
 */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const UNPAIRED_SURROGATE = /\p{Cs}/u;

export class Problems {
  constructor(
    private readonly prefix = '',
    readonly list: string[] = [],
  ) {}

  /** Problems of a nested value (`timeRange.`, `[2].`), named by their full path, in the same list. */
  nested(path: string): Problems {
    return new Problems(`${this.prefix}${path}`, this.list);
  }

  add(field: string, problem: string): void {
    this.list.push(`${this.prefix}${field}: ${problem}`);
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  /**
   * JSON can escape a lone surrogate (\ud800). It has no UTF-8 form: DynamoDB refuses it, which
   * would surface as a 500, and other stores would mangle it.
   */
  wellFormed(field: string, value: string): boolean {
    if (!UNPAIRED_SURROGATE.test(value)) return true;
    this.add(field, 'must be valid Unicode text (it holds an unpaired UTF-16 surrogate)');
    return false;
  }

  rejectUnknownFields(body: JsonObject, allowed: readonly string[]): void {
    for (const field of Object.keys(body)) {
      if (!allowed.includes(field)) {
        this.add(field, `unknown field (allowed: ${allowed.join(', ')})`);
      }
    }
  }

  /** A non-empty string of at most `maxLength` characters, optionally matching a pattern. */
  requiredString(
    body: JsonObject,
    field: string,
    rule: { maxLength: number; pattern?: RegExp; patternHint?: string },
  ): string | undefined {
    const value = body[field];
    if (value === undefined || value === null) {
      this.add(field, 'is required');
      return undefined;
    }
    return this.checkString(field, value, rule);
  }

  optionalString(
    body: JsonObject,
    field: string,
    rule: { maxLength: number; pattern?: RegExp; patternHint?: string },
  ): string | undefined {
    const value = body[field];
    if (value === undefined || value === null) return undefined;
    return this.checkString(field, value, rule);
  }

  checkString(
    field: string,
    value: unknown,
    rule: { maxLength: number; pattern?: RegExp; patternHint?: string },
  ): string | undefined {
    if (typeof value !== 'string') {
      this.add(field, `expected a string, got ${describeType(value)}`);
      return undefined;
    }
    if (value.trim() === '') {
      this.add(field, 'must not be empty');
      return undefined;
    }
    if (!this.wellFormed(field, value)) return undefined;
    if (value.length > rule.maxLength) {
      this.add(field, `must be at most ${rule.maxLength} characters, got ${value.length}`);
      return undefined;
    }
    if (rule.pattern && !rule.pattern.test(value)) {
      this.add(field, `"${truncate(value)}" is not valid: ${rule.patternHint ?? `must match ${rule.pattern}`}`);
      return undefined;
    }
    return value;
  }

  /** An enum value accepted in any case and answered in the canonical (upper) case. */
  requiredEnum<T extends string>(body: JsonObject, field: string, allowed: readonly T[]): T | undefined {
    const value = body[field];
    if (value === undefined || value === null) {
      this.add(field, `is required (one of ${allowed.join(', ')})`);
      return undefined;
    }
    return this.checkEnum(field, value, allowed);
  }

  checkEnum<T extends string>(field: string, value: unknown, allowed: readonly T[]): T | undefined {
    const canonical = typeof value === 'string' ? value.trim().toUpperCase() : undefined;
    const match = allowed.find((candidate) => candidate === canonical);
    if (!match) {
      this.add(field, `expected one of ${allowed.join(', ')} (any case), got ${JSON.stringify(value)}`);
    }
    return match;
  }

  /** An array of distinct strings, each checked by `checkString`. */
  stringArray(
    field: string,
    value: unknown,
    rule: { maxItems: number; minItems?: number; item: { maxLength: number; pattern?: RegExp; patternHint?: string } },
  ): string[] | undefined {
    if (!Array.isArray(value)) {
      this.add(field, `expected an array of strings, got ${describeType(value)}`);
      return undefined;
    }
    if (value.length < (rule.minItems ?? 0)) {
      this.add(field, `must hold at least ${rule.minItems} item(s)`);
      return undefined;
    }
    if (value.length > rule.maxItems) {
      this.add(field, `must hold at most ${rule.maxItems} items, got ${value.length}`);
      return undefined;
    }
    const before = this.list.length;
    const items = value.map((item, index) => this.checkString(`${field}[${index}]`, item, rule.item));
    if (this.list.length > before) return undefined;
    const seen = new Set<string>();
    for (const [index, item] of (items as string[]).entries()) {
      if (seen.has(item)) this.add(`${field}[${index}]`, `"${truncate(item)}" is listed twice`);
      seen.add(item);
    }
    return this.list.length > before ? undefined : (items as string[]);
  }
}

export function truncate(text: string, max = 64): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
