import { useEffect, useRef, useState } from 'preact/hooks';
import { API, projectPath } from '../api';
import type { Job, LogLine } from '../types';
import { Status } from '../ui';

/**
 * A job's output, following it live over Server-Sent Events (GET .../jobs/ID/logs/stream): each
 * line arrives once; after a dropped connection the browser resumes after the last line it got.
 */
export function JobLog({ project, id, onEnd }: { project: string; id: string; onEnd?: (job: Job) => void }) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [ended, setEnded] = useState<Job | undefined>(undefined);
  const [broken, setBroken] = useState(false);
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    setLines([]);
    setEnded(undefined);
    const source = new EventSource(
      `${API}${projectPath(project, `/jobs/${encodeURIComponent(id)}/logs/stream`)}`,
    );
    source.addEventListener('line', (e) => {
      const line = JSON.parse((e as MessageEvent<string>).data) as LogLine;
      setLines((all) => [...all, line]);
      setBroken(false);
    });
    source.addEventListener('end', (e) => {
      const job = JSON.parse((e as MessageEvent<string>).data) as Job;
      source.close();
      setEnded(job);
      onEnd?.(job);
    });
    source.onerror = () => setBroken(source.readyState !== EventSource.OPEN);
    return () => source.close();
  }, [project, id]);
  useEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines.length]);
  return (
    <section class="job-log" aria-label={`Log of job ${id}`}>
      <h3>
        Log of job {id} {ended ? <Status value={ended.status} /> : <span class="following">following…</span>}
      </h3>
      {broken && !ended && <p role="status">Connection lost: reconnecting…</p>}
      <pre ref={box} class="log" tabIndex={0} aria-live="polite" data-testid="job-log">
        {lines.map((l) => (
          <div key={l.seq} class={l.stream === 'stderr' ? 'stderr' : undefined}>
            {l.line}
          </div>
        ))}
      </pre>
      {ended && (
        <p>
          Ended {ended.status}
          {ended.exitCode !== undefined ? ` (exit code ${ended.exitCode})` : ''}
          {ended.error ? `: ${ended.error}` : ''}
        </p>
      )}
    </section>
  );
}
