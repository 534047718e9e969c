// stream.ts: the live event stream (Server-Sent Events from /api/v1/events/stream, with the
// session cookie) as a hook: the newest events first, at most `keep` of them, with pause
// (events keep arriving and are counted, the list holds still) and resume. The browser's
// EventSource reconnects by itself and resumes with Last-Event-ID, so nothing is missed.
import { useEffect, useRef, useState } from 'preact/hooks';

export interface GhEvent {
  offset: number;
  time: string;
  type: string;
  door_id: number | null;
  person_id: number | null;
  credential_id: number | null;
  decision: 'granted' | 'denied' | null;
  reason: string | null;
  payload: Record<string, unknown>;
}

/** Every event type the server sends (named SSE events need one listener each). */
export const EVENT_TYPES = [
  'access.decision', 'door.forced', 'door.held', 'door.rex', 'door.tamper', 'door.state', 'alarm',
  'operator.action', 'roster.import', 'credential.revoked', 'access.review', 'user.sign_in',
  'user.sign_in_failed', 'user.sign_out', 'edge.enrolled', 'edge.refused', 'edge.journal_overflow',
  'incident', 'rule.script',
];

export type StreamStatus = 'connecting' | 'live' | 'reconnecting';

/** onArrive (optional) sees every event as it arrives, paused or not (for state that must
 * not wait: a lockdown made elsewhere, a door forced open). */
export function useEventStream(keep = 5000, onArrive?: (e: GhEvent) => void) {
  const arrive = useRef(onArrive);
  arrive.current = onArrive;
  const [events, setEvents] = useState<GhEvent[]>([]);
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const [paused, setPaused] = useState(false);
  const [pending, setPending] = useState(0);
  const buffer = useRef<GhEvent[]>([]); /* arrived, not yet shown (batched per frame) */
  const pausedRef = useRef(false);
  pausedRef.current = paused;

  useEffect(() => {
    const es = new EventSource('/api/v1/events/stream');
    let frame = 0;
    const flush = () => {
      frame = 0;
      if (pausedRef.current) {
        setPending(buffer.current.length);
        return;
      }
      const fresh = buffer.current.reverse();
      buffer.current = [];
      setPending(0);
      setEvents((old) => fresh.concat(old).slice(0, keep));
    };
    const onEvent = (m: MessageEvent) => {
      const e = JSON.parse(m.data) as GhEvent;
      arrive.current?.(e);
      buffer.current.push(e);
      if (buffer.current.length > keep) buffer.current.splice(0, buffer.current.length - keep);
      if (!frame) frame = requestAnimationFrame(flush);
    };
    EVENT_TYPES.forEach((t) => es.addEventListener(t, onEvent as EventListener));
    es.onopen = () => setStatus('live');
    es.onerror = () => setStatus('reconnecting');
    return () => {
      es.close();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [keep]);

  useEffect(() => {
    if (!paused && buffer.current.length) {
      const fresh = buffer.current.reverse();
      buffer.current = [];
      setPending(0);
      setEvents((old) => fresh.concat(old).slice(0, keep));
    }
  }, [paused, keep]);

  return { events, status, paused, setPaused, pending };
}
