import type { LeaseFile } from './leaseFile.ts';

export interface LeaseKeeperEvents {
  /** This process may trade from now on, under `term` (stamp it into the journal). */
  onLeader(term: number): void;
  /** Stop trading now; the keeper is back to following and will try again. */
  onLost(reason: string): void;
  /** The lease file cannot be read as a lease; reported once per distinct problem. */
  onCorrupt?(detail: string): void;
  onRenewed?(term: number): void;
  /** An I/O error from the lease file; the keeper carries on and the validity clock decides. */
  onError?(error: unknown): void;
}

export type LeaseRole = 'stopped' | 'follower' | 'leader';

/**
 * Drives a LeaseFile on timers: a Follower polls for the lease every renew period, a Leader
 * renews every renew period, and a Leader's validity is checked both on a timer due the
 * moment it runs out and synchronously from the order path (`checkValid`). After a pause
 * (SIGSTOP, a stalled event loop) the renew timer is the first one due, and it checks
 * validity before it writes, so a woken Leader reports the loss instead of renewing.
 */
export class LeaseKeeper {
  #role: LeaseRole = 'stopped';
  #tick: NodeJS.Timeout | null = null;
  #validityTimer: NodeJS.Timeout | null = null;
  #lastUnreadable: string | null = null;

  constructor(
    readonly lease: LeaseFile,
    private readonly events: LeaseKeeperEvents,
  ) {}

  get role(): LeaseRole {
    return this.#role;
  }

  /** The term being led, or null when not Leader. */
  get term(): number | null {
    return this.#role === 'leader' ? this.lease.term : null;
  }

  start(): void {
    if (this.#role !== 'stopped') throw new Error('lease keeper already started');
    this.#role = 'follower';
    this.#follow();
  }

  /**
   * Whether this process may send an order right now. Judged by the monotonic clock alone;
   * a Leader found out of validity is demoted here, before the caller acts.
   */
  checkValid(): boolean {
    if (this.#role !== 'leader') return false;
    if (this.lease.isValid) return true;
    this.#lose('lease validity ran out before it was renewed');
    return false;
  }

  stop(): void {
    this.#clearTimers();
    this.#role = 'stopped';
  }

  /** For a clean shutdown: hands the lease over at once instead of making the Follower wait for expiry. */
  releaseAndStop(): void {
    this.stop();
    try {
      this.lease.release();
    } catch (error) {
      this.events.onError?.(error);
    }
  }

  #follow(): void {
    this.#tick = null;
    try {
      const result = this.lease.tryAcquire();
      if (result.acquired) {
        this.#lastUnreadable = null;
        this.#lead(result.term);
        return;
      }
      if (result.reason === 'unreadable' && result.detail !== undefined) this.#reportUnreadable(result.detail);
      else if (result.reason === 'held') this.#lastUnreadable = null;
    } catch (error) {
      this.events.onError?.(error);
    }
    this.#schedule(() => this.#follow());
  }

  #lead(term: number): void {
    this.#role = 'leader';
    this.#armValidityTimer();
    this.#schedule(() => this.#renew());
    this.events.onLeader(term);
  }

  #renew(): void {
    this.#tick = null;
    if (!this.checkValid()) return;
    try {
      const outcome = this.lease.renewOutcome();
      if (outcome.kind === 'lost') {
        this.#lose(outcome.reason);
        return;
      }
      if (outcome.kind === 'renewed') {
        this.#lastUnreadable = null;
        this.#armValidityTimer();
        this.events.onRenewed?.(outcome.term);
      } else if (outcome.reason === 'unreadable') {
        this.#reportUnreadable(outcome.detail);
      }
    } catch (error) {
      this.events.onError?.(error);
    }
    this.#schedule(() => this.#renew());
  }

  #lose(reason: string): void {
    this.#clearTimers();
    this.#role = 'follower';
    this.#schedule(() => this.#follow());
    this.events.onLost(reason);
  }

  #reportUnreadable(detail: string): void {
    if (detail === this.#lastUnreadable) return;
    this.#lastUnreadable = detail;
    this.events.onCorrupt?.(detail);
  }

  #schedule(next: () => void): void {
    this.#tick = setTimeout(next, this.lease.renewEveryMs);
  }

  /** Timers may fire a fraction of a millisecond before performance.now() agrees, hence re-arming. */
  #armValidityTimer(): void {
    if (this.#validityTimer !== null) clearTimeout(this.#validityTimer);
    this.#validityTimer = setTimeout(() => {
      this.#validityTimer = null;
      if (this.checkValid()) this.#armValidityTimer();
    }, Math.ceil(this.lease.validForMs) + 1);
  }

  #clearTimers(): void {
    if (this.#tick !== null) clearTimeout(this.#tick);
    if (this.#validityTimer !== null) clearTimeout(this.#validityTimer);
    this.#tick = null;
    this.#validityTimer = null;
  }
}
