/**
 * Login throttling, in memory: per account, exponential back-off after a few failures; per
 * address, a larger budget of failures in a window. In memory because the API is one process and
 * a failed login should not cost a database write; a restart forgets the counts, which only
 * gives an attacker what a new window would.
 */
export interface ThrottleRules {
  /** Failures an account may have before each further attempt must wait. */
  accountFreeFailures: number;
  /** The first wait; it doubles with each further failure, up to accountMaxWaitMs. */
  accountBaseWaitMs: number;
  accountMaxWaitMs: number;
  /** An account's failures are forgotten this long after its last one. */
  accountForgetMs: number;
  /** Failures one address may have in addressWindowMs, over all accounts. */
  addressBudget: number;
  addressWindowMs: number;
}

const DEFAULT_THROTTLE_RULES: ThrottleRules = {
  accountFreeFailures: 5,
  accountBaseWaitMs: 2_000,
  accountMaxWaitMs: 15 * 60_000,
  accountForgetMs: 60 * 60_000,
  addressBudget: 50,
  addressWindowMs: 15 * 60_000,
};

interface AccountState {
  failures: number;
  last: number;
}

interface AddressState {
  start: number;
  failures: number;
}

/** Sweep expired entries after this many recorded failures, so random emails cannot grow memory. */
const SWEEP_EVERY = 1000;

export class LoginThrottle {
  private readonly accounts = new Map<string, AccountState>();
  private readonly addresses = new Map<string, AddressState>();
  private sinceSweep = 0;

  constructor(
    private readonly rules: ThrottleRules = DEFAULT_THROTTLE_RULES,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds to wait before this account may be tried from this address, or 0. */
  waitMs(account: string, address: string): number {
    const t = this.now();
    return Math.max(this.accountWait(account.toLowerCase(), t), this.addressWait(address, t), 0);
  }

  failed(account: string, address: string): void {
    const t = this.now();
    const key = account.toLowerCase();
    const a = this.accounts.get(key);
    const fresh = !a || t - a.last > this.rules.accountForgetMs;
    this.accounts.set(key, { failures: fresh ? 1 : a.failures + 1, last: t });
    const d = this.addresses.get(address);
    if (!d || t - d.start >= this.rules.addressWindowMs)
      this.addresses.set(address, { start: t, failures: 1 });
    else d.failures++;
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep(t);
  }

  /** A right password clears the account's failures (not the address's: it may be shared). */
  succeeded(account: string): void {
    this.accounts.delete(account.toLowerCase());
  }

  private accountWait(key: string, t: number): number {
    const a = this.accounts.get(key);
    if (!a || t - a.last > this.rules.accountForgetMs) return 0;
    const over = a.failures - this.rules.accountFreeFailures;
    if (over < 0) return 0;
    const wait = Math.min(
      this.rules.accountBaseWaitMs * 2 ** Math.min(over, 30),
      this.rules.accountMaxWaitMs,
    );
    return a.last + wait - t;
  }

  private addressWait(address: string, t: number): number {
    const d = this.addresses.get(address);
    if (!d || d.failures < this.rules.addressBudget) return 0;
    return d.start + this.rules.addressWindowMs - t;
  }

  private sweep(t: number): void {
    this.sinceSweep = 0;
    for (const [k, a] of this.accounts) if (t - a.last > this.rules.accountForgetMs) this.accounts.delete(k);
    for (const [k, d] of this.addresses)
      if (t - d.start >= this.rules.addressWindowMs) this.addresses.delete(k);
  }
}
