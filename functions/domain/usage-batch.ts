import { NotFoundError, ValidationError } from './errors.js';
import { MAX_VALUES, type UsageGroup } from './usage-aggregation.js';

/** Names the query of a batch an error came from, keeping its kind (400 stays 400, 404 stays 404). */
export function inBatchItem(error: unknown, index: number): unknown {
  if (error instanceof ValidationError) return new ValidationError(error.message, `[${index}] ${error.details}`, { cause: error });
  if (error instanceof NotFoundError) return new NotFoundError(error.message, `[${index}] ${error.details}`, { cause: error });
  return error;
}

/** A batch answers in one response, so the per-response cap applies to all of its queries together. */
export function checkBatchSize(answers: readonly { groups: readonly UsageGroup[] }[]): void {
  const values = answers.reduce(
    (total, answer) => total + answer.groups.reduce((sum, group) => sum + group.values.length, 0),
    0,
  );
  if (values > MAX_VALUES) {
    throw new ValidationError(
      'Response too large',
      `the batch holds ${values} values; the limit is ${MAX_VALUES} per response: split the batch or narrow its queries`,
    );
  }
}
