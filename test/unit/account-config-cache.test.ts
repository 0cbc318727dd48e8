import { describe, expect, it, vi } from 'vitest';
import type { FilteringRule } from '../../functions/domain/filtering-rules.js';
import type { MeterDefinition } from '../../functions/domain/meters.js';
import { AccountConfigCache, indexAccountConfiguration } from '../../functions/store/account-config-cache.js';
import type { AccountConfiguration } from '../../functions/store/config-store.js';

const meter = (meterApiName: string): MeterDefinition => ({
  meterApiName,
  displayName: meterApiName,
  label: meterApiName,
  type: 'SUM_OF_ALL_USAGE',
  dimensions: [],
  meterTimeInMillis: 0,
});

const rule = (ruleId: string, meterApiName: string): FilteringRule => ({
  ruleId,
  meterApiName,
  dimensionName: 'region',
  dimensionValues: ['us'],
  action: 'INCLUDE',
});

const configuration: AccountConfiguration = {
  meters: [meter('a'), meter('b')],
  rules: [rule('r1', 'a'), rule('r2', 'a'), rule('r3', 'b')],
};

describe('indexAccountConfiguration', () => {
  it('indexes meters by name and groups rules by meter', () => {
    const indexed = indexAccountConfiguration(configuration);
    expect([...indexed.meters.keys()]).toEqual(['a', 'b']);
    expect(indexed.rulesByMeter.get('a')!.map((r) => r.ruleId)).toEqual(['r1', 'r2']);
    expect(indexed.rulesByMeter.get('b')!.map((r) => r.ruleId)).toEqual(['r3']);
    expect(indexed.rulesByMeter.get('c')).toBeUndefined();
  });
});

describe('AccountConfigCache', () => {
  function cacheWithClock(load = vi.fn(async (_accountId: string) => configuration)) {
    let now = 1_000;
    const cache = new AccountConfigCache(load, 5_000, () => now);
    return { cache, load, advance: (millis: number) => (now += millis) };
  }

  it('loads an account once within the TTL', async () => {
    const { cache, load, advance } = cacheWithClock();
    await cache.get('acme');
    advance(4_999);
    await cache.get('acme');
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('loads again once the TTL has passed', async () => {
    const { cache, load, advance } = cacheWithClock();
    await cache.get('acme');
    advance(5_000);
    await cache.get('acme');
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('keeps accounts apart', async () => {
    const { cache, load } = cacheWithClock();
    await cache.get('acme');
    await cache.get('other');
    expect(load.mock.calls).toEqual([['acme'], ['other']]);
  });

  it('shares one load between concurrent misses', async () => {
    const { cache, load } = cacheWithClock();
    const [first, second] = await Promise.all([cache.get('acme'), cache.get('acme')]);
    expect(first).toBe(second);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('does not keep a failed load', async () => {
    const load = vi.fn(async (_accountId: string) => configuration).mockRejectedValueOnce(new Error('throttled'));
    const { cache } = cacheWithClock(load);
    await expect(cache.get('acme')).rejects.toThrow('throttled');
    await expect(cache.get('acme')).resolves.toMatchObject({ meters: expect.any(Map) });
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('forgets an invalidated account', async () => {
    const { cache, load } = cacheWithClock();
    await cache.get('acme');
    cache.invalidate('acme');
    await cache.get('acme');
    expect(load).toHaveBeenCalledTimes(2);
  });
});

describe('AccountConfigCache.getWithMeters', () => {
  it('serves the cached copy while it knows every meter asked for', async () => {
    const load = vi.fn(async (_accountId: string) => configuration);
    const cache = new AccountConfigCache(load, 60_000);
    await cache.getWithMeters('acme', ['a']);
    await cache.getWithMeters('acme', ['a', 'b']);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('reloads at once when a meter is missing, so a meter created a moment ago is seen', async () => {
    const load = vi
      .fn(async (_accountId: string): Promise<AccountConfiguration> => configuration)
      .mockResolvedValueOnce({ meters: [meter('a')], rules: [] });
    const cache = new AccountConfigCache(load, 60_000);
    expect((await cache.get('acme')).meters.has('b')).toBe(false);
    expect((await cache.getWithMeters('acme', ['a', 'b'])).meters.has('b')).toBe(true);
    expect(load).toHaveBeenCalledTimes(2);
  });
});
