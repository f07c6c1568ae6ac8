/** The in-process event bus; transports subscribe to it and forward frames to their clients. */
import type { EventOf, Topic } from '../../shared/contract.ts';
import type { Entity } from '../../shared/entities.ts';

type Listener = (topic: Topic, payload: unknown) => void;

export class EventBus {
  private listeners = new Set<Listener>();

  emit<T extends Topic>(topic: T, payload: EventOf<T>): void {
    for (const l of this.listeners) {
      try {
        l(topic, payload);
      } catch {
        // A broken subscriber (a closed socket) must not break the emitter or the others.
      }
    }
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Entities come only from the builders of shared/entities.ts; none is spelled by hand. */
  changed(...entities: Entity[]): void {
    if (entities.length) this.emit('changed', { entities });
  }
}
