import type * as mediasoup from 'mediasoup';

type Producer = mediasoup.types.Producer;

/**
 * Every media Producer on the router, by the session it belongs to. A session marks each
 * producer it makes (video, and audio where a title has sound) with `appData.sessionId`;
 * this registry finds them through the router's observer, so whoever consumes a session
 * (its spectators) gets all of its producers without the session listing them by hand.
 * A producer leaves the registry when it closes.
 */
export class SessionProducers {
  private readonly bySession = new Map<string, Map<string, Producer>>();

  constructor(router: mediasoup.types.Router) {
    router.observer.on('newtransport', (transport) => {
      transport.observer.on('newproducer', (producer) => this.add(producer));
    });
  }

  /** The session's open producers, oldest first. */
  of(sessionId: string): Producer[] {
    return [...(this.bySession.get(sessionId)?.values() ?? [])].filter((producer) => !producer.closed);
  }

  private add(producer: Producer): void {
    const sessionId = producer.appData.sessionId;
    if (typeof sessionId !== 'string') return;
    let producers = this.bySession.get(sessionId);
    if (!producers) {
      producers = new Map();
      this.bySession.set(sessionId, producers);
    }
    producers.set(producer.id, producer);
    producer.observer.once('close', () => {
      const open = this.bySession.get(sessionId);
      open?.delete(producer.id);
      if (open?.size === 0) this.bySession.delete(sessionId);
    });
  }
}
