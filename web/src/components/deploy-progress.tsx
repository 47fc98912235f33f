import { useEffect, useState } from 'preact/hooks';
import { followNdjson, projectPath } from '../api';
import type { Deploy, DeployEvent } from '../types';
import { Problem, Status } from '../ui';

/**
 * A deploy's phases and build output as they happen, from the same NDJSON event stream the CLI
 * follows (GET .../deploys/ID/events); the stream ends when the deploy does.
 */
export function DeployProgress({
  project,
  deploy,
  onEnd,
}: {
  project: string;
  deploy: Deploy;
  onEnd?: () => void;
}) {
  const [events, setEvents] = useState<DeployEvent[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    const abort = new AbortController();
    setEvents([]);
    followNdjson<DeployEvent & { error?: unknown }>(
      projectPath(project, `/deploys/${encodeURIComponent(deploy.id)}/events`),
      (e) => {
        if (e.error) setError(e.error);
        else setEvents((all) => [...all, e]);
      },
      abort.signal,
    ).then(
      () => onEnd?.(),
      (e: unknown) => {
        if (!abort.signal.aborted) setError(e);
      },
    );
    return () => abort.abort();
  }, [project, deploy.id]);
  const last = events[events.length - 1];
  const ended = last && (last.kind === 'done' || last.kind === 'failed');
  return (
    <div class="deploy-progress">
      <h3>
        {deploy.kind} {deploy.version ? `v${deploy.version}` : ''}{' '}
        <Status value={ended ? (last.kind === 'done' ? 'succeeded' : 'failed') : deploy.status} />
      </h3>
      <ol class="log" aria-live="polite" aria-label={`Events of ${deploy.kind} ${deploy.id}`}>
        {events.map((e) => (
          <li key={e.seq} class={`event-${e.kind}`}>
            <span class="kind">{e.kind}</span> {e.message}
          </li>
        ))}
      </ol>
      <Problem error={error} />
    </div>
  );
}
