import type { FilteringRule } from '../domain/filtering-rules.js';
import type { MeterDefinition } from '../domain/meters.js';
import type { AccountConfiguration } from './config-store.js';

/** An account's meters by name and each meter's rules, ready for the hot paths. */
export interface AccountMeters {
  readonly meters: ReadonlyMap<string, MeterDefinition>;
  readonly rulesByMeter: ReadonlyMap<string, readonly FilteringRule[]>;
}

export function indexAccountConfiguration(configuration: AccountConfiguration): AccountMeters {
  const meters = new Map(configuration.meters.map((meter) => [meter.meterApiName, meter]));
  const rulesByMeter = new Map<string, FilteringRule[]>();
  for (const rule of configuration.rules) {
    rulesByMeter.set(rule.meterApiName, [...(rulesByMeter.get(rule.meterApiName) ?? []), rule]);
  }
  return { meters, rulesByMeter };
}

/** How long a container trusts its copy of an account's meters and rules. */
export const ACCOUNT_CONFIG_TTL_MILLIS = 5_000;

/**
 * Per-container cache of account configuration, so ingest and the consumer read the Config table
 * once per account every few seconds instead of once per request. A meter or rule change reaches
 * them within the TTL. Concurrent misses for one account share one load.
 */
export class AccountConfigCache {
  private readonly entries = new Map<string, { expiresAt: number; value: Promise<AccountMeters> }>();

  constructor(
    private readonly load: (accountId: string) => Promise<AccountConfiguration>,
    private readonly ttlMillis = ACCOUNT_CONFIG_TTL_MILLIS,
    private readonly now: () => number = Date.now,
  ) {}

  get(accountId: string): Promise<AccountMeters> {
    const cached = this.entries.get(accountId);
    if (cached && cached.expiresAt > this.now()) return cached.value;
    const value = this.load(accountId).then(indexAccountConfiguration);
    this.entries.set(accountId, { expiresAt: this.now() + this.ttlMillis, value });
    // A failed load must not be served from the cache until it expires.
    value.catch(() => {
      if (this.entries.get(accountId)?.value === value) this.entries.delete(accountId);
    });
    return value;
  }

  /** Forget an account, e.g. after this container changed its meters. */
  invalidate(accountId: string): void {
    this.entries.delete(accountId);
  }

  /**
   * The account's configuration, reloaded when the cached copy lacks a meter: a meter created a
   * moment ago must not make its first events look unknown (refused by ingest, or stored uncounted).
   */
  async getWithMeters(accountId: string, meterApiNames: Iterable<string>): Promise<AccountMeters> {
    const cached = await this.get(accountId);
    for (const name of meterApiNames) {
      if (!cached.meters.has(name)) {
        this.invalidate(accountId);
        return this.get(accountId);
      }
    }
    return cached;
  }
}
