import { describe, expect, it } from 'vitest';
import { backoffDelay, forEachExclusive, isRetryableError } from '../../functions/store/retry.js';

/** A task that stays in flight until the test releases it, recording what overlapped. */
function controlledTasks() {
  const inFlight = new Set<string>();
  const started: string[] = [];
  let maxInFlight = 0;
  const releases = new Map<string, () => void>();
  const run = async (item: { id: string; keys: string[] }) => {
    inFlight.add(item.id);
    started.push(item.id);
    maxInFlight = Math.max(maxInFlight, inFlight.size);
    await new Promise<void>((resolve) => releases.set(item.id, resolve));
    inFlight.delete(item.id);
  };
  return { run, started, releases, inFlight, maxInFlight: () => maxInFlight };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('forEachExclusive', () => {
  it('runs items with disjoint keys side by side, up to the limit', async () => {
    const tasks = controlledTasks();
    const items = ['a', 'b', 'c', 'd'].map((id) => ({ id, keys: [id] }));
    const done = forEachExclusive(items, 3, (item) => item.keys, tasks.run);
    await flush();
    expect(tasks.started).toEqual(['a', 'b', 'c']);
    tasks.releases.get('b')!();
    await flush();
    expect(tasks.started).toEqual(['a', 'b', 'c', 'd']);
    for (const id of ['a', 'c', 'd']) tasks.releases.get(id)!();
    await done;
    expect(tasks.maxInFlight()).toBe(3);
  });

  it('never runs two items that share a key at once, and starts a later free item meanwhile', async () => {
    const tasks = controlledTasks();
    const items = [
      { id: 'first', keys: ['hot', 'x'] },
      { id: 'second', keys: ['hot', 'y'] },
      { id: 'third', keys: ['z'] },
    ];
    const done = forEachExclusive(items, 4, (item) => item.keys, async (item) => {
      const sharing = items.filter((other) => other !== item && tasks.inFlight.has(other.id) && other.keys.some((key) => item.keys.includes(key)));
      expect(sharing).toEqual([]);
      await tasks.run(item);
    });
    await flush();
    expect(tasks.started).toEqual(['first', 'third']);
    tasks.releases.get('first')!();
    await flush();
    expect(tasks.started).toEqual(['first', 'third', 'second']);
    tasks.releases.get('second')!();
    tasks.releases.get('third')!();
    await done;
  });

  it('finishes at once with nothing to do, and rejects with the first failure', async () => {
    await expect(forEachExclusive([], 4, () => [], async () => {})).resolves.toBeUndefined();
    const failing = forEachExclusive([1, 2], 2, (n) => [String(n)], async (n) => {
      if (n === 2) throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
  });
});

describe('backoffDelay', () => {
  it('draws up to a ceiling that doubles per attempt and stops at the maximum', () => {
    const backoff = { maxAttempts: 8, baseDelayMillis: 20, maxDelayMillis: 100 };
    expect(backoffDelay(backoff, 1, () => 0.999)).toBe(19);
    expect(backoffDelay(backoff, 3, () => 0.5)).toBe(40);
    expect(backoffDelay(backoff, 7, () => 0.5)).toBe(50);
  });
});

describe('isRetryableError', () => {
  it('retries throttling, server errors and dropped connections, not validation errors', () => {
    expect(isRetryableError({ name: 'ThrottlingException' })).toBe(true);
    expect(isRetryableError({ name: 'X', $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isRetryableError({ code: 'ECONNRESET' })).toBe(true);
    expect(isRetryableError({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } })).toBe(false);
  });
});
