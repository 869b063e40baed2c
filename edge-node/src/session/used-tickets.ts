/**
 * Remembers ticket nonces until the tickets expire, so a ticket opens one session only.
 * Kept per edge-node instance; expired entries are pruned on every check.
 */
export class UsedTickets {
  private readonly expiries = new Map<string, number>();

  /** Records the nonce; returns false if it was already used. */
  claim(nonce: string, expiresAt: number, now: number): boolean {
    for (const [key, exp] of this.expiries) if (exp <= now) this.expiries.delete(key);
    if (this.expiries.has(nonce)) return false;
    this.expiries.set(nonce, expiresAt);
    return true;
  }
}
